"""The group commands as library code: load the specs, read the cluster through GroupAdmin, hand
plain values to the pure modules (status, offsets, replay, alerts). The CLI only renders."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mqctl.config import ProjectConfig, load_config
from mqctl.diagnostics import MqctlError, errors_of
from mqctl.edges import Edges
from mqctl.kind import DesiredState
from mqctl.kinds.groups.admin import OFFSET_GROUPS, GroupAdmin, Replay
from mqctl.kinds.groups.live import REPLAY_SUFFIX, LiveGroup
from mqctl.kinds.groups.offsets import (
    Move,
    commit_points,
    parse_datetime,
    parse_partitions,
    replay_ranges,
    reset_moves,
)
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

REPLAY_HEADER = "mqctl-replayed-from"  # added to every re-published message: <dlq>/<partition>/<offset>
SAMPLE_SIZE = 3  # dead letters shown by a replay dry run


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


def status_report(root: Path, env: str, names: Sequence[str] = (), include_all: bool = False) -> StatusReport:
    """State, members, lag and time lag of the selected groups (and with `include_all` every live
    group under the environment), compared with their alerts."""
    config = load_config(root.resolve(), env)
    specs = select(declared_groups(config), names)
    with Edges(config.environment) as edges:
        before = edges.requests
        admin = edges.service(GroupAdmin)
        live = admin.list_groups(s.group_id for s in specs)
        prefix = config.environment.prefix
        targets: list[tuple[GroupSpec | None, str, str]] = [(s, s.group_id, s.name) for s in specs]
        if include_all:
            declared = {s.group_id for s in specs} | {s.group_id for s in declared_groups(config)}
            targets += [(None, gid, gid.removeprefix(prefix)) for gid in sorted(live)
                        if gid.startswith(prefix) and gid not in declared]
        present: dict[str, LiveGroup] = {gid: live[gid] for _, gid, _ in targets if gid in live}
        readable = {gid: g for gid, g in present.items() if g.type in OFFSET_GROUPS}
        every = admin.leaders()
        declared_topics = {t for spec, _, _ in targets if spec for t in spec.consumed if t in every}
        latest = {(t, p): -1 for t in declared_topics for p in every[t]}
        # one round trip for the reads that do not depend on each other
        members, committed, ends = admin.ask(
            admin.members_ask(readable), admin.committed_ask(readable), admin.offsets_ask(every, latest)
        )
        others = {t for offsets in committed.values() for t, _ in offsets if t in every} - declared_topics
        ends.update(admin.list_offsets(every, {(t, p): -1 for t in others for p in every[t]}))
        leaders = {t: every[t] for t in declared_topics | others}
        partitions = {topic: len(parts) for topic, parts in leaders.items()}
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


@dataclass(frozen=True)
class ResetResult:
    group_id: str
    topic: str
    moves: tuple[Move, ...]
    executed: bool
    failures: Mapping[int, str]  # partition -> why its offset was not changed

    def to_dict(self) -> dict[str, object]:
        return {"group_id": self.group_id, "topic": self.topic, "executed": self.executed,
                "partitions": [{**m.to_dict(), "error": self.failures.get(m.partition)} for m in self.moves]}


def _group_for(config: ProjectConfig, name: str) -> GroupSpec:
    (spec,) = select(declared_groups(config), [name])
    return spec


def _consumed(spec: GroupSpec, topic: str, prefix: str) -> str:
    full = prefix + topic
    if full not in spec.consumed:
        names = ", ".join(t.removeprefix(prefix) for t in spec.consumed) or "none"
        raise MqctlError(f"topic {topic!r} is not consumed by group {spec.name} (its topics: {names})")
    return full


def _led(leaders: Mapping[str, Mapping[int, int]], topic: str, partitions: Sequence[int], prefix: str) -> None:
    """Offsets can only be read and moved on partitions that have a leader."""
    orphans = [p for p in partitions if leaders[topic][p] < 0]
    if orphans:
        raise MqctlError(
            f"partition(s) {', '.join(map(str, orphans))} of {topic.removeprefix(prefix)} have no leader now (their "
            "brokers are down); nothing was changed, try again when they are back"
        )


def _refuse_active(admin: GroupAdmin, group: LiveGroup | None, doing: str) -> None:
    if group is None or group.type not in OFFSET_GROUPS:
        return
    members = admin.members({group.group_id: group}).get(group.group_id, 0)
    if members:
        raise MqctlError(
            f"{doing}: group {group.group_id} has {members} active member(s); Kafka keeps the offsets of a group "
            "with members, so stop its consumers first. Nothing was changed"
        )


def reset_offsets(
    root: Path,
    env: str,
    name: str,
    topic: str,
    target: str,
    value: int | None = None,
    when: str | None = None,
    partitions: str | None = None,
    execute: bool = False,
) -> ResetResult:
    """Where `--to-…` moves the group's committed offsets on `topic`; with `execute`, moves them
    (AlterConsumerGroupOffsets), refused while the group has members."""
    config = load_config(root.resolve(), env)
    spec = _group_for(config, name)
    full = _consumed(spec, topic, config.environment.prefix)
    at = parse_datetime(when) if target == "to_datetime" and when is not None else None
    with Edges(config.environment) as edges:
        admin = edges.service(GroupAdmin)
        group = admin.list_groups([spec.group_id]).get(spec.group_id)
        _refuse_active(admin, group, "reset offsets")
        leaders = admin.leaders([full])
        if full not in leaders:
            raise MqctlError(f"topic {topic!r} does not exist in environment {env}")
        chosen = parse_partitions(partitions, list(leaders[full]))
        _led(leaders, full, chosen, config.environment.prefix)
        committed = admin.committed({spec.group_id: group}).get(spec.group_id, {}) if group else {}
        earliest = admin.list_offsets(leaders, {(full, p): -2 for p in chosen})
        end = admin.list_offsets(leaders, {(full, p): -1 for p in chosen})
        by_time = admin.list_offsets(leaders, {(full, p): at for p in chosen}) if at is not None else {}
        moves = reset_moves(
            chosen,
            {p: o for (t, p), o in committed.items() if t == full},
            {p: o for (_, p), o in earliest.items()},
            {p: o for (_, p), o in end.items()},
            target,
            value,
            {p: o for (_, p), o in by_time.items()},
        )
        failures: dict[int, str] = {}
        if execute:
            outcome = admin.alter_offsets(spec.group_id, {(full, m.partition): m.after for m in moves})
            failures = {p: reason for (_, p), reason in outcome.items() if reason}
        return ResetResult(spec.group_id, full, tuple(moves), execute, failures)


@dataclass(frozen=True)
class Sample:
    partition: int
    offset: int
    key: str | None
    value: str | None
    headers: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, object]:
        return {"partition": self.partition, "offset": self.offset, "key": self.key, "value": self.value,
                "headers": [list(h) for h in self.headers]}


@dataclass(frozen=True)
class ReplayResult:
    group_id: str
    dlq: str
    target: str
    replay_group: str
    ranges: Mapping[int, tuple[int, int]]  # partition -> [from, to) offsets
    sample: tuple[Sample, ...]
    executed: bool
    published: int = 0
    failed: int = 0
    committed: Mapping[int, int] = field(default_factory=dict)
    uncommitted: Mapping[int, str] = field(default_factory=dict)  # partition -> why its offset was not committed

    @property
    def count(self) -> int:
        return sum(stop - start for start, stop in self.ranges.values())

    @property
    def complete(self) -> bool:
        """Every message re-published and every replayed offset committed."""
        return not self.failed and not self.uncommitted

    def to_dict(self) -> dict[str, object]:
        return {"group_id": self.group_id, "dlq": self.dlq, "target": self.target,
                "replay_group": self.replay_group, "count": self.count, "executed": self.executed,
                "ranges": {str(p): list(r) for p, r in sorted(self.ranges.items())},
                "sample": [s.to_dict() for s in self.sample], "published": self.published,
                "failed": self.failed, "committed": {str(p): o for p, o in sorted(self.committed.items())},
                "uncommitted": {str(p): why for p, why in sorted(self.uncommitted.items())}}


def _text(data: bytes | str | None) -> str | None:
    if data is None:
        return None
    return data if isinstance(data, str) else data.decode("utf-8", errors="backslashreplace")


def replay_dlq(
    root: Path, env: str, name: str, limit: int | None = None, to: str | None = None, execute: bool = False
) -> ReplayResult:
    """Re-publish the group's dead letters to its main topic (or `to`, one of its topics): a dry run
    counts and samples them; `execute` re-publishes with an idempotent producer and commits the DLQ
    offsets it replayed for the replay group `<group id>.replay`, so the next replay resumes there."""
    config = load_config(root.resolve(), env)
    prefix = config.environment.prefix
    spec = _group_for(config, name)
    if spec.dlq_topic is None:
        raise MqctlError(f"group {spec.name} declares no dlq_topic: nothing to replay")
    if not spec.topics and to is None:
        raise MqctlError(f"group {spec.name} declares no topics: say where to replay with --to")
    target = _consumed(spec, to, prefix) if to is not None else spec.topics[0]
    with Edges(config.environment) as edges:
        admin = edges.service(GroupAdmin)
        replay_group = spec.group_id + REPLAY_SUFFIX
        group = admin.list_groups([replay_group]).get(replay_group)
        _refuse_active(admin, group, "replay")
        leaders = admin.leaders([spec.dlq_topic, target])
        for topic in (spec.dlq_topic, target):
            if topic not in leaders:
                raise MqctlError(f"topic {topic.removeprefix(prefix)!r} does not exist in environment {env}")
        dlq = spec.dlq_topic
        _led(leaders, dlq, list(leaders[dlq]), prefix)
        committed = admin.committed({replay_group: group}).get(replay_group, {}) if group else {}
        earliest = admin.list_offsets(leaders, {(dlq, p): -2 for p in leaders[dlq]})
        end = admin.list_offsets(leaders, {(dlq, p): -1 for p in leaders[dlq]})
        positions = {p: max(committed.get((dlq, p), start), start) for (_, p), start in earliest.items()}
        ranges = replay_ranges(positions, {p: o for (_, p), o in end.items()}, limit)
        runner = Replay(admin, replay_group, dlq)
        if not execute:
            shown = runner.read(ranges, SAMPLE_SIZE)
            return ReplayResult(spec.group_id, dlq, target, replay_group, ranges, _samples(shown), False)
        messages = runner.read(ranges, None)
        failed = runner.publish(messages, target, REPLAY_HEADER)
        read: dict[int, list[int]] = {}
        for message in messages:
            read.setdefault(message.partition(), []).append(message.offset())
        points = commit_points(read, failed)
        refused = runner.commit(points)
        return ReplayResult(spec.group_id, dlq, target, replay_group, ranges, _samples(messages[:SAMPLE_SIZE]), True,
                            published=len(messages) - len(failed), failed=len(failed),
                            committed={p: o for p, o in points.items() if p not in refused}, uncommitted=refused)


def _samples(messages: Sequence[Any]) -> tuple[Sample, ...]:
    return tuple(
        Sample(m.partition(), m.offset(), _text(m.key()), _text(m.value()),
               tuple((k, _text(v) or "") for k, v in (m.headers() or [])))
        for m in messages
    )
