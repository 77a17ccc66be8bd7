"""Client quotas: byte rates, request time and controller mutations per user / client id, and
connection rates per IP, on a cluster shared by environments.

Importing the package is cheap: the spec, diff and cluster modules load inside the methods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from mqctl.kind import ChangeTypes, Kind
from mqctl.kinds import acls, users

if TYPE_CHECKING:
    from mqctl.config import Environment
    from mqctl.diagnostics import Diagnostic
    from mqctl.edges import Edges
    from mqctl.exporting import Export, ExportContext
    from mqctl.kind import DesiredState, Executor, Snapshots
    from mqctl.kinds.quotas.model import LiveQuotas, QuotaSpec
    from mqctl.plan import Change
    from mqctl.spec.model import SpecContext
    from mqctl.yamlsource import YamlDocument


NAME = "quotas"  # the spec folder and the kind's key (its change types' `kind`)


class QuotasKind(Kind["QuotaSpec", "LiveQuotas"]):
    name = NAME
    schema = "quotas"
    changes = ChangeTypes(f"{__name__}.changes")

    def build(self, docs: Sequence[YamlDocument], ctx: SpecContext) -> tuple[list[QuotaSpec], list[Diagnostic]]:
        from mqctl.kinds.quotas.spec import build_quotas

        return build_quotas(docs, ctx)

    def check(self, desired: DesiredState) -> list[Diagnostic]:
        """A quota on a user users/ does not declare, when this project manages users at all:
        most likely a typo, which would limit nobody."""
        if not desired.of(self) or not desired.manages(users.KIND):
            return []  # before the imports: a project without quotas never loads the model
        from mqctl.diagnostics import warning
        from mqctl.kinds.quotas.model import USER

        declared = {user.name for user in desired.of(users.KIND)}
        return [
            warning(spec.source.file, spec.source.line, "user",
                    f"user {name!r} is not declared in users/; the quota applies only if such a principal "
                    "exists (a typo would limit nobody)")
            for spec in desired.of(self)
            if (name := spec.entity.named(USER)) is not None and name not in declared
        ]  # fmt: skip

    def snapshot(self, edges: Edges) -> LiveQuotas:
        from mqctl.kinds.quotas.admin import QuotaAdmin

        return edges.service(QuotaAdmin).snapshot()

    def managed(self, live: LiveQuotas) -> int:
        return len(live.entities)

    def diff(self, desired: DesiredState, live: LiveQuotas, env: Environment) -> tuple[list[Change], list[Diagnostic]]:
        """In scope: the users this environment declares (users/ or quotas/) or owns, its client ids
        and, with policy.manage_cluster_quotas, the <default>s and IPs."""
        from mqctl.kinds.quotas.diff import Scope, diff_quotas
        from mqctl.kinds.quotas.model import USER

        declared = desired.of(self)
        names = {user.name for user in desired.of(users.KIND)}
        names |= {name for spec in declared if (name := spec.entity.named(USER)) is not None}
        owned = Scope(env.prefix, frozenset(names), env.policy.managed_users, env.policy.manage_cluster_quotas)
        return diff_quotas(declared, live, owned)

    def executors(self, edges: Edges) -> Mapping[type[Change], Executor]:
        from mqctl.kinds.quotas.admin import QuotaAdmin

        return edges.service(QuotaAdmin).executors()

    def export(self, snapshots: Snapshots, ctx: ExportContext) -> Export:
        from mqctl.kinds.quotas.export import export_quotas

        return export_quotas(snapshots.of(self), snapshots.of(acls.KIND), snapshots.of(users.KIND), ctx)


KIND = QuotasKind()
