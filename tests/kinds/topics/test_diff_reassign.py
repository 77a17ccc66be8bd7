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


FOUR = {1: "dc-a", 2: "dc-b", 3: "dc-c", 4: "dc-a"}


def four_brokers(replicas: tuple[tuple[int, ...], ...]) -> LiveTopics:
    topic = LiveTopic(NAME, len(replicas), replicas, {"min.insync.replicas": LiveConfig("1", "DEFAULT_CONFIG")})
    return LiveTopics((1, 2, 3, 4), {NAME: topic}, frozenset([NAME]), FOUR)


def test_rack_aware_placement_moves_partitions_that_do_not_span_the_racks() -> None:
    current = ((1, 4), (4, 1), (1, 2))
    wanted = [spec(partitions=3, rf=2)]
    assert diff_topics(wanted, four_brokers(current), "prod.") == ([], [])  # as-is: left alone
    (change,), problems = diff_topics(wanted, four_brokers(current), "prod.", placement="rack-aware")
    assert problems == [] and isinstance(change, TopicReassign) and not change.destructive
    assert change.moves == (Move(0, (1, 4), (1, 3)), Move(1, (4, 1), (4, 2)))  # least loaded first
    counted = "2 of 3 partition(s) on fewer racks than min(RF, racks)"
    assert change.diffs[0] == FieldDiff("placement", counted, "rack-aware")
    assert change.diffs[1:] == (FieldDiff("replicas[0]", (1, 4), (1, 3)), FieldDiff("replicas[1]", (4, 1), (4, 2)))
    spread_out = ((1, 3), (4, 2), (1, 2))
    assert diff_topics(wanted, four_brokers(spread_out), "prod.", placement="rack-aware") == ([], [])


def test_a_topics_own_placement_wins_over_the_environments() -> None:
    current = ((1, 4),)
    own = TopicSpec("order.created.v1", NAME, 1, 2, {}, Source("topics/a.yaml", 4), placement="rack-aware")
    (change,), _ = diff_topics([own], four_brokers(current), "prod.")
    assert isinstance(change, TopicReassign) and change.moves == (Move(0, (1, 4), (1, 2)),)
    opted_out = TopicSpec("order.created.v1", NAME, 1, 2, {}, Source("topics/a.yaml", 4), placement="as-is")
    assert diff_topics([opted_out], four_brokers(current), "prod.", placement="rack-aware") == ([], [])


def test_a_factor_change_under_rack_aware_placement_also_spreads_the_kept_replicas() -> None:
    (change,), _ = diff_topics([spec(partitions=1, rf=3)], four_brokers(((1, 4),)), "prod.", placement="rack-aware")
    assert isinstance(change, TopicReassign)
    (move,) = change.moves
    assert move.after[0] == 1 and len({FOUR[b] for b in move.after}) == 3
