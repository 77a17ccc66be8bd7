"""Replication-factor changes in the pure topic diff: placement, min ISR, reassignments in progress."""

from __future__ import annotations

from mqctl.kinds import apply_order
from mqctl.kinds.topics.changes import Move, TopicReassign, TopicUpdate
from mqctl.kinds.topics.diff import diff_topics
from mqctl.kinds.topics.live import LiveTopic, LiveTopics
from mqctl.kinds.topics.spec import TopicSpec
from mqctl.live import LiveConfig
from mqctl.plan import FieldDiff, Plan
from mqctl.spec.model import Source

NAME = "prod.order.created.v1"
RACKS = {1: "dc-a", 2: "dc-b", 3: "dc-c"}


def spec(partitions: int = 2, rf: int = 3, **config: str) -> TopicSpec:
    return TopicSpec("order.created.v1", NAME, partitions, rf, config, Source("topics/a.yaml", 4))


def live(
    replicas: tuple[tuple[int, ...], ...],
    moving: dict[int, tuple[int, ...]] | None = None,
    min_isr: str = "1",
) -> LiveTopics:
    configs = {"min.insync.replicas": LiveConfig(min_isr, "DEFAULT_CONFIG")}
    topic = LiveTopic(NAME, len(replicas), replicas, configs, moving or {})
    return LiveTopics((1, 2, 3), {NAME: topic}, frozenset([NAME]), RACKS)


def test_increase_plans_each_partitions_new_replica_set() -> None:
    (change,), problems = diff_topics([spec()], live(((1,), (2,))), "prod.")
    assert problems == []
    assert isinstance(change, TopicReassign) and not change.resume and not change.destructive
    assert change.moves == (Move(0, (1,), (1, 3, 2)), Move(1, (2,), (2, 3, 1)))
    assert change.diffs == (
        FieldDiff("replication_factor", 1, 3),
        FieldDiff("replicas[0]", (1,), (1, 3, 2)),
        FieldDiff("replicas[1]", (2,), (2, 3, 1)),
    )


def test_decrease_is_destructive_and_keeps_leaders() -> None:
    (change,), _ = diff_topics([spec(rf=2)], live(((1, 2, 3), (2, 3, 1))), "prod.")
    assert isinstance(change, TopicReassign)
    assert [m.after[0] for m in change.moves] == [1, 2]
    assert all(len(m.after) == 2 for m in change.moves)
    assert change.all_risks == ("replication factor cut from 3 to 2: fewer copies survive a broker loss",)


def test_decrease_below_min_insync_replicas_is_a_plan_error() -> None:
    changes, problems = diff_topics([spec(rf=1)], live(((1, 2, 3), (2, 3, 1)), min_isr="2"), "prod.")
    assert changes == []
    (problem,) = problems
    assert problem.key == "replication_factor"
    assert "replication factor 1 is below min.insync.replicas=2" in problem.message


def test_lowering_min_isr_in_the_same_spec_allows_the_decrease() -> None:
    changes, problems = diff_topics(
        [spec(rf=1, **{"min.insync.replicas": "1"})], live(((1, 2, 3), (2, 3, 1)), min_isr="2"), "prod."
    )
    assert problems == []
    reassign, update = changes
    assert isinstance(reassign, TopicReassign) and isinstance(update, TopicUpdate)
    plan = Plan.build("prod", [update, reassign], order=apply_order)
    assert [type(c) for c in plan.changes] == [TopicReassign, TopicUpdate]  # replicas move first


def test_more_replicas_than_brokers_is_a_plan_error() -> None:
    changes, problems = diff_topics([spec(rf=4)], live(((1,), (2,))), "prod.")
    assert changes == [] and "needs at least that many brokers; the cluster has 3" in problems[0].message


def test_reassignment_in_progress_towards_the_spec_is_resumed_not_restarted() -> None:
    state = live(((1, 2, 3), (2, 3, 1)), moving={0: (1, 2, 3)})
    (change,), problems = diff_topics([spec(rf=3)], state, "prod.")
    assert problems == []
    assert isinstance(change, TopicReassign) and change.resume
    assert change.moves == (Move(0, (1, 2, 3), (1, 2, 3)),)
    assert change.diffs[0].field == "reassignment"


def test_resume_finishes_the_move_in_flight_and_leaves_the_rest_to_the_next_plan() -> None:
    state = live(((1, 2, 3), (2,)), moving={0: (1, 2, 3)})
    (change,), problems = diff_topics([spec(rf=3)], state, "prod.")
    assert problems == []
    assert isinstance(change, TopicReassign) and change.resume
    assert [m.partition for m in change.moves] == [0]


def test_reassignment_in_progress_elsewhere_blocks_a_new_one() -> None:
    state = live(((1, 2, 3), (2, 3, 1)), moving={0: (1, 2)})
    changes, problems = diff_topics([spec(rf=3)], state, "prod.")
    assert changes == []
    (problem,) = problems
    assert "a reassignment of partitions [0] is in progress" in problem.message
    assert "never starts a second one" in problem.message
