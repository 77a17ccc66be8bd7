"""Kafka Connect connectors: class, tasks, state and config (with ${env} and ${VAR} secrets) on an
environment's Connect worker, plus `connectors status` and `connectors restart`.

Importing the package is cheap: the spec, diff and worker modules load inside the methods.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from mqctl.kind import ChangeTypes, Kind

if TYPE_CHECKING:
    import typer

    from mqctl.config import Environment
    from mqctl.diagnostics import Diagnostic
    from mqctl.edges import Edges
    from mqctl.exporting import Export, ExportContext
    from mqctl.kind import DesiredState, Executor, Snapshots
    from mqctl.kinds.connectors.live import LiveConnectors
    from mqctl.kinds.connectors.spec import ConnectorSpec
    from mqctl.plan import Change
    from mqctl.spec.model import SpecContext
    from mqctl.yamlsource import YamlDocument


NAME = "connectors"  # the spec folder and the kind's key (its change types' `kind`)


class ConnectorsKind(Kind["ConnectorSpec", "LiveConnectors"]):
    name = NAME
    schema = "connectors"
    changes = ChangeTypes(f"{__name__}.changes")

    def build(self, docs: Sequence[YamlDocument], ctx: SpecContext) -> tuple[list[ConnectorSpec], list[Diagnostic]]:
        from mqctl.kinds.connectors.spec import build_connectors

        return build_connectors(docs, ctx)

    def unavailable(self, env: Environment) -> str | None:
        return None if env.connect else "the environment has no connect: (Kafka Connect worker) in mqctl.yaml"

    def snapshot(self, edges: Edges) -> LiveConnectors:
        from mqctl.kinds.connectors.admin import ConnectorAdmin

        return edges.service(ConnectorAdmin).snapshot()

    def managed(self, live: LiveConnectors) -> int:
        return len(live)

    def diff(
        self, desired: DesiredState, live: LiveConnectors, env: Environment
    ) -> tuple[list[Change], list[Diagnostic]]:
        """Secrets come from the process environment, read here at plan time and nowhere else. An
        environment without a Connect worker holds no connectors: a warning, no changes."""
        from mqctl.kinds.connectors.diff import diff_connectors, not_applied

        if env.connect is None:
            return [], not_applied(desired.of(self), env.name)
        return diff_connectors(desired.of(self), live, env.name, os.environ)

    def executors(self, edges: Edges) -> Mapping[type[Change], Executor]:
        from mqctl.kinds.connectors.admin import ConnectorAdmin

        return edges.service(ConnectorAdmin).executors()

    def export(self, snapshots: Snapshots, ctx: ExportContext) -> Export:
        from mqctl.kinds.connectors.export import export_connectors

        return export_connectors(snapshots.of(self), ctx)

    def commands(self) -> Sequence[tuple[str, Callable[[], typer.Typer]]]:
        def load() -> typer.Typer:
            from mqctl.kinds.connectors.cli import app

            return app

        return [(NAME, load)]


KIND = ConnectorsKind()
