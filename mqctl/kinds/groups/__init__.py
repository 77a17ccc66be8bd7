"""Consumer groups: GROUP configs (KIP-848), deletion of empty undeclared groups, and the group
commands `groups status | reset-offsets | replay-dlq` and `alerts export`.

Importing the package is cheap: the spec, diff and cluster modules load inside the methods.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from mqctl.kind import ChangeTypes, Kind
from mqctl.kinds import topics

if TYPE_CHECKING:
    import typer

    from mqctl.config import Environment
    from mqctl.diagnostics import Diagnostic
    from mqctl.edges import Edges
    from mqctl.exporting import Export, ExportContext
    from mqctl.kind import DesiredState, Executor, Snapshots
    from mqctl.kinds.groups.live import LiveGroups
    from mqctl.kinds.groups.spec import GroupSpec
    from mqctl.plan import Change
    from mqctl.spec.model import SpecContext
    from mqctl.yamlsource import YamlDocument


NAME = "groups"  # the spec folder and the kind's key (its change types' `kind`)


class GroupsKind(Kind["GroupSpec", "LiveGroups"]):
    name = NAME
    schema = "groups"
    changes = ChangeTypes(f"{__name__}.changes")

    def build(self, docs: Sequence[YamlDocument], ctx: SpecContext) -> tuple[list[GroupSpec], list[Diagnostic]]:
        from mqctl.kinds.groups.spec import build_groups

        return build_groups(docs, ctx)

    def check(self, desired: DesiredState) -> list[Diagnostic]:
        """Topics, retry and DLQ topics must be declared in topics/, when this project manages topics."""
        if not desired.of(self) or not desired.manages(topics.KIND):
            return []  # before the import: a project without groups never loads the spec module
        from mqctl.kinds.groups.spec import check_topics

        declared = {t.full_name for t in desired.of(topics.KIND)}
        return check_topics(desired.of(self), declared, f"{desired.env}.")

    def snapshot(self, edges: Edges) -> LiveGroups:
        from mqctl.kinds.groups.admin import GroupAdmin

        return edges.service(GroupAdmin).snapshot()

    def managed(self, live: LiveGroups) -> int:
        return len(live.groups)

    def diff(self, desired: DesiredState, live: LiveGroups, env: Environment) -> tuple[list[Change], list[Diagnostic]]:
        from mqctl.kinds.groups.diff import diff_groups

        return diff_groups(desired.of(self), live, env.prefix)

    def executors(self, edges: Edges) -> Mapping[type[Change], Executor]:
        from mqctl.kinds.groups.admin import GroupAdmin

        return edges.service(GroupAdmin).executors()

    def export(self, snapshots: Snapshots, ctx: ExportContext) -> Export:
        from mqctl.kinds.groups.export import export_groups

        return export_groups(snapshots.of(self), ctx)

    def commands(self) -> Sequence[tuple[str, Callable[[], typer.Typer]]]:
        def groups() -> typer.Typer:
            from mqctl.kinds.groups.cli import groups_app

            return groups_app

        def alerts() -> typer.Typer:
            from mqctl.kinds.groups.cli import alerts_app

            return alerts_app

        return [(NAME, groups), ("alerts", alerts)]


KIND = GroupsKind()
