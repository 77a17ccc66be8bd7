"""Draining a broker, planned on plain data: which topics move, where, and what blocks a move."""

from __future__ import annotations

import pytest

from mqctl.diagnostics import MqctlError
from mqctl.kinds.topics.changes import TopicReassign
from mqctl.kinds.topics.drain import plan_drain
from mqctl.live import PartitionState

RACKS = {1: "dc-a", 2: "dc-b", 3: "dc-c", 4: "dc-a"}


def parts(topic: str, *replicas: tuple[int, ...]) -> list[PartitionState]:
    return [PartitionState(topic, i, r[0], r, r) for i, r in enumerate(replicas)]


def test_only_topics_with_a_replica_on_the_broker_move_and_only_those_partitions() -> None:
    partitions = parts("prod.a.v1", (4, 1), (1, 2)) + parts("prod.b.v1", (2, 3)) + parts("dev.c.v1", (4, 2, 3))
    plan = plan_drain("prod", 4, partitions, RACKS, {}, ("prod.*",))
    (change,) = plan.changes
    assert isinstance(change, TopicReassign) and change.name == "prod.a.v1" and not change.resume
    (move,) = change.moves
    assert (move.partition, move.before) == (0, (4, 1)) and 4 not in move.after and len(move.after) == 2
    assert change.diffs[0].field == "drain" and change.diffs[1].field == "replicas[0]"
    everything = plan_drain("prod", 4, partitions, RACKS, {})
    assert [c.name for c in everything.changes] == ["dev.c.v1", "prod.a.v1"]  # unscoped: other environments too
    (moved,) = everything.changes[0].moves  # type: ignore[attr-defined]
    assert sorted(moved.after) == [1, 2, 3]  # the one rack left for it: dc-a's other broker


def test_moves_in_progress_and_too_few_brokers_are_plan_errors() -> None:
    partitions = parts("prod.a.v1", (4, 1)) + parts("prod.b.v1", (4, 1, 2, 3))
    plan = plan_drain("prod", 4, partitions, RACKS, {"prod.a.v1": {0: (4, 2)}})
    assert plan.changes == ()
    assert [(e.key, e.message.split(";")[0]) for e in plan.errors] == [
        ("prod.a.v1", "a reassignment of this topic is in progress"),
        ("prod.b.v1", "4 replicas per partition need 4 brokers"),
    ]


def test_a_stopped_broker_can_be_drained_but_an_unknown_one_is_an_error() -> None:
    down = {b: r for b, r in RACKS.items() if b != 4}
    (change,) = plan_drain("prod", 4, parts("prod.a.v1", (4, 1)), down, {}).changes
    assert isinstance(change, TopicReassign) and 4 not in change.moves[0].after
    with pytest.raises(MqctlError, match="broker 7 is not a broker of this cluster"):
        plan_drain("prod", 7, parts("prod.a.v1", (4, 1)), RACKS, {})
