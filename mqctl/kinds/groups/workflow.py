"""The group commands as library code: load the specs, read the cluster through GroupAdmin, hand
plain values to the pure modules (status, offsets, replay, alerts). The CLI only renders."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from mqctl.config import ProjectConfig, load_config
from mqctl.diagnostics import MqctlError, errors_of
from mqctl.edges import Edges
from mqctl.kind import DesiredState
from mqctl.kinds.groups.admin import OFFSET_GROUPS, GroupAdmin
from mqctl.kinds.groups.live import LiveGroup
from mqctl.kinds.groups.prometheus import EXPORTERS, rules_file
from mqctl.kinds.groups.spec import GroupSpec
from mqctl.kinds.groups.status import GroupFacts, StatusReport, group_status, wanted_timestamps


def desired_state(config: ProjectConfig) -> DesiredState:
    """The specs of the environment; spec errors stop the command."""
    from mqctl.spec.loader import load_specs

    desired, diagnostics = load_specs(config)
    if errors_of(diagnostics):
        raise MqctlError(f"the specs for environment {config.environment.name} have errors", diagnostics)
    return desired


def declared_groups(config: ProjectConfig) -> list[GroupSpec]:
    """The groups the specs declare for the environment."""
    from mqctl.kinds import groups

    return list(desired_state(config).of(groups.KIND))


def alert_rules(root: Path, env: str, exporter: str) -> str:
    """Prometheus alerting rules from every declared group's alerts (offline: no cluster, no
    secrets); max_members defaults to the declared partition counts of the groups' topics."""
    from mqctl.kinds import groups, topics

    config = load_config(root.resolve(), env, secrets=False)
    desired = desired_state(config)
    partitions = {t.full_name: t.partitions for t in desired.of(topics.KIND)}
    return rules_file(desired.of(groups.KIND), env, EXPORTERS[exporter], partitions)


def select(declared: Sequence[GroupSpec], names: Sequence[str]) -> list[GroupSpec]:
    """The declared groups named (all when none is): an unknown name is an error."""
    if not names:
        return list(declared)
    by_name = {g.name: g for g in declared}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = ", ".join(sorted(by_name)) or "none"
        raise MqctlError(f"unknown group {', '.join(map(repr, unknown))}: not declared in groups/ (declared: {known})")
    return [by_name[n] for n in dict.fromkeys(names)]


def status_report(
    root: Path, env: str, names: Sequence[str] = (), include_all: bool = False, edges: Edges | None = None
) -> StatusReport:
    """State, members, lag and time lag of the selected groups (and with `include_all` every live
    group under the environment), compared with their alerts."""
    config = load_config(root.resolve(), env)
    specs = select(declared_groups(config), names)
    edges = edges or Edges(config.environment)
    before = edges.requests
    admin = edges.service(GroupAdmin)
    live = admin.list_groups()
    prefix = config.environment.prefix
    targets: list[tuple[GroupSpec | None, str, str]] = [(s, s.group_id, s.name) for s in specs]
    if include_all:
        declared = {s.group_id for s in specs} | {s.group_id for s in declared_groups(config)}
        targets += [(None, gid, gid.removeprefix(prefix)) for gid in sorted(live)
                    if gid.startswith(prefix) and gid not in declared]
    present: dict[str, LiveGroup] = {gid: live[gid] for _, gid, _ in targets if gid in live}
    readable = {gid: g for gid, g in present.items() if g.type in OFFSET_GROUPS}
    members = admin.members(readable)
    committed = admin.committed(readable)
    topics = {t for spec, _, _ in targets if spec for t in spec.consumed}
    topics |= {t for offsets in committed.values() for t, _ in offsets}
    leaders = admin.leaders(topics)
    partitions = {topic: len(parts) for topic, parts in leaders.items()}
    ends = admin.list_offsets(leaders, {(t, p): -1 for t, parts in leaders.items() for p in parts})
    reads = admin.record_timestamps(leaders, wanted_timestamps(committed.values(), ends))
    now_ms = int(time.time() * 1000)
    statuses = []
    for spec, gid, name in targets:
        group = present.get(gid)
        facts = GroupFacts(
            state=group.state if group else None,
            protocol=group.type if group else None,
            members=members.get(gid) if group else None,
            committed=committed.get(gid, {}),
        )
        statuses.append(group_status(spec, gid, name, facts, ends, partitions, reads, now_ms))
    return StatusReport(env, tuple(statuses), edges.requests - before)
