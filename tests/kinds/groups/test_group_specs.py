"""Consumer group specs offline: the example groups, every rule, each bad input at its file, line and key."""

from __future__ import annotations

import shutil
from pathlib import Path

from mqctl.diagnostics import Severity
from tests.conftest import error_keys as errors
from tests.conftest import load_files as load

ROOT = Path(__file__).resolve().parents[3]
TOPICS = "topics/t.yaml"
TOPICS_SPEC = """\
    defaults: {replication_factor: 3}
    topics:
      - {name: order.created.v1, partitions: 4}
      - {name: order.retry.v1, partitions: 2}
      - {name: order.dlq.v1, partitions: 1}
    """


def test_a_group_is_built_with_its_real_id_topics_config_and_alerts(tmp_path: Path) -> None:
    desired, problems = load(tmp_path, {TOPICS: TOPICS_SPEC, "groups/g.yaml": """\
        groups:
          - name: order-processor-group
            topics: [order.created.v1]
            retry_topic: order.retry.v1
            dlq_topic: order.dlq.v1
            config:
              consumer.session.timeout.ms: 45s
              consumer.heartbeat.interval.ms: 5000
              share.auto.offset.reset: by_duration:PT1H30M
            alerts: {max_lag: 100000, max_time_lag: 5m, min_members: 1, max_members: 4}
        """})
    assert problems == []
    (group,) = desired.items["groups"]
    assert (group.group_id, group.topics, group.retry_topic, group.dlq_topic) == (
        "prod.order-processor-group", ("prod.order.created.v1",), "prod.order.retry.v1", "prod.order.dlq.v1"
    )
    assert group.consumed == ("prod.order.created.v1", "prod.order.retry.v1")
    assert dict(group.config) == {
        "consumer.session.timeout.ms": "45000",
        "consumer.heartbeat.interval.ms": "5000",
        "share.auto.offset.reset": "by_duration:PT1H30M",
    }
    assert (group.alerts.max_lag, group.alerts.max_time_lag_ms, group.alerts.min_members, group.alerts.max_members) == (
        100000, 300_000, 1, 4
    )
    assert str(group.source) == "groups/g.yaml:2"


def test_every_bad_group_is_reported_at_its_line_and_key(tmp_path: Path) -> None:
    _, problems = load(tmp_path, {TOPICS: TOPICS_SPEC, "groups/g.yaml": """\
        groups:
          - name: g1
            topics: [order.created.v1, nope.v1]
            retry_topic: missing.retry.v1
            dlq_topic: missing.dlq.v1
            config:
              consumer.session.timeout.ms: 4s
              consumer.heartbeat.interval.ms: 5s
              session.timeout.ms: 30000
              group.consumer.min.session.timeout.ms: 1000
              share.record.lock.duration.ms: 10
              share.auto.offset.reset: yesterday
              streams.num.standby.replicas: many
            alerts: {max_lag: 10, max_time_lag: soon, min_members: 5, max_members: 2}
          - name: g2
            topics: [order.created.v1]
            alerts: {max_lag: "100k"}
          - name: g1
            topics: []
        """})
    assert sorted(errors(problems)) == [
        ("groups/g.yaml", 3, "groups[0].topics"),
        ("groups/g.yaml", 4, "groups[0].retry_topic"),
        ("groups/g.yaml", 5, "groups[0].dlq_topic"),
        ("groups/g.yaml", 7, "groups[0].config.consumer.session.timeout.ms"),
        ("groups/g.yaml", 9, "groups[0].config.session.timeout.ms"),
        ("groups/g.yaml", 10, "groups[0].config.group.consumer.min.session.timeout.ms"),
        ("groups/g.yaml", 11, "groups[0].config.share.record.lock.duration.ms"),
        ("groups/g.yaml", 12, "groups[0].config.share.auto.offset.reset"),
        ("groups/g.yaml", 13, "groups[0].config.streams.num.standby.replicas"),
        ("groups/g.yaml", 14, "groups[0].alerts.max_time_lag"),
        ("groups/g.yaml", 14, "groups[0].alerts.min_members"),
        ("groups/g.yaml", 17, "groups[1].alerts.max_lag"),
        ("groups/g.yaml", 18, "groups[2].name"),
    ]
    text = {p.key: p.message for p in problems}
    assert "nope.v1" in text["groups[0].topics"] and "not declared in topics/" in text["groups[0].topics"]
    client_side = text["groups[0].config.session.timeout.ms"]
    assert "classic-protocol consumers set session.timeout.ms in the client" in client_side
    assert "must be greater than consumer.heartbeat.interval.ms" in text["groups[0].config.consumer.session.timeout.ms"]
    assert "between 1000" in text["groups[0].config.share.record.lock.duration.ms"]


def test_topic_references_are_not_checked_when_topics_are_not_managed(tmp_path: Path) -> None:
    _, problems = load(tmp_path, {"groups/g.yaml": "groups:\n  - name: g\n    topics: [anything.v1]\n"})
    assert problems == []


def test_the_example_groups_match_the_example_topics_and_acls(tmp_path: Path) -> None:
    for folder in ("topics", "acls", "users", "groups"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    desired, problems = load(tmp_path, {}, env="dev")
    assert [p for p in problems if p.severity is Severity.ERROR] == []
    groups = {g.name: g for g in desired.items["groups"]}
    assert sorted(groups) == sorted(
        ["order-processor-group", "inventory-sync-group", "payment-handler-group", "notification-group",
         "analytics-group"]
    )
    consumer_grants: dict[str, set[str]] = {}
    for acl in desired.items["acls"]:
        if acl.binding.resource_type == "group" and acl.binding.operation == "READ":
            consumer_grants.setdefault(acl.binding.name, set())
    for group in groups.values():
        assert group.group_id in consumer_grants, f"no ACL grants READ on {group.group_id}"
        assert group.alerts.max_lag == 100_000 and group.alerts.max_time_lag_ms == 300_000
        assert group.alerts.min_members == 1 and group.retry_topic and group.dlq_topic
