"""Spec loading and every topic rule, offline: each bad input names its file, line and key."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from mqctl.config import DEFAULT_NAMING_PATTERN, Environment, Overrides, ProjectConfig
from mqctl.diagnostics import Diagnostic, Severity
from mqctl.kind import DesiredState
from mqctl.spec.loader import load_specs


def load(
    tmp_path: Path, files: dict[str, str], env: Environment | None = None, pattern: str = DEFAULT_NAMING_PATTERN
) -> tuple[DesiredState, list[Diagnostic]]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    config = ProjectConfig(tmp_path, env or Environment("prod", "127.0.0.1:1"), pattern)
    return load_specs(config)


def only_error(problems: list[Diagnostic]) -> Diagnostic:
    errors = [p for p in problems if p.severity is Severity.ERROR]
    assert len(errors) == 1, errors
    return errors[0]


GOOD = """\
    defaults:
      replication_factor: 3
      config:
        min.insync.replicas: 2
    topics:
      - name: order.lifecycle.v1
        partitions: 32
        retention: 7d
        config:
          cleanup.policy: delete
          segment.bytes: 64MiB
      - name: inventory.stock.changed.v1
        partitions: 64
        replication_factor: 2
        config:
          cleanup.policy: [compact, delete]
          min.insync.replicas: 1
          unclean.leader.election.enable: false
"""


def test_good_spec_builds_full_names_and_normalised_config(tmp_path: Path) -> None:
    desired, problems = load(tmp_path, {"topics/a.yaml": GOOD})
    assert problems == []
    first, second = desired.items["topics"]
    assert first.full_name == "prod.order.lifecycle.v1"
    assert (first.partitions, first.replication_factor) == (32, 3)
    assert dict(first.config) == {
        "min.insync.replicas": "2",
        "cleanup.policy": "delete",
        "segment.bytes": str(64 * 2**20),
        "retention.ms": "604800000",
    }
    assert first.source.file == "topics/a.yaml" and first.source.line == 6
    assert second.replication_factor == 2
    assert second.config["cleanup.policy"] == "compact,delete"
    assert second.config["min.insync.replicas"] == "1"
    assert second.config["unclean.leader.election.enable"] == "false"


def test_nested_folders_and_yml_are_found(tmp_path: Path) -> None:
    desired, problems = load(
        tmp_path,
        {
            "topics/team-a/x.yml": "topics:\n  - {name: order.created.v1, partitions: 1, replication_factor: 1}\n",
            "topics/b.yaml": "topics:\n  - {name: order.paid.v1, partitions: 1, replication_factor: 1}\n",
        },
    )
    assert problems == []
    assert sorted(t.name for t in desired.items["topics"]) == ["order.created.v1", "order.paid.v1"]


@pytest.mark.parametrize(
    ("entry", "line", "key", "message"),
    [
        (
            "{name: order.created.v1, partitions: 0, replication_factor: 1}",
            2,
            "topics[0].partitions",
            "less than the minimum of 1",
        ),
        ("{name: order.created.v1, partitions: 1}", 2, "topics[0]", "replication_factor is required"),
        (
            "{name: mqctl.probe-x.v1, partitions: 1, replication_factor: 1}",
            2,
            "topics[0].name",
            "reserved for mqctl's own topics",
        ),
        ("{name: Order.Created, partitions: 1, replication_factor: 1}", 2, "topics[0].name", "breaks the naming rule"),
        ("{name: order.created, partitions: 1, replication_factor: 1}", 2, "topics[0].name", "breaks the naming rule"),
        (
            "{name: 'order.cre ated.v1', partitions: 1, replication_factor: 1}",
            2,
            "topics[0].name",
            "characters Kafka does not allow",
        ),
        (
            "{name: order.created.v1, partitions: 1, replication_factor: 1, colour: red}",
            2,
            "topics[0]",
            "'colour' was unexpected",
        ),
        (
            "{name: order.created.v1, partitions: 1, replication_factor: 1, config: {retention.ms: soon}}",
            2,
            "topics[0].config.retention.ms",
            "'soon' is not a duration (e.g. 7d, 12h, 30m",
        ),
        (
            "{name: order.created.v1, partitions: 1, replication_factor: 1, config: {cleanup.policy: purge}}",
            2,
            "topics[0].config.cleanup.policy",
            "must be a list of delete, compact",
        ),
        (
            "{name: order.created.v1, partitions: 1, replication_factor: 1, config: {compression.type: brotli}}",
            2,
            "topics[0].config.compression.type",
            "must be one of uncompressed, zstd, lz4",
        ),
        (
            "{name: order.created.v1, partitions: 1, replication_factor: 1, config: {segment.bytes: 1000}}",
            2,
            "topics[0].config.segment.bytes",
            "must be between 1048576",
        ),
        (
            "{name: order.created.v1, partitions: 1, replication_factor: 1, config: {min.cleanable.dirty.ratio: 2}}",
            2,
            "topics[0].config.min.cleanable.dirty.ratio",
            "must be between 0 and 1",
        ),
        (
            "{name: order.created.v1, partitions: 1, replication_factor: 1, config: {preallocate: maybe}}",
            2,
            "topics[0].config.preallocate",
            "must be true or false",
        ),
        (
            "{name: order.created.v1, partitions: 1, replication_factor: 1, config: {retention.msec: 1}}",
            2,
            "topics[0].config.retention.msec",
            "unknown topic config",
        ),
        (
            "{name: order.created.v1, partitions: 1, replication_factor: 1, config: {message.format.version: 3.0}}",
            2,
            "topics[0].config.message.format.version",
            "removed in Kafka 4.0",
        ),
        (
            "{name: order.created.v1, partitions: 1, replication_factor: 2, config: {min.insync.replicas: 3}}",
            2,
            "topics[0].config.min.insync.replicas",
            "greater than replication_factor 2",
        ),
        (
            "{name: order.created.v1, partitions: 1, replication_factor: 1, retention: 7d, config: {retention.ms: 1}}",
            2,
            "topics[0].retention",
            "either retention or config.retention.ms",
        ),
    ],
)
def test_each_bad_input_names_file_line_and_key(tmp_path: Path, entry: str, line: int, key: str, message: str) -> None:
    _, problems = load(tmp_path, {"topics/bad.yaml": f"topics:\n  - {entry}\n"})
    problem = only_error(problems)
    assert (problem.file, problem.line, problem.key) == ("topics/bad.yaml", line, key)
    assert message in problem.message


def test_name_longer_than_kafka_allows(tmp_path: Path) -> None:
    name = "order." + "x" * 250 + ".v1"
    _, problems = load(
        tmp_path, {"topics/a.yaml": f"topics:\n  - {{name: {name}, partitions: 1, replication_factor: 1}}\n"}
    )
    assert "at most 249" in only_error(problems).message


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    _, problems = load(tmp_path, {"topics/a.yaml": "topics:\n  - name: [unclosed\n    partitions: 1\n"})
    problem = only_error(problems)
    assert problem.file == "topics/a.yaml" and problem.line is not None and problem.line >= 2
    assert "invalid YAML" in problem.message


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    text = "topics:\n  - name: order.created.v1\n    partitions: 1\n    partitions: 2\n    replication_factor: 1\n"
    _, problems = load(tmp_path, {"topics/a.yaml": text})
    assert "duplicate key 'partitions'" in only_error(problems).message


def test_duplicates_across_files_point_at_the_first(tmp_path: Path) -> None:
    entry = "topics:\n  - {name: order.created.v1, partitions: 1, replication_factor: 1}\n"
    desired, problems = load(tmp_path, {"topics/a.yaml": entry, "topics/b.yaml": entry})
    problem = only_error(problems)
    assert problem.file == "topics/b.yaml" and "declared twice; first at topics/a.yaml:2" in problem.message
    assert len(desired.items["topics"]) == 1


def test_dot_underscore_collision_within_the_set(tmp_path: Path) -> None:
    text = """\
        topics:
          - {name: order.created.v1, partitions: 1, replication_factor: 1}
          - {name: order.created_x.v1, partitions: 1, replication_factor: 1}
          - {name: order.created.x.v1, partitions: 1, replication_factor: 1}
    """
    _, problems = load(tmp_path, {"topics/a.yaml": text}, pattern=r"^.*$")
    problem = only_error(problems)
    assert problem.line == 4 and "collides with 'order.created_x.v1'" in problem.message


def test_all_errors_of_a_spec_set_are_collected(tmp_path: Path) -> None:
    _, problems = load(
        tmp_path,
        {
            "topics/a.yaml": "topics:\n  - {name: BAD, partitions: 1, replication_factor: 1}\n"
            "  - {name: order.ok.v1, partitions: 1, replication_factor: 1, config: {x.y: 1}}\n",
            "topics/b.yaml": "topics: [\n",
            "topics/c.yaml": "topics:\n  - {name: order.c.v1, partitions: -1, replication_factor: 1}\n",
        },
    )
    assert [(p.file, p.line) for p in problems] == [
        ("topics/a.yaml", 2),
        ("topics/a.yaml", 3),
        ("topics/b.yaml", 2),
        ("topics/c.yaml", 2),
    ]


def test_custom_naming_pattern(tmp_path: Path) -> None:
    text = "topics:\n  - {name: orders, partitions: 1, replication_factor: 1}\n"
    desired, problems = load(tmp_path, {"topics/a.yaml": text}, pattern=r"^[a-z]+\.[a-z]+$")
    assert problems == [] and desired.items["topics"][0].full_name == "prod.orders"
    _, problems = load(tmp_path, {"topics/a.yaml": text})
    assert "naming rule" in only_error(problems).message


def test_overrides_cap_partitions_rf_and_min_isr(tmp_path: Path) -> None:
    env = Environment("dev", "127.0.0.1:1", overrides=Overrides(max_replication_factor=1, max_partitions=4))
    desired, problems = load(tmp_path, {"topics/a.yaml": GOOD}, env=env)
    assert problems == []
    topic = desired.items["topics"][0]
    assert (topic.full_name, topic.partitions, topic.replication_factor) == ("dev.order.lifecycle.v1", 4, 1)
    assert topic.config["min.insync.replicas"] == "1"


def test_example_specs_of_the_design_are_valid() -> None:
    root = Path(__file__).resolve().parents[3]
    desired, problems = load_specs(ProjectConfig(root, Environment("prod", "127.0.0.1:1")))
    # the only remarks: MirrorMaker's grants on the copies it creates, which no topic spec declares
    assert [(p.severity, p.file, p.line) for p in problems] == [
        ("warning", "acls/mirror.yaml", line) for line in (9, 14, 19)
    ]
    by_name = {t.name: t for t in desired.items["topics"]}
    design = {  # name: (partitions, replicas, retention days) from the design document
        "order.lifecycle.v1": (32, 3, 7),
        "order.status.changed.v1": (16, 3, 30),
        "inventory.stock.changed.v1": (64, 3, 3),
        "inventory.alert.v1": (8, 3, 7),
        "payment.events.v1": (32, 3, 30),
        "user.behavior.v1": (128, 2, 3),
    }
    for name, (partitions, rf, days) in design.items():
        topic = by_name[name]
        assert (topic.partitions, topic.replication_factor) == (partitions, rf), name
        assert topic.config["retention.ms"] == str(days * 86_400_000), name
    assert "compact" in by_name["inventory.stock.changed.v1"].config["cleanup.policy"]
    for group in ("order.processor", "inventory.sync", "payment.handler", "notification.sender", "analytics.ingest"):
        assert f"{group}.retry.v1" in by_name and f"{group}.dlq.v1" in by_name
    assert all(re.match(DEFAULT_NAMING_PATTERN, t.full_name) for t in desired.items["topics"])


def test_sizing_warns_when_partitions_are_below_the_calculator(tmp_path: Path) -> None:
    _, problems = load(
        tmp_path,
        {
            "topics/a.yaml": """\
            defaults:
              replication_factor: 3
              sizing: {target_throughput: 5000000, max_consumers: 50}
            topics:
              - {name: order.created.v1, partitions: 12}
              - {name: order.paid.v1, partitions: 50}
              - name: order.sized.v1
                partitions: 10
                sizing: {target_throughput: 900, partition_throughput: 100, max_consumers: 2}
            """
        },
    )
    (problem,) = problems
    assert problem.severity is Severity.WARNING
    assert (problem.file, problem.line, problem.key) == ("topics/a.yaml", 3, "defaults.sizing")
    assert "order.created.v1: 12 partition(s), but its sizing needs 50" in problem.message


def test_a_topic_may_ask_for_its_own_placement(tmp_path: Path) -> None:
    desired, problems = load(tmp_path, {"topics/a.yaml": """\
        defaults: {partitions: 1, replication_factor: 3}
        topics:
          - {name: order.created.v1, placement: rack-aware}
          - {name: order.paid.v1, placement: as-is}
          - {name: order.shipped.v1}
          - {name: order.lost.v1, placement: everywhere}
        """})  # fmt: skip
    assert [t.placement for t in desired.items["topics"]] == ["rack-aware", "as-is", None]
    problem = only_error(problems)
    assert (problem.line, problem.key) == (6, "topics[3].placement")
