"""Broker config as code: cluster-wide defaults and per-broker dynamic configs, plus `brokers check`.

Importing the package is cheap: the spec, diff and cluster modules load inside the methods.
"""

from __future__ import annotations

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
    from mqctl.kinds.brokers.live import LiveBrokerConfigs
    from mqctl.kinds.brokers.spec import BrokerConfigSpec
    from mqctl.plan import Change
    from mqctl.spec.model import SpecContext
    from mqctl.yamlsource import YamlDocument


NAME = "brokers"  # the spec folder and the kind's key (its change types' `kind`)


class BrokersKind(Kind["BrokerConfigSpec", "LiveBrokerConfigs"]):
    name = NAME
    schema = "brokers"
    changes = ChangeTypes(f"{__name__}.changes")
    health_drift = True  # the brokers' configuration is part of the cluster's health

    def build(
        self, docs: Sequence[YamlDocument], ctx: SpecContext
    ) -> tuple[list[BrokerConfigSpec], list[Diagnostic]]:
        from mqctl.kinds.brokers.spec import build_brokers

        return build_brokers(docs, ctx)

    def snapshot(self, edges: Edges) -> LiveBrokerConfigs:
        from mqctl.kinds.brokers.admin import BrokerConfigAdmin

        return edges.service(BrokerConfigAdmin).snapshot()

    def managed(self, live: LiveBrokerConfigs) -> int:
        return 1 + len(live.brokers)  # the cluster default and each broker's own resource

    def diff(
        self, desired: DesiredState, live: LiveBrokerConfigs, env: Environment
    ) -> tuple[list[Change], list[Diagnostic]]:
        from mqctl.kinds.brokers.diff import diff_brokers

        return diff_brokers(desired.of(self), live)

    def executors(self, edges: Edges) -> Mapping[type[Change], Executor]:
        from mqctl.kinds.brokers.admin import BrokerConfigAdmin

        return edges.service(BrokerConfigAdmin).executors()

    def export(self, snapshots: Snapshots, ctx: ExportContext) -> Export:
        from mqctl.kinds.brokers.export import export_brokers

        return export_brokers(snapshots.of(self), ctx)

    def commands(self) -> Sequence[tuple[str, Callable[[], typer.Typer]]]:
        def load() -> typer.Typer:
            from mqctl.kinds.brokers.cli import app

            return app

        return [(NAME, load)]


KIND = BrokersKind()
