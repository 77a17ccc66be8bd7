"""`groups status` arithmetic: lag, time lag and threshold breaches from plain offsets. Pure.

Definitions (docs/groups.md):

- lag of a partition: its end offset (the offset the next message will get) minus the group's
  committed offset, never below 0; a partition without a committed offset has no lag (null);
- a topic's lag is the sum over its partitions, and `max_partition_lag` the largest of them;
- time lag of a partition: now minus the timestamp of the oldest unconsumed message, the first
  data record at or after the committed offset (0 when the partition has no lag); a topic's time
  lag is the largest of its partitions', so it is the age of the topic's oldest unconsumed message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mqctl.kinds.groups.spec import GroupSpec

TP = tuple[str, int]  # (topic, partition)
Record = tuple[int, int]  # (offset, timestamp ms)
FORMAT_VERSION = 1


class TimestampReads:
    """Which record timestamps are still wanted, and what the fetches found: many groups may wait
    on one partition at different offsets, and a fetch holds one offset per partition, so each
    round fetches every partition from its lowest unresolved offset; the records it returns also
    resolve every other wanted offset they cover."""

    def __init__(self, wanted: Mapping[TP, set[int]]) -> None:
        self.pending: dict[TP, set[int]] = {tp: set(offsets) for tp, offsets in wanted.items() if offsets}
        self.found: dict[tuple[TP, int], int] = {}  # (partition, wanted offset) -> timestamp ms
        self._floor: dict[TP, int] = {}  # log start offsets learnt from OFFSET_OUT_OF_RANGE
        self._alias: dict[tuple[TP, int], set[int]] = {}  # effective offset -> the wanted ones it stands for

    def next_round(self) -> dict[TP, int]:
        """Partition -> the offset to fetch from next."""
        return {tp: min(offsets) for tp, offsets in self.pending.items() if offsets}

    def out_of_range(self, tp: TP, log_start: int) -> None:
        """The wanted offsets below the log start were deleted (retention): the oldest message
        the group has not consumed is the first one still there."""
        offsets = self.pending.get(tp, set())
        below = {o for o in offsets if o < log_start}
        if not below or log_start < 0:
            self.pending.pop(tp, None)  # nothing sensible to read: left unknown
            return
        self._alias.setdefault((tp, log_start), set()).update(below)
        self.pending[tp] = (offsets - below) | {log_start}

    def take(self, tp: TP, records: Sequence[Record]) -> None:
        """Resolve every pending offset of `tp` that the fetched `records` reach."""
        offsets = self.pending.get(tp)
        if not offsets:
            return
        if not records:
            self.pending.pop(tp)  # nothing after the offset (only control records): unknown
            return
        ordered = sorted(records)
        last = ordered[-1][0]
        resolved = []
        at = 0
        found, alias = self.found, self._alias
        for offset in sorted(offsets):
            if offset > last:
                break
            while ordered[at][0] < offset:
                at += 1
            resolved.append(offset)
            timestamp = ordered[at][1]
            found[(tp, offset)] = timestamp
            if alias:  # only after an OFFSET_OUT_OF_RANGE: the offsets below the log start it stands for
                for wanted in alias.pop((tp, offset), ()):
                    found[(tp, wanted)] = timestamp
        self.pending[tp] = offsets.difference(resolved)

    def timestamp(self, tp: TP, offset: int) -> int | None:
        return self.found.get((tp, offset))


class PartitionLag(NamedTuple):
    """One partition of one group, a row of the JSON output (a tuple: 1,000 groups x 10 partitions
    make 10,000 of them; built only for JSON, see TopicLag.partitions)."""

    partition: int
    committed: int | None
    end: int | None  # None: the partition has no leader now (its brokers are down)
    lag: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"partition": self.partition, "committed": self.committed, "end": self.end, "lag": self.lag}


@dataclass(frozen=True)
class TopicLag:
    topic: str
    lag: int | None  # None: no partition has a committed offset
    max_partition_lag: int | None
    time_lag_seconds: float | None  # None: no committed offset, or a timestamp could not be read
    committed: tuple[int | None, ...]  # per partition, in partition order
    ends: tuple[int | None, ...]  # None: the partition has no leader now
    watched: bool = True  # a topic of the spec (thresholds apply), not only one with commits

    @property
    def partitions(self) -> tuple[PartitionLag, ...]:
        """The per-partition rows, built when asked for (JSON output): text and Markdown show only
        the topic's sums, and 1,000 groups x 10 partitions would make 10,000 rows for nothing."""
        return tuple(partition_lag(p, c, e) for p, (c, e) in enumerate(zip(self.committed, self.ends, strict=True)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "lag": self.lag,
            "max_partition_lag": self.max_partition_lag,
            "time_lag_seconds": self.time_lag_seconds,
            "partitions": [p.to_dict() for p in self.partitions],
        }


@dataclass(frozen=True)
class Breach:
    alert: str  # max_lag, max_time_lag, min_members, max_members
    value: float
    limit: float
    topic: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"alert": self.alert, "value": self.value, "limit": self.limit, "topic": self.topic}


@dataclass(frozen=True)
class GroupStatus:
    name: str
    group_id: str
    state: str  # the live state, or "Missing" when the group does not exist
    protocol: str | None  # classic, consumer, share, streams; None when missing
    members: int | None
    topics: tuple[TopicLag, ...]
    breaches: tuple[Breach, ...]
    declared: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "group_id": self.group_id,
            "declared": self.declared,
            "state": self.state,
            "protocol": self.protocol,
            "members": self.members,
            "topics": [t.to_dict() for t in self.topics],
            "breaches": [b.to_dict() for b in self.breaches],
        }


@dataclass(frozen=True)
class StatusReport:
    environment: str
    groups: tuple[GroupStatus, ...]
    requests: int = field(default=0, compare=False)  # admin requests the report cost

    @property
    def breached(self) -> bool:
        return any(group.breaches for group in self.groups)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "environment": self.environment,
            "groups": [g.to_dict() for g in self.groups],
        }


@dataclass(frozen=True)
class GroupFacts:
    """What the cluster said about one group (plain values; see GroupAdmin)."""

    state: str | None  # None: no such group
    protocol: str | None
    members: int | None
    committed: Mapping[TP, int]


def lag_of(committed: int | None, end: int | None) -> int | None:
    """Messages between the committed offset and the end (None: either is unknown); a commit past
    the end (a truncated log) counts as none, never negative."""
    return None if committed is None or end is None else max(0, end - committed)


def partition_lag(partition: int, committed: int | None, end: int | None) -> PartitionLag:
    return PartitionLag(partition, committed, end, lag_of(committed, end))


def topic_lag(
    topic: str,
    partitions: int,
    committed: Mapping[TP, int],
    ends: Mapping[TP, int],
    timestamps: TimestampReads,
    now_ms: int,
    watched: bool,
) -> TopicLag:
    """One pass over the topic's partitions (1,000 groups x 10 partitions make 10,000): the sums,
    and the oldest unconsumed timestamp, looked up only for partitions with lag; the rows are
    built only when asked for (TopicLag.partitions)."""
    offsets: list[int | None] = []
    ends_of: list[int | None] = []
    total, most = 0, -1  # most stays -1 when no partition has a lag to count
    oldest: int | None = None
    unknown = False
    found = timestamps.found
    for p in range(partitions):
        tp = (topic, p)
        offset, end = committed.get(tp), ends.get(tp)
        offsets.append(offset)
        ends_of.append(end)
        if offset is None or (lag := lag_of(offset, end)) is None:
            continue
        total += lag
        if lag > most:
            most = lag
        if lag:
            stamp = found.get((tp, offset))
            if stamp is None:
                unknown = True
            elif oldest is None or stamp < oldest:
                oldest = stamp
    counted = most >= 0
    # the oldest unconsumed message is the one with the smallest timestamp: its age is the largest
    age = 0.0 if oldest is None else max(0.0, (now_ms - oldest) / 1000)
    time_lag = None if not counted or unknown else round(age, 3)
    return TopicLag(
        topic,
        total if counted else None,
        most if counted else None,
        time_lag,
        tuple(offsets),
        tuple(ends_of),
        watched,
    )


def breaches(spec: GroupSpec, members: int, topics: Sequence[TopicLag], partitions: Mapping[str, int]) -> list[Breach]:
    """The group's alerts compared with what was measured; topics outside the spec (e.g. the DLQ,
    which replay commits on) are shown but not alerted on."""
    alerts = spec.alerts
    found = []
    for topic in topics:
        if not topic.watched:
            continue
        if alerts.max_lag is not None and topic.lag is not None and topic.lag > alerts.max_lag:
            found.append(Breach("max_lag", topic.lag, alerts.max_lag, topic.topic))
        limit = alerts.max_time_lag_ms
        if limit is not None and topic.time_lag_seconds is not None and topic.time_lag_seconds * 1000 > limit:
            found.append(Breach("max_time_lag", topic.time_lag_seconds, limit / 1000, topic.topic))
    if alerts.min_members is not None and members < alerts.min_members:
        found.append(Breach("min_members", members, alerts.min_members))
    most = max_members(spec, partitions)
    if most is not None and members > most:
        found.append(Breach("max_members", members, most))
    return found


def max_members(spec: GroupSpec, partitions: Mapping[str, int]) -> int | None:
    """The spec's max_members, else the smallest partition count of its topics (an instance more
    than that has nothing to consume: the design's "instances never more than partitions")."""
    if spec.alerts.max_members is not None:
        return spec.alerts.max_members
    counts = [partitions[t] for t in spec.topics if t in partitions]
    return min(counts) if counts else None


def group_status(
    spec: GroupSpec | None,
    group_id: str,
    name: str,
    facts: GroupFacts,
    ends: Mapping[TP, int],
    partitions: Mapping[str, int],
    timestamps: TimestampReads,
    now_ms: int,
) -> GroupStatus:
    """One group's status: every topic the spec names (existing ones) and every topic it has
    committed offsets on, in that order."""
    watched = list(spec.consumed) if spec else []
    others = sorted({topic for topic, _ in facts.committed} - set(watched))
    topics = [
        topic_lag(t, partitions[t], facts.committed, ends, timestamps, now_ms, t in watched)
        for t in [*watched, *others]
        if t in partitions
    ]
    members = facts.members or 0
    found = breaches(spec, members, topics, partitions) if spec else []
    return GroupStatus(
        name=name,
        group_id=group_id,
        state=facts.state or "Missing",
        protocol=facts.protocol,
        members=facts.members if facts.state else 0,
        topics=tuple(topics),
        breaches=tuple(found),
        declared=spec is not None,
    )


def wanted_timestamps(
    committed: Iterable[Mapping[TP, int]], ends: Mapping[TP, int]
) -> dict[TP, set[int]]:
    """Partition -> the committed offsets behind its end: the records whose timestamps time lag needs."""
    wanted: dict[TP, set[int]] = {}
    for offsets in committed:
        for tp, offset in offsets.items():
            end = ends.get(tp)
            if end is not None and offset < end:
                offsets_of = wanted.get(tp)
                if offsets_of is None:
                    wanted[tp] = {offset}
                else:
                    offsets_of.add(offset)
    return wanted
