"""ACLs: explicit bindings and role shorthands, scoped to the environment's names and principals.

Importing the package is cheap: the spec, diff and cluster modules load inside the methods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mqctl.kind import ChangeTypes, Kind, plain
from mqctl.kinds import topics, users

if TYPE_CHECKING:
    from mqctl.config import Environment
    from mqctl.diagnostics import Diagnostic
    from mqctl.edges import Edges
    from mqctl.exporting import Export, ExportContext
    from mqctl.kind import DesiredState, Executor, Snapshots
    from mqctl.kinds.acls.live import LiveAcls
    from mqctl.kinds.acls.model import AclSpec
    from mqctl.plan import Change
    from mqctl.spec.model import SpecContext
    from mqctl.yamlsource import YamlDocument


NAME = "acls"  # the spec folder and the kind's key (its change types' `kind`)


class AclsKind(Kind["AclSpec", "LiveAcls"]):
    name = NAME
    schema = "acls"
    changes = ChangeTypes(f"{__name__}.changes")

    def build(self, docs: Sequence[YamlDocument], ctx: SpecContext) -> tuple[list[AclSpec], list[Diagnostic]]:
        from mqctl.kinds.acls.spec import build_acls

        return build_acls(docs, ctx)

    def check(self, desired: DesiredState) -> list[Diagnostic]:
        """A grant on a topic no spec declares, when this project manages topics at all."""
        from mqctl.kinds.acls.references import undeclared_acl_topics

        if not desired.manages(topics.KIND):
            return []
        return undeclared_acl_topics(desired.of(self), desired.of(topics.KIND), desired.env)

    def describe(self, item: AclSpec) -> dict[str, Any]:
        """The binding's fields (`resource.principal`, `resource.operation`, ...), named as the plan
        names it; the resource's own name is `resource_name`."""
        return {**plain(item.binding), "name": str(item.binding), "resource_name": item.binding.name}

    def snapshot(self, edges: Edges) -> LiveAcls:
        from mqctl.kinds.acls.admin import AclAdmin

        return edges.service(AclAdmin).snapshot()

    def managed(self, live: LiveAcls) -> int:
        return len(live.bindings)

    def diff(self, desired: DesiredState, live: LiveAcls, env: Environment) -> tuple[list[Change], list[Diagnostic]]:
        """In scope: names under the env prefix, and every principal the env declares (acls/ or users/)."""
        from mqctl.connecting import login
        from mqctl.kinds.acls.diff import diff_acls

        declared = desired.of(self)
        principals = {spec.binding.principal for spec in declared} | {
            f"User:{user.name}" for user in desired.of(users.KIND)
        }
        return diff_acls(declared, live, env.prefix, frozenset(principals), login(env))

    def executors(self, edges: Edges) -> Mapping[type[Change], Executor]:
        from mqctl.kinds.acls.admin import AclAdmin

        return edges.service(AclAdmin).executors()

    def export(self, snapshots: Snapshots, ctx: ExportContext) -> Export:
        from mqctl.kinds.acls.export import export_acls

        return export_acls(snapshots.of(self), snapshots.of(users.KIND), ctx)


KIND = AclsKind()
