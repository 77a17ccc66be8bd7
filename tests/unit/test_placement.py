"""Rack-aware replica placement on plain data."""

from __future__ import annotations

from collections import Counter

import pytest

from mqctl.placement import drain, place, spans, spread, wanted_domains

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


FOUR_TWO_A = {1: "dc-a", 2: "dc-b", 3: "dc-c", 4: "dc-a"}  # the local cluster: broker 4 shares dc-a


def test_spread_replaces_doubled_rack_followers_and_keeps_leader_and_factor() -> None:
    current = ((1, 4), (4, 1), (1, 2), (4, 1, 2), (2, 3, 1))
    new = spread(current, FOUR_TWO_A)
    assert [r[0] for r in new] == [1, 4, 1, 4, 2]
    assert [len(r) for r in new] == [2, 2, 2, 3, 3]
    assert all(spans(r, FOUR_TWO_A) == wanted_domains(r, FOUR_TWO_A) for r in new)
    assert new[2:3] == ((1, 2),) and new[4] == (2, 3, 1)  # already spread: untouched
    assert new[3] == (4, 3, 2)  # the doubled-rack follower went to the unused rack, in its place


def test_spread_counts_a_broker_without_a_rack_as_its_own_domain() -> None:
    racks = {1: None, 2: None, 3: "x"}
    assert spread(((1, 2), (3, 1)), racks) == ((1, 2), (3, 1))


def test_drain_moves_every_replica_off_the_broker_rack_aware() -> None:
    current = ((1, 4), (4, 1), (4, 2, 3), (2, 3, 1))
    new = drain(current, 4, FOUR_TWO_A)
    assert all(4 not in r for r in new)
    assert new[3] == (2, 3, 1)  # no replica on 4: unchanged
    assert new[0][0] == 1 and len(new[0]) == 2 and spans(new[0], FOUR_TWO_A) == 2
    assert sorted(new[2]) == [1, 2, 3]  # the only rack left for it is dc-a's other broker
    assert all(len(a) == len(b) for a, b in zip(current, new, strict=True))


def test_drain_places_partitions_of_different_factors_separately() -> None:
    new = drain(((4,), (4, 1, 2)), 4, FOUR_TWO_A)
    assert len(new[0]) == 1 and new[0] != (4,)
    assert sorted(new[1]) == [1, 2, 3]
