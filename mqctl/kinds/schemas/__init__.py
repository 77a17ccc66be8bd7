"""Schema-registry subjects: Avro, JSON Schema and Protobuf versions, compatibility levels, soft delete.

Importing the package is cheap: the spec module (fastavro, jsonschema, the Protobuf parser), the
diff and the registry client load inside the methods that use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from mqctl.kind import ChangeTypes, Kind

if TYPE_CHECKING:
    from mqctl.config import Environment
    from mqctl.diagnostics import Diagnostic
    from mqctl.edges import Edges
    from mqctl.exporting import Export, ExportContext
    from mqctl.kind import DesiredState, Executor, Snapshots
    from mqctl.kinds.schemas.live import RegistryState
    from mqctl.kinds.schemas.model import SubjectSpec
    from mqctl.plan import Change
    from mqctl.spec.model import SpecContext
    from mqctl.yamlsource import YamlDocument


NAME = "schemas"  # the spec folder and the kind's key (its change types' `kind`)


class SchemasKind(Kind["SubjectSpec", "RegistryState"]):
    name = NAME
    schema = "schemas"
    changes = ChangeTypes(f"{__name__}.changes")

    def build(self, docs: Sequence[YamlDocument], ctx: SpecContext) -> tuple[list[SubjectSpec], list[Diagnostic]]:
        from mqctl.kinds.schemas.spec import build_subjects

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
        from mqctl.kinds.schemas.diff import diff_subjects

        return diff_subjects(desired.of(self), live)

    def executors(self, edges: Edges) -> Mapping[type[Change], Executor]:
        from mqctl.kinds.schemas.admin import SubjectAdmin

        return edges.service(SubjectAdmin).executors()

    def export(self, snapshots: Snapshots, ctx: ExportContext) -> Export:
        from mqctl.kinds.schemas.export import export_subjects

        return export_subjects(snapshots.of(self), ctx)


KIND = SchemasKind()
