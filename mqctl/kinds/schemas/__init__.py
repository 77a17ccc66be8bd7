"""Schema-registry subjects: Avro, JSON Schema and Protobuf versions, compatibility levels, soft delete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from mqctl.config import Environment
from mqctl.diagnostics import Diagnostic
from mqctl.kind import DesiredState, Executor, Kind, Snapshots
from mqctl.kinds.schemas.changes import CHANGES, NAME
from mqctl.kinds.schemas.diff import diff_subjects
from mqctl.kinds.schemas.model import RegistryState, SubjectSpec
from mqctl.kinds.schemas.spec import build_subjects
from mqctl.plan import Change
from mqctl.spec.model import SpecContext
from mqctl.yamlsource import YamlDocument

if TYPE_CHECKING:
    from mqctl.edges import Edges
    from mqctl.exporting import Export, ExportContext


class SchemasKind(Kind[SubjectSpec, RegistryState]):
    name = NAME
    schema = "schemas"
    changes = CHANGES

    def build(self, docs: Sequence[YamlDocument], ctx: SpecContext) -> tuple[list[SubjectSpec], list[Diagnostic]]:
        return build_subjects(docs, ctx)

    def unavailable(self, env: Environment) -> str | None:
        return None if env.schema_registry else "the environment has no schema_registry in mqctl.yaml"

    def snapshot(self, edges: Edges) -> RegistryState:
        from mqctl.kinds.schemas.admin import SubjectAdmin

        return edges.service(SubjectAdmin).snapshot(edges.env.prefix)

    def managed(self, live: RegistryState) -> int:
        return len(live.subjects)

    def diff(
        self, desired: DesiredState, live: RegistryState, env: Environment
    ) -> tuple[list[Change], list[Diagnostic]]:
        return diff_subjects(desired.of(self), live)

    def executors(self, edges: Edges) -> Mapping[type[Change], Executor]:
        from mqctl.kinds.schemas.admin import SubjectAdmin

        return edges.service(SubjectAdmin).executors()

    def export(self, snapshots: Snapshots, ctx: ExportContext) -> Export:
        from mqctl.kinds.schemas.export import export_subjects

        return export_subjects(snapshots.of(self), ctx)


KIND = SchemasKind()
