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


def domain(racks: Mapping[int, str | None], broker: int) -> str:
    """The failure domain of `broker`: its rack; a broker without a rack is its own domain."""
    return racks.get(broker) or f"broker-{broker}"


def wanted_domains(replicas: Sequence[int], racks: Mapping[int, str | None]) -> int:
    """How many failure domains a partition with these replicas should span: min(RF, domains)."""
    return min(len(replicas), len({domain(racks, b) for b in racks}))


def spans(replicas: Sequence[int], racks: Mapping[int, str | None]) -> int:
    """How many failure domains the replicas span."""
    return len({domain(racks, b) for b in replicas})


def _shrink(replicas: tuple[int, ...], rf: int, racks: Mapping[int, str | None], load: Counter[int]) -> list[int]:
    """Drop followers one at a time: first those whose rack another replica also covers, then the
    busiest broker; the preferred leader stays."""
    kept = list(replicas)
    while len(kept) > rf:
        per_rack = Counter(domain(racks, b) for b in kept)
        victim = max(kept[1:], key=lambda b: (per_rack[domain(racks, b)], load[b], b))
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
        used = {domain(racks, b) for b in replicas}
        candidates = [b for b in brokers if b not in replicas]
        pick = min(
            candidates,
            key=lambda b: (domain(racks, b) in used, load[b], (brokers.index(b) - start) % len(brokers)),
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


def spread(current: Assignment, racks: Mapping[int, str | None]) -> Assignment:
    """Replica sets that span min(RF, racks) failure domains (`placement: rack-aware`). A partition
    that already does is unchanged; otherwise followers whose rack another replica also covers are
    replaced, least loaded broker on an unused rack first, each in its place in the list: the
    preferred leader and the replication factor stay."""
    brokers = sorted(racks)
    load: Counter[int] = Counter({b: 0 for b in brokers})
    for replicas in current:
        load.update(replicas)
    out = []
    for replicas in current:
        kept = list(replicas)
        while spans(kept, racks) < wanted_domains(kept, racks):
            per_rack = Counter(domain(racks, b) for b in kept)
            victim = max((b for b in kept[1:] if per_rack[domain(racks, b)] > 1), key=lambda b: (load[b], b))
            unused = [b for b in brokers if b not in kept and domain(racks, b) not in per_rack]
            pick = min(unused, key=lambda b: (load[b], b))
            kept[kept.index(victim)] = pick
            load[victim] -= 1
            load[pick] += 1
        out.append(tuple(kept))
    return tuple(out)


def drain(current: Assignment, leaving: int, racks: Mapping[int, str | None]) -> Assignment:
    """The replica sets of a topic once broker `leaving` holds none of them (a decommission): each
    of its replicas goes to another broker, rack-aware and least loaded first, as `place` puts the
    replicas of a broker that left; partitions without one on `leaving` are unchanged. Partitions
    are placed in groups of equal replication factor."""
    staying = {b: rack for b, rack in racks.items() if b != leaving}
    out: list[tuple[int, ...]] = list(current)
    for rf in sorted({len(r) for r in current}):
        group = [p for p, replicas in enumerate(current) if len(replicas) == rf]
        placed = place(tuple(current[p] for p in group), rf, staying)
        for p, replicas in zip(group, placed, strict=True):
            out[p] = replicas
    return tuple(out)
