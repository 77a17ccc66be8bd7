"""Where the replicas of a topic go when its replication factor changes. Pure: plain ids in, ids out.

Rules, in order of weight: every replica that can stay does stay (each moved replica is a full copy
of the partition over the network); a partition spreads over as many racks as it can (a rack is the
failure domain); replica and leader counts stay even across brokers. The preferred leader (first
replica) never changes when it is kept, so a reassignment moves no leadership by itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

Assignment = tuple[tuple[int, ...], ...]  # replica broker ids per partition, preferred leader first


def _rack(racks: Mapping[int, str | None], broker: int) -> str:
    """A broker without a rack is its own failure domain."""
    return racks.get(broker) or f"broker-{broker}"


def _shrink(replicas: tuple[int, ...], rf: int, racks: Mapping[int, str | None], load: Counter[int]) -> list[int]:
    """Drop followers one at a time: first those whose rack another replica also covers, then the
    busiest broker; the preferred leader stays."""
    kept = list(replicas)
    while len(kept) > rf:
        per_rack = Counter(_rack(racks, b) for b in kept)
        victim = max(kept[1:], key=lambda b: (per_rack[_rack(racks, b)], load[b], b))
        kept.remove(victim)
        load[victim] -= 1
    return kept


def _grow(
    replicas: list[int], rf: int, brokers: Sequence[int], racks: Mapping[int, str | None], load: Counter[int]
) -> list[int]:
    """Add brokers one at a time: an unused rack first, then the least loaded broker, then the next
    broker after the leader (as Kafka's own assignment does), so ties do not all land on one broker."""
    start = brokers.index(replicas[0]) if replicas else 0
    while len(replicas) < rf:
        used = {_rack(racks, b) for b in replicas}
        candidates = [b for b in brokers if b not in replicas]
        pick = min(
            candidates,
            key=lambda b: (_rack(racks, b) in used, load[b], (brokers.index(b) - start) % len(brokers)),
        )
        replicas.append(pick)
        load[pick] += 1
    return replicas


def _balance_leaders(new: list[list[int]], old: Assignment) -> None:
    """A partition that had no replicas (or lost its leader) leads on its least-leading replica."""
    leaders = Counter(r[0] for r, o in zip(new, old, strict=True) if o and r[0] == o[0])
    for replicas, before in zip(new, old, strict=True):
        if before and replicas[0] == before[0]:
            continue
        best = min(replicas, key=lambda b: (leaders[b], replicas.index(b)))
        replicas.remove(best)
        replicas.insert(0, best)
        leaders[best] += 1


def place(current: Assignment, rf: int, racks: Mapping[int, str | None]) -> Assignment:
    """The new replica sets of a topic whose partitions are `current`, at replication factor `rf`,
    over the brokers in `racks` (broker id -> rack). An empty tuple in `current` is a partition with
    no replicas yet (placed from scratch). `rf` must not exceed the broker count."""
    brokers = sorted(racks)
    if not 1 <= rf <= len(brokers):
        raise ValueError(f"replication factor {rf} needs 1..{len(brokers)} brokers")
    live = [tuple(b for b in replicas if b in racks) for replicas in current]  # gone brokers lose theirs
    load: Counter[int] = Counter({b: 0 for b in brokers})
    for replicas in live:
        load.update(replicas)
    kept = [_shrink(replicas, rf, racks, load) for replicas in live]
    grown = [_grow(replicas, rf, brokers, racks, load) for replicas in kept]
    _balance_leaders(grown, tuple(live))
    return tuple(tuple(r) for r in grown)
