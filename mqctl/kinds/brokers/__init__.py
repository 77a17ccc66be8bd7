"""Broker config as code: cluster-wide defaults and per-broker dynamic configs, plus `brokers check`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from mqctl.config import Environment
from mqctl.diagnostics import Diagnostic
from mqctl.kind import DesiredState, Executor, Kind, Snapshots
from mqctl.kinds.brokers.changes import CHANGES, NAME
from mqctl.kinds.brokers.diff import diff_brokers
from mqctl.kinds.brokers.live import LiveBrokerConfigs
from mqctl.kinds.brokers.spec import BrokerConfigSpec, build_brokers
from mqctl.plan import Change
from mqctl.spec.model import SpecContext
from mqctl.yamlsource import YamlDocument

if TYPE_CHECKING:
    import typer

    from mqctl.edges import Edges
    from mqctl.exporting import Export, ExportContext


class BrokersKind(Kind[BrokerConfigSpec, LiveBrokerConfigs]):
    name = NAME
    schema = "brokers"
    changes = CHANGES
    health_drift = True  # the brokers' configuration is part of the cluster's health

    def build(
        self, docs: Sequence[YamlDocument], ctx: SpecContext
    ) -> tuple[list[BrokerConfigSpec], list[Diagnostic]]:
        return build_brokers(docs, ctx)

    def snapshot(self, edges: Edges) -> LiveBrokerConfigs:
        from mqctl.kinds.brokers.admin import BrokerConfigAdmin

        return edges.service(BrokerConfigAdmin).snapshot()

    def managed(self, live: LiveBrokerConfigs) -> int:
        return 1 + len(live.brokers)  # the cluster default and each broker's own resource

    def diff(
        self, desired: DesiredState, live: LiveBrokerConfigs, env: Environment
    ) -> tuple[list[Change], list[Diagnostic]]:
        return diff_brokers(desired.of(self), live)

    def executors(self, edges: Edges) -> Mapping[type[Change], Executor]:
        from mqctl.kinds.brokers.admin import BrokerConfigAdmin

        return edges.service(BrokerConfigAdmin).executors()

    def export(self, snapshots: Snapshots, ctx: ExportContext) -> Export:
        from mqctl.kinds.brokers.export import export_brokers

        return export_brokers(snapshots.of(self), ctx)

    def commands(self) -> Sequence[tuple[str, typer.Typer]]:
        from mqctl.kinds.brokers.cli import app

        return [(NAME, app)]


KIND = BrokersKind()
