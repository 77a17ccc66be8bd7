"""Prometheus alerting rules from the groups' `alerts`, written against an exporter's metrics. Pure.

Neither exporter measures time lag, so `max_time_lag` becomes an estimate: a topic's lag divided
by the rate its end offsets grew over the last 5 minutes (its produce rate) is how long producing
those messages took, so how old the oldest of them is when the rate is steady. When nothing was
produced for 5 minutes and the lag is above 0, the division gives +Inf and the alert fires, which
is right: every unconsumed message is then older than 5 minutes. `groups status` reads the real
timestamp. Members come from the exporters' DescribeGroups (the classic API): groups on the
consumer protocol (KIP-848) have no members metric there, so their min/max_members rules stay
silent; `groups status` counts them with ConsumerGroupDescribe.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from mqctl.kinds.groups.spec import GroupSpec
from mqctl.kinds.groups.status import max_members


@dataclass(frozen=True)
class Exporter:
    """Metric and label names of one exporter (read from its source)."""

    name: str
    topic_lag: str  # lag summed over a topic's partitions, per group and topic
    members: str  # members per group
    end_offset: str  # a partition's (or topic's) end offset, per topic
    group_label: str
    topic_label: str


EXPORTERS: Mapping[str, Exporter] = {
    # redpanda-data/kminion prometheus/exporter.go (namespace "kminion", subsystem "kafka")
    "kminion": Exporter("kminion", "kminion_kafka_consumer_group_topic_lag", "kminion_kafka_consumer_group_members",
                        "kminion_kafka_topic_high_water_mark_sum", "group_id", "topic_name"),
    # danielqsj/kafka_exporter kafka_exporter.go (namespace "kafka")
    "kafka-exporter": Exporter("kafka-exporter", "kafka_consumergroup_lag_sum", "kafka_consumergroup_members",
                               "kafka_topic_partition_current_offset", "consumergroup", "topic"),
}
RATE_WINDOW = "5m"
FOR = "1m"  # a condition must hold this long before the alert fires (no alert on one scrape)


def label_value(text: str) -> str:
    """A PromQL string literal's content: backslashes and quotes escaped."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def regex_alternatives(values: Iterable[str]) -> str:
    """An RE2 alternation matching exactly these values (label matchers are anchored)."""
    return "|".join(re.sub(r"([.\\+*?()|\[\]{}^$])", r"\\\1", v) for v in sorted(set(values)))


def _matchers(exporter: Exporter, group: str, topics: Sequence[str] | None = None) -> str:
    parts = [f'{exporter.group_label}="{label_value(group)}"']
    if topics is not None:
        parts.append(f'{exporter.topic_label}=~"{label_value(regex_alternatives(topics))}"')
    return "{" + ",".join(parts) + "}"


def _rule(alert: str, expr: str, env: str, group: GroupSpec, summary: str, severity: str) -> dict[str, Any]:
    return {
        "alert": alert,
        "expr": expr,
        "for": FOR,
        "labels": {"severity": severity, "environment": env, "mqctl_group": group.name},
        "annotations": {"summary": summary, "source": str(group.source)},
    }


def group_rules(group: GroupSpec, env: str, exporter: Exporter, partitions: Mapping[str, int]) -> list[dict[str, Any]]:
    rules = []
    alerts = group.alerts
    topics = list(group.consumed)
    lag = f"{exporter.topic_lag}{_matchers(exporter, group.group_id, topics)}"
    if alerts.max_lag is not None and topics:
        rules.append(_rule(
            "KafkaConsumerGroupLag", f"{lag} > {alerts.max_lag}", env, group,
            f"{group.group_id} lags more than {alerts.max_lag} messages on {{{{ $labels.{exporter.topic_label} }}}}",
            "warning"))
    if alerts.max_time_lag_ms is not None and topics:
        produced = (f"sum by ({exporter.topic_label}) (rate({exporter.end_offset}"
                    f'{{{exporter.topic_label}=~"{label_value(regex_alternatives(topics))}"}}[{RATE_WINDOW}]))')
        seconds = alerts.max_time_lag_ms / 1000
        rules.append(_rule(
            "KafkaConsumerGroupTimeLag", f"{lag} / on({exporter.topic_label}) group_left() {produced} > {seconds:g}",
            env, group,
            f"{group.group_id}: the oldest unconsumed message on {{{{ $labels.{exporter.topic_label} }}}} is "
            f"older than {seconds:g}s (estimated from lag / produce rate)", "warning"))
    members = f"{exporter.members}{_matchers(exporter, group.group_id)}"
    if alerts.min_members is not None:
        rules.append(_rule(
            "KafkaConsumerGroupMembersOffline", f"{members} < {alerts.min_members}", env, group,
            f"{group.group_id} has fewer than {alerts.min_members} consumer instance(s): an instance is offline",
            "critical"))
    most = max_members(group, partitions)
    if most is not None:
        rules.append(_rule(
            "KafkaConsumerGroupTooManyMembers", f"{members} > {most}", env, group,
            f"{group.group_id} has more than {most} instance(s): more than partitions, some sit idle", "info"))
    return rules


def rules_file(groups: Sequence[GroupSpec], env: str, exporter: Exporter, partitions: Mapping[str, int]) -> str:
    """A Prometheus rule file (`promtool check rules` format): one rule group per consumer group."""
    body = {
        "groups": [
            {"name": f"mqctl-{env}-{group.name}", "rules": group_rules(group, env, exporter, partitions)}
            for group in groups
            if group_rules(group, env, exporter, partitions)
        ]
    }
    header = (f"# Generated by `mqctl alerts export --env {env} --exporter {exporter.name}` from groups/.\n"
              "# Do not edit: change the groups' alerts and export again.\n")
    return header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=1000)
