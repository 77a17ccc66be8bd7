"""Export, pure part: a live snapshot becomes spec documents that read back to the same topics."""

from __future__ import annotations

import re

import yaml

from mqctl.config import DEFAULT_NAMING_PATTERN, Environment
from mqctl.export import ExportContext, Selection, config_value, export_topics, schema_comment
from mqctl.live import LiveConfig, LiveState, LiveTopic

ENV = Environment("dev", "127.0.0.1:1")


def topic(name: str, partitions: int = 2, rf: int = 3, **overrides: str) -> LiveTopic:
    configs = {k.replace("_", "."): LiveConfig(v, "DYNAMIC_TOPIC_CONFIG") for k, v in overrides.items()}
    configs["segment.bytes"] = LiveConfig("1073741824", "DEFAULT_CONFIG")
    configs["min.insync.replicas"] = configs.get("min.insync.replicas", LiveConfig("1", "STATIC_BROKER_CONFIG"))
    return LiveTopic(name, partitions, tuple(tuple(range(rf)) for _ in range(partitions)), configs)


EVERYTHING = Selection()


def export(*topics: LiveTopic, select: Selection = EVERYTHING) -> dict[str, object]:
    live = LiveState((1, 2, 3), {t.name: t for t in topics}, frozenset(t.name for t in topics))
    result = export_topics(live, ExportContext(ENV, re.compile(DEFAULT_NAMING_PATTERN), select))
    return {f.path: f.text for f in result.files} | {"left_out": result.left_out, "notes": result.notes}


def test_one_file_per_domain_only_overrides_names_without_env() -> None:
    out = export(
        topic("dev.order.created.v1", retention_ms="604800000", cleanup_policy="compact,delete"),
        topic("dev.payment.events.v1", partitions=1, rf=1),
    )
    order = str(out["topics/order.yaml"])
    assert order.startswith("# yaml-language-server: $schema=../.mqctl/schemas/topics.schema.json\n")
    assert yaml.safe_load(order) == {
        "topics": [
            {
                "name": "order.created.v1",
                "partitions": 2,
                "replication_factor": 3,
                "config": {"cleanup.policy": "compact,delete", "retention.ms": "7d"},
            }
        ]
    }
    assert yaml.safe_load(str(out["topics/payment.yaml"])) == {
        "topics": [{"name": "payment.events.v1", "partitions": 1, "replication_factor": 1}]
    }


def test_selection_leaves_out_and_reports() -> None:
    out = export(topic("dev.order.created.v1"), topic("dev.order.dlq.v1"), select=Selection(exclude=("*.dlq.*",)))
    assert out["left_out"] == ["dev.order.dlq.v1"]
    assert "dlq" not in str(out["topics/order.yaml"])


def test_names_breaking_the_naming_rule_are_exported_with_a_note() -> None:
    out = export(topic("dev.Legacy_Orders"))
    assert "topics/Legacy_Orders.yaml" in out
    assert out["notes"] == ["dev.Legacy_Orders breaks the naming rule of mqctl.yaml; validate will reject it"]


def test_config_values_read_back_exactly() -> None:
    assert config_value("retention.ms", "604800000") == "7d"
    assert config_value("retention.ms", "1234") == 1234
    assert config_value("retention.ms", "-1") == -1
    assert config_value("max.message.bytes", "2097152") == 2097152
    assert config_value("min.cleanable.dirty.ratio", "0.3") == "0.3"


def test_schema_comment_follows_the_depth_of_the_file() -> None:
    assert schema_comment("topics/a/b.yaml", "topics") == (
        "# yaml-language-server: $schema=../../.mqctl/schemas/topics.schema.json\n"
    )
