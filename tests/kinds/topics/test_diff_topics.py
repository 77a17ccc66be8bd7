"""The topic diff engine on plain data: desired specs and a live snapshot in, typed changes out."""

from __future__ import annotations

from mqctl.config import Environment, Policy
from mqctl.diagnostics import Severity
from mqctl.kind import DesiredState, Snapshots
from mqctl.kinds import KINDS
from mqctl.kinds.topics.changes import TopicCreate, TopicDelete, TopicReassign, TopicUpdate
from mqctl.kinds.topics.diff import diff_topics
from mqctl.kinds.topics.live import LiveTopic, LiveTopics
from mqctl.kinds.topics.spec import TopicSpec
from mqctl.live import LiveConfig
from mqctl.plan import Action, FieldDiff
from mqctl.spec.model import Source
from mqctl.workflows.plan import compute_plan

PREFIX = "prod."
TOPICS_ONLY = [k for k in KINDS if k.name == "topics"]


def spec(name: str = "order.created.v1", partitions: int = 3, rf: int = 3, **config: str) -> TopicSpec:
    return TopicSpec(
        name,
        PREFIX + name,
        partitions,
        rf,
        {k.replace("_", "."): v for k, v in config.items()},
        Source("topics/a.yaml", 4),
    )


def live_topic(
    name: str = "order.created.v1",
    partitions: int = 3,
    rf: int = 3,
    overrides: dict[str, str] | None = None,
    defaults: dict[str, str] | None = None,
) -> LiveTopic:
    configs = {k: LiveConfig(v, "DEFAULT_CONFIG") for k, v in (defaults or {}).items()}
    configs.update({k: LiveConfig(v, "DYNAMIC_TOPIC_CONFIG") for k, v in (overrides or {}).items()})
    return LiveTopic(PREFIX + name, partitions, tuple(tuple(range(1, rf + 1)) for _ in range(partitions)), configs)


def state(*topics: LiveTopic, brokers: int = 3, others: tuple[str, ...] = ()) -> LiveTopics:
    return LiveTopics(
        tuple(range(1, brokers + 1)), {t.name: t for t in topics}, frozenset([*(t.name for t in topics), *others])
    )


def test_missing_topic_is_created_with_all_fields() -> None:
    changes, problems = diff_topics([spec(retention_ms="604800000")], state(), PREFIX)
    assert problems == []
    (change,) = changes
    assert isinstance(change, TopicCreate)
    assert (change.name, change.partitions, change.replication_factor) == ("prod.order.created.v1", 3, 3)
    assert change.config == {"retention.ms": "604800000"}
    assert [d.field for d in change.diffs] == ["partitions", "replication_factor", "config.retention.ms"]
    assert not change.destructive


def test_matching_topic_gives_no_change_even_when_value_is_the_default() -> None:
    live = live_topic(overrides={"cleanup.policy": "compact,delete"}, defaults={"retention.ms": "604800000"})
    desired = spec(retention_ms="604800000", cleanup_policy="delete,compact")
    assert diff_topics([desired], state(live), PREFIX) == ([], [])


def test_partition_increase_and_config_set() -> None:
    live = live_topic(partitions=3, defaults={"compression.type": "producer"})
    changes, problems = diff_topics([spec(partitions=6, compression_type="lz4")], state(live), PREFIX)
    assert problems == []
    (change,) = changes
    assert isinstance(change, TopicUpdate)
    assert change.new_partitions == 6 and change.set_config == {"compression.type": "lz4"}
    assert [(d.field, d.before, d.after) for d in change.diffs] == [
        ("partitions", 3, 6),
        ("config.compression.type", "producer", "lz4"),
    ]
    assert not change.destructive


def test_partition_decrease_is_an_error_and_no_change() -> None:
    changes, problems = diff_topics([spec(partitions=2)], state(live_topic(partitions=3)), PREFIX)
    assert changes == []
    (problem,) = problems
    assert problem.severity is Severity.ERROR and "cannot decrease (3 -> 2)" in problem.message
    assert (problem.file, problem.line, problem.key) == ("topics/a.yaml", 4, "partitions")


def test_replication_factor_change_is_a_reassignment() -> None:  # details: test_diff_reassign.py
    (change,), problems = diff_topics([spec(rf=3)], state(live_topic(rf=2)), PREFIX)
    assert problems == []
    assert isinstance(change, TopicReassign) and change.diffs[0] == FieldDiff("replication_factor", 2, 3)


def test_retention_cut_and_cleanup_switch_are_destructive() -> None:
    live = live_topic(overrides={"retention.ms": "2592000000", "cleanup.policy": "delete"})
    (change,), _ = diff_topics([spec(retention_ms="604800000", cleanup_policy="compact")], state(live), PREFIX)
    assert change.destructive
    risks = change.all_risks
    assert any("retention.ms cut from 30d to 7d" in r for r in risks)
    assert any("cleanup.policy switch delete -> compact" in r for r in risks)


def test_retention_growth_is_not_destructive_but_infinite_to_finite_is() -> None:
    grow, _ = diff_topics(
        [spec(retention_ms="2592000000")], state(live_topic(overrides={"retention.ms": "1000"})), PREFIX
    )
    assert not grow[0].destructive
    cut, _ = diff_topics([spec(retention_ms="1000")], state(live_topic(overrides={"retention.ms": "-1"})), PREFIX)
    assert cut[0].destructive


def test_drift_is_a_warning_by_default_and_reset_on_request() -> None:
    live = live_topic(overrides={"segment.ms": "3600000"})
    changes, problems = diff_topics([spec()], state(live), PREFIX)
    assert changes == []
    (problem,) = problems
    assert problem.severity is Severity.WARNING and problem.key == "config.segment.ms"
    assert "set on the cluster but not in the spec" in problem.message

    resetting = TopicSpec(**{**spec().__dict__, "reset_unmanaged_config": True})
    (change,), problems = diff_topics([resetting], state(live), PREFIX)
    assert problems == []
    assert isinstance(change, TopicUpdate) and change.reset_config == ("segment.ms",)
    assert change.diffs[0].after is None


def test_protected_topic_refuses_destructive_update() -> None:
    protected = TopicSpec(**{**spec(retention_ms="1000").__dict__, "protected": True})
    live = live_topic(overrides={"retention.ms": "604800000"})
    _, problems = diff_topics([protected], state(live), PREFIX)
    (problem,) = problems
    assert problem.severity is Severity.ERROR and "is protected" in problem.message


def test_topic_absent_from_specs_is_deleted_unless_protected_by_policy() -> None:
    live = state(live_topic("order.old.v1"), live_topic("order.failed.dlq.v1"))
    changes, problems = diff_topics([], live, PREFIX, protected_patterns=["*.dlq.*"])
    (change,) = changes
    assert isinstance(change, TopicDelete) and change.name == "prod.order.old.v1" and change.destructive
    (problem,) = problems
    assert problem.severity is Severity.WARNING and "protected; it is not deleted" in problem.message


def test_cluster_only_checks_broker_count_and_existing_name_collision() -> None:
    live = state(brokers=1, others=("prod.order_created.v1",))
    _, problems = diff_topics([spec(rf=3)], live, PREFIX)
    messages = sorted(p.message for p in problems)
    assert len(messages) == 2
    assert "collides with existing topic prod.order_created.v1" in messages[0]
    assert "needs at least that many brokers; the cluster has 1" in messages[1]


def test_plan_refuses_to_delete_most_managed_topics() -> None:
    env = Environment("prod", "x", policy=Policy(max_deletes=100, max_delete_fraction=0.5))
    live = state(*(live_topic(f"order.t{i}.v1") for i in range(12)))
    plan = compute_plan(DesiredState("prod"), Snapshots({"topics": live}), env, TOPICS_ONLY)
    assert len(plan.changes) == 12 and all(c.action is Action.DELETE for c in plan.changes)
    (problem,) = plan.errors
    assert "deletes 12 of the 12 managed topics" in problem.message


def test_plan_caps_deletes_per_run() -> None:
    env = Environment("prod", "x", policy=Policy(max_deletes=1))
    live = state(live_topic("order.a.v1"), live_topic("order.b.v1"))
    (problem,) = compute_plan(DesiredState("prod"), Snapshots({"topics": live}), env, TOPICS_ONLY).errors
    assert "allows at most 1 deletions of a kind per run" in problem.message


def test_plan_orders_creates_updates_deletes_and_counts() -> None:
    env = Environment("prod", "x")
    live = state(live_topic("order.b.v1", partitions=1), live_topic("order.z.v1"))
    desired = DesiredState(
        "prod", items={"topics": (spec("order.c.v1"), spec("order.b.v1", partitions=2), spec("order.a.v1"))}
    )
    plan = compute_plan(desired, Snapshots({"topics": live}), env, TOPICS_ONLY)
    assert [(c.action.value, c.name) for c in plan.changes] == [
        ("create", "prod.order.a.v1"),
        ("create", "prod.order.c.v1"),
        ("update", "prod.order.b.v1"),
        ("delete", "prod.order.z.v1"),
    ]
    assert plan.counts() == {"create": 2, "update": 1, "delete": 1}


def test_mqctl_probe_topics_are_never_planned_for_deletion() -> None:
    changes, problems = diff_topics([], state(live_topic("mqctl.probe-1a2b.v1")), PREFIX)
    assert (changes, problems) == ([], [])
