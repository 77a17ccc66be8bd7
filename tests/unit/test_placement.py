"""Rack-aware replica placement on plain data."""

from __future__ import annotations

from collections import Counter

import pytest

from mqctl.placement import place

THREE_RACKS = {1: "dc-a", 2: "dc-b", 3: "dc-c"}
SIX_TWO_RACKS = {1: "a", 2: "a", 3: "a", 4: "b", 5: "b", 6: "b"}


def test_increase_keeps_every_existing_replica_and_its_leader() -> None:
    current = ((1,), (2,), (3,), (1,))
    new = place(current, 3, THREE_RACKS)
    assert [r[0] for r in new] == [1, 2, 3, 1]
    assert all(sorted(r) == [1, 2, 3] for r in new)


def test_increase_spreads_over_racks_before_brokers() -> None:
    current = ((1,), (4,), (2,), (5,))
    new = place(current, 2, SIX_TWO_RACKS)
    for before, after in zip(current, new, strict=True):
        assert after[0] == before[0]
        assert {SIX_TWO_RACKS[b] for b in after} == {"a", "b"}


def test_increase_balances_replica_counts() -> None:
    current = tuple((b,) for b in [1, 2, 3, 4, 5, 6] * 2)
    new = place(current, 3, SIX_TWO_RACKS)
    counts = Counter(b for r in new for b in r)
    assert max(counts.values()) - min(counts.values()) <= 1
    assert all(len(set(r)) == 3 and len({SIX_TWO_RACKS[b] for b in r}) == 2 for r in new)


def test_decrease_keeps_leader_and_drops_the_doubled_rack_first() -> None:
    current = ((1, 2, 4), (4, 5, 1))
    assert place(current, 2, SIX_TWO_RACKS) == ((1, 4), (4, 1))


def test_decrease_balances_what_remains() -> None:
    current = tuple((1, 2, 3) for _ in range(6))
    new = place(current, 2, THREE_RACKS)
    assert all(r[0] == 1 for r in new)  # leaders are never moved by a decrease
    followers = Counter(r[1] for r in new)
    assert followers == {2: 3, 3: 3}


def test_unchanged_factor_is_the_identity() -> None:
    current = ((1, 2), (2, 3), (3, 1))
    assert place(current, 2, THREE_RACKS) == current


def test_partitions_without_replicas_are_placed_with_balanced_leaders() -> None:
    new = place(((), (), ()), 2, THREE_RACKS)
    assert sorted(r[0] for r in new) == [1, 2, 3]
    assert all(len(set(r)) == 2 for r in new)


def test_replicas_on_departed_brokers_are_replaced() -> None:
    assert place(((9, 1),), 2, THREE_RACKS) == ((1, 2),)


def test_brokers_without_racks_are_each_their_own_domain() -> None:
    new = place(((1,), (2,), (3,)), 2, {1: None, 2: None, 3: None})
    assert all(len(set(r)) == 2 for r in new)
    assert Counter(b for r in new for b in r) == {1: 2, 2: 2, 3: 2}


def test_factor_beyond_the_broker_count_is_refused() -> None:
    with pytest.raises(ValueError, match=r"replication factor 4 needs 1\.\.3 brokers"):
        place(((1,),), 4, THREE_RACKS)
