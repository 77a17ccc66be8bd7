"""SCRAM users: mechanisms and iterations, passwords from the environment, deletion of owned users.

Importing the package is cheap: the spec, diff and cluster modules load inside the methods.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from mqctl.kind import ChangeTypes, Kind

if TYPE_CHECKING:
    from mqctl.config import Environment
    from mqctl.diagnostics import Diagnostic
    from mqctl.edges import Edges
    from mqctl.exporting import Export, ExportContext
    from mqctl.kind import DesiredState, Executor, Snapshots
    from mqctl.kinds.users.changes import LiveUsers
    from mqctl.kinds.users.spec import UserSpec
    from mqctl.plan import Change
    from mqctl.spec.model import SpecContext
    from mqctl.yamlsource import YamlDocument


NAME = "users"  # the spec folder and the kind's key (its change types' `kind`)


class UsersKind(Kind["UserSpec", "LiveUsers"]):
    name = NAME
    schema = "users"
    changes = ChangeTypes(f"{__name__}.changes")

    def build(self, docs: Sequence[YamlDocument], ctx: SpecContext) -> tuple[list[UserSpec], list[Diagnostic]]:
        from mqctl.kinds.users.spec import build_users

        return build_users(docs, ctx)

    def snapshot(self, edges: Edges) -> LiveUsers:
        from mqctl.kinds.users.admin import UserAdmin

        return edges.service(UserAdmin).snapshot()

    def managed(self, live: LiveUsers) -> int:
        return len(live)

    def diff(self, desired: DesiredState, live: LiveUsers, env: Environment) -> tuple[list[Change], list[Diagnostic]]:
        """Passwords come from the process environment, read here at plan time and nowhere else."""
        from mqctl.connecting import login
        from mqctl.kinds.users.diff import diff_users

        return diff_users(desired.of(self), live, env.policy.managed_users, os.environ, login(env), live.unlisted_by)

    def executors(self, edges: Edges) -> Mapping[type[Change], Executor]:
        from mqctl.kinds.users.admin import UserAdmin

        return edges.service(UserAdmin).executors()

    def export(self, snapshots: Snapshots, ctx: ExportContext) -> Export:
        from mqctl.kinds import acls
        from mqctl.kinds.users.export import export_users

        return export_users(snapshots.of(acls.KIND), snapshots.of(self), ctx)


KIND = UsersKind()
