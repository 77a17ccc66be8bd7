"""What a user reads when a topic spec is wrong: the line of the key at fault, the accepted forms, a
"did you mean" for a mistyped config key, and one message per problem however many environments."""

from __future__ import annotations

from pathlib import Path

from mqctl.diagnostics import Severity
from mqctl.kinds import topics
from mqctl.kinds.brokers.configs import broker_value
from mqctl.kinds.topics.diff import diff_topics
from mqctl.kinds.topics.live import LiveTopic, LiveTopics
from mqctl.workflows.validate import validate_project
from tests.conftest import load_files

TWO_ENVS = "environments:\n  dev:\n    bootstrap_servers: 127.0.0.1:1\n  prod:\n    bootstrap_servers: 127.0.0.1:1\n"


def test_a_partition_decrease_points_at_the_partitions_line(tmp_path: Path) -> None:
    desired, problems = load_files(tmp_path, {"topics/a.yaml": """\
        defaults:
          replication_factor: 3
        topics:
          - name: order.created.v1
            retention: 7d
            partitions: 2
        """})
    assert problems == []
    (spec,) = desired.of(topics.KIND)
    live = LiveTopic("prod.order.created.v1", 3, ((1, 2, 3),) * 3)
    _, found = diff_topics([spec], LiveTopics((1, 2, 3), {live.name: live}, frozenset([live.name])), "prod.")
    (problem,) = found
    assert (problem.file, problem.line, problem.key) == ("topics/a.yaml", 6, "partitions")  # not line 4, `- name:`
    assert "partitions cannot decrease (3 -> 2)" in problem.message


def test_partitions_from_the_defaults_are_pointed_at_there(tmp_path: Path) -> None:
    desired, _ = load_files(tmp_path, {"topics/a.yaml": """\
        defaults: {replication_factor: 3,
                   partitions: 2}
        topics:
          - name: order.created.v1
        """})
    (spec,) = desired.of(topics.KIND)
    assert spec.partitions_line == 2


def test_a_retention_in_a_wrong_form_names_the_accepted_forms(tmp_path: Path) -> None:
    """Checked by mqctl.spec.units (not the JSON Schema), so every wrong form gets the same message."""
    _, problems = load_files(tmp_path, {"topics/a.yaml": """\
        topics:
          - {name: order.created.v1, partitions: 1, replication_factor: 1, retention: 7days}
        """})
    (problem,) = problems
    assert problem.key == "topics[0].retention"
    assert "'7days' is not a duration (e.g. 7d, 12h, 30m, 500ms, or milliseconds), or infinite" in problem.message
    assert "7d" in problem.message and "infinite" in problem.message and "type 'integer'" not in problem.message


def test_an_unknown_config_key_gets_a_did_you_mean(tmp_path: Path) -> None:
    _, problems = load_files(tmp_path, {"topics/a.yaml": """\
        topics:
          - name: order.created.v1
            partitions: 1
            replication_factor: 1
            config: {retention.msx: 1000, cleanup.polcy: delete, zzz.nothing.like.it: 1}
        """})
    messages = {p.key: p.message for p in problems}
    assert messages["topics[0].config.retention.msx"].endswith("; did you mean 'retention.ms'?")
    assert messages["topics[0].config.cleanup.polcy"].endswith("; did you mean 'cleanup.policy'?")
    assert messages["topics[0].config.zzz.nothing.like.it"] == "unknown topic config for Kafka 4.x"
    _, reason = broker_value("log.retention.hourz", "1", cluster_default=True)
    assert reason is not None and reason.endswith("did you mean 'log.retention.hours'?")


def test_a_naming_error_is_reported_once_for_all_environments(tmp_path: Path) -> None:
    (tmp_path / "mqctl.yaml").write_text(TWO_ENVS)
    (tmp_path / "topics").mkdir()
    (tmp_path / "topics" / "a.yaml").write_text(
        "topics:\n  - {name: order.bad, partitions: 1, replication_factor: 1}\n"
    )
    found = validate_project(tmp_path)
    (problem,) = [p for p in found.diagnostics if p.severity is Severity.ERROR]
    assert problem.key == "topics[0].name"
    assert problem.message.startswith("'order.bad' breaks the naming rule")
    assert "(the topic is named <env>.order.bad)" in problem.message
