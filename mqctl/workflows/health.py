"""`mqctl cluster health` and `mqctl cluster elect-leaders` as library code: read the cluster's state
in a constant number of requests, hand it to the pure checks (mqctl.health), and elect preferred
leaders where asked.

Requests, whatever the partition count: the first contact (DescribeCluster), one metadata request,
DescribeConfigs of the selected topics' min.insync.replicas in at most 6 parts, one DescribeLogDirs
per broker, one DescribeQuorum, and for config drift what the drift kinds' snapshots cost (brokers/:
one DescribeConfigs per broker plus one of the cluster default). Over TLS, each broker's certificate
is read by one TLS connection of its own carrying one ApiVersions request, counted as a request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from mqctl.config import load_config
from mqctl.diagnostics import MqctlError, errors_of, warnings_of
from mqctl.edges import Edges
from mqctl.health import DISK_WARNING_FRACTION, Drift, HealthReport, HealthSnapshot, assess, preferred_elections
from mqctl.kind import Kind
from mqctl.kinds import managed
from mqctl.live import PartitionState, Quorum
from mqctl.spec.loader import load_specs, spec_folders
from mqctl.workflows.plan import compute_plan, take_snapshots

MIN_ISR = "min.insync.replicas"


def selected(partitions: Sequence[PartitionState], topics: Sequence[str]) -> tuple[PartitionState, ...]:
    """The partitions of topics matching any glob of `topics` (all when there is none)."""
    if not topics:
        return tuple(partitions)
    return tuple(p for p in partitions if any(fnmatchcase(p.topic, glob) for glob in topics))


def _min_isr(edges: Edges, topics: set[str]) -> dict[str, int]:
    configs = edges.kafka.topic_configs(topics, keys=[MIN_ISR])
    found = {}
    for topic, entries in configs.items():
        value = entries.get(MIN_ISR)
        try:
            found[topic] = int(value.value) if value is not None and value.value is not None else 1
        except ValueError:
            found[topic] = 1
    return found


def _quorum(edges: Edges) -> Quorum | str | None:
    from mqctl.kafka import state

    try:
        return state.quorum(edges.kafka)
    except MqctlError as exc:
        return exc.message


def _drift(root: Path, edges: Edges, kinds: Sequence[Kind[Any, Any]]) -> Drift | None:
    """What the plans of the managed health-drift kinds (brokers/) would change: their changes'
    fields and their drift warnings, as items. Spec errors of those kinds make the check an error;
    other kinds' specs are not this command's business."""
    if not kinds:
        return None
    config = load_config(root.resolve(), edges.env.name)
    desired, diagnostics = load_specs(config)
    folders = tuple(f"{kind.name}/" for kind in kinds)
    errors = [d for d in errors_of(diagnostics) if d.file.startswith(folders)]
    if errors:
        return Drift(error=f"{len(errors)} error(s) in the specs, first: {errors[0]}")
    try:
        snapshots = take_snapshots(edges, kinds)
    except MqctlError as exc:
        return Drift(error=exc.message)
    items: list[dict[str, Any]] = []
    for kind in kinds:
        plan = compute_plan(desired, snapshots, edges.env, [kind])
        if plan.errors:
            return Drift(tuple(items), error=f"the {kind.name} plan has errors, first: {plan.errors[0]}")
        for change in plan.changes:
            items += [{"kind": kind.name, "resource": change.name, "field": d.field, "live": d.before,
                       "spec": d.after} for d in change.diffs]  # fmt: skip
        items += [{"kind": kind.name, "resource": d.key, "message": d.message} for d in warnings_of(plan.diagnostics)]
    return Drift(tuple(items))


def read_snapshot(root: Path, edges: Edges, topics: Sequence[str] = ()) -> HealthSnapshot:
    """The cluster's state for the health checks: partitions of the selected topics."""
    from mqctl.kafka import state

    admin = edges.kafka
    racks = {b.id: b.rack for b in admin.brokers()}
    chosen = selected(state.partitions(admin), topics)
    min_isr = _min_isr(edges, {p.topic for p in chosen})
    try:
        dirs: Any = state.log_dirs(admin, sorted(racks))
    except MqctlError as exc:
        dirs = exc.message
    drift_kinds = [kind for kind in managed(spec_folders(root)) if kind.health_drift]
    drift = _drift(root, edges, drift_kinds)
    certificates = admin.broker_probes() if edges.env.security.tls else None
    return HealthSnapshot(racks, chosen, min_isr, dirs, _quorum(edges), drift, certificates)


@dataclass(frozen=True)
class HealthOptions:
    topics: tuple[str, ...] = ()  # globs of full topic names; empty: every topic
    disk_warning: float = DISK_WARNING_FRACTION


def cluster_health(root: Path, env: str, options: HealthOptions) -> HealthReport:
    config = load_config(root.resolve(), env)
    with Edges(config.environment) as edges:
        snapshot = read_snapshot(config.root, edges, options.topics)
    days = config.environment.security.certificate_warning_days
    report = assess(env, snapshot, options.disk_warning, options.topics, days)
    return HealthReport(report.environment, report.checks, report.topics, edges.requests)


@dataclass(frozen=True)
class Elections:
    """Partitions a preferred-leader election would move back, those it cannot yet (preferred
    replica out of sync), and, once executed, each election's outcome (None: done)."""

    electable: tuple[PartitionState, ...]
    blocked: tuple[PartitionState, ...]
    outcome: dict[tuple[str, int], str | None] | None = None


def elect_leaders(root: Path, env: str, topics: Sequence[str], execute: bool) -> Elections:
    """Dry run by default: what a preferred-leader election would change; with `execute`, one
    ElectLeaders request for all of them."""
    from mqctl.kafka import state

    config = load_config(root.resolve(), env)
    with Edges(config.environment) as edges:
        admin = edges.kafka
        electable, blocked = preferred_elections(selected(state.partitions(admin), topics))
        outcome = state.elect_preferred(admin, [(p.topic, p.partition) for p in electable]) if execute else None
    return Elections(tuple(electable), tuple(blocked), outcome)
