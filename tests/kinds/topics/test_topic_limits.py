"""Topic values Kafka would refuse are refused offline, each at its file, line and key (issue 12,
items 7, 8 and 10): partition counts past int32 or past what the controller takes in one request,
durations with the parser's own reason, cross-config rules, and a name that repeats the environment.
Every test here fails on the code before phase 2 of the security pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from mqctl.config import Environment, ProjectConfig
from mqctl.diagnostics import Diagnostic, Severity
from mqctl.kind import DesiredState
from mqctl.kinds import topics
from mqctl.spec.loader import load_specs


def load(root: Path, topic: str, env: str = "dev", environments: tuple[str, ...] = ("dev", "prod")) -> tuple[
        DesiredState, list[Diagnostic]]:
    (root / "topics").mkdir(exist_ok=True)
    (root / "topics" / "t.yaml").write_text(f"topics:\n  - {topic}\n")
    return load_specs(ProjectConfig(root, Environment(env, "127.0.0.1:1"), environments=environments))


def problem(problems: list[Diagnostic], severity: Severity = Severity.ERROR) -> Diagnostic:
    found = [p for p in problems if p.severity is severity]
    assert len(found) == 1, problems
    return found[0]


def topic(config: str = "", **fields: object) -> str:
    values = {"name": "order.created.v1", "partitions": 3, "replication_factor": 1, **fields}
    body = ", ".join(f"{k}: {v}" for k, v in values.items())
    return "{" + body + (f", config: {{{config}}}" if config else "") + "}"


@pytest.mark.parametrize(
    ("partitions", "configs", "message"),
    [
        (9_999, "", None),  # measured: the controller takes 1 + 9,999 records
        (10_000, "", "10,001 metadata records"),
        (9_998, "retention.ms: 1000", None),
        (9_999, "retention.ms: 1000", "10,001 metadata records"),
        (2**31, "", "greater than the maximum of 2147483647"),
        (2**70, "", "greater than the maximum of 2147483647"),
    ],
)
def test_partitions_past_int32_or_the_controller_record_cap_are_refused(
    tmp_path: Path, partitions: int, configs: str, message: str | None
) -> None:
    desired, problems = load(tmp_path, topic(configs, partitions=partitions))
    if message is None:
        assert problems == []
        assert desired.of(topics.KIND)[0].partitions == partitions
        return
    found = problem(problems)
    assert (found.file, found.line, found.key) == ("topics/t.yaml", 2, "topics[0].partitions")
    assert message in found.message
    assert desired.of(topics.KIND) == ()


@pytest.mark.parametrize(
    ("retention", "message"),
    [
        ("7x", "'7x' is not a duration (e.g. 7d, 12h, 30m"),
        ("'--5'", "'--5' is not a duration"),
        ("'²d'", "'²d' is not a duration"),
        ("99999999999999999999d", "is too large: Kafka durations are at most"),
        (-2, "retention must be between -1 and"),
        (1.5, "1.5 is not a duration"),
    ],
)
def test_retention_sugar_says_what_a_duration_is(tmp_path: Path, retention: object, message: str) -> None:
    _, problems = load(tmp_path, topic(retention=retention))
    found = problem(problems)
    assert (found.line, found.key) == (2, "topics[0].retention")
    assert message in found.message
    assert "of type" not in found.message


def test_retention_sugar_accepts_durations_milliseconds_and_infinite(tmp_path: Path) -> None:
    for written, ms in (("7d", "604800000"), (1000, "1000"), ("infinite", "-1"), (-1, "-1")):
        desired, problems = load(tmp_path, topic(retention=written))
        assert problems == []
        assert desired.of(topics.KIND)[0].config["retention.ms"] == ms


@pytest.mark.parametrize(
    ("config", "key", "message"),
    [
        ("min.compaction.lag.ms: 2h, max.compaction.lag.ms: 1h", "min.compaction.lag.ms",
         "min.compaction.lag.ms 7200000 is greater than max.compaction.lag.ms 3600000"),
        ("remote.storage.enable: true, cleanup.policy: compact", "cleanup.policy",
         "takes only cleanup.policy delete"),
        ("remote.storage.enable: true, cleanup.policy: [compact, delete]", "cleanup.policy",
         "takes only cleanup.policy delete"),
        ("remote.storage.enable: true, retention.ms: 7d, local.retention.ms: 8d", "local.retention.ms",
         "local.retention.ms is 691200000, more than retention.ms 604800000"),
        ("remote.storage.enable: true, retention.ms: 7d, local.retention.ms: -1", "local.retention.ms",
         "local.retention.ms is -1 (infinite)"),
        ("remote.storage.enable: true, retention.bytes: 1GiB, local.retention.bytes: 2GiB", "local.retention.bytes",
         "more than retention.bytes 1073741824"),
        ("remote.storage.enable: true, remote.log.copy.disable: true, retention.ms: 7d, local.retention.ms: 1d",
         "local.retention.ms", "only as -2 or equal to retention.ms"),
    ],
)
def test_configs_kafka_refuses_together_are_errors(tmp_path: Path, config: str, key: str, message: str) -> None:
    desired, problems = load(tmp_path, topic(config))
    found = problem(problems)
    assert (found.file, found.line, found.key) == ("topics/t.yaml", 2, f"topics[0].config.{key}")
    assert message in found.message
    assert desired.of(topics.KIND) == ()


@pytest.mark.parametrize(
    "config",
    [
        "min.compaction.lag.ms: 1h, max.compaction.lag.ms: 1h",
        "remote.storage.enable: true, cleanup.policy: delete, retention.ms: 7d, local.retention.ms: 1d",
        "remote.storage.enable: true, retention.ms: 7d, local.retention.ms: -2",
        "remote.storage.enable: true, retention.ms: -1, local.retention.ms: -1",
        "remote.storage.enable: false, cleanup.policy: compact",
    ],
)
def test_configs_kafka_accepts_together_pass(tmp_path: Path, config: str) -> None:
    _, problems = load(tmp_path, topic(config))
    assert problems == []


def test_local_retention_past_retention_without_remote_storage_is_a_warning(tmp_path: Path) -> None:
    desired, problems = load(tmp_path, topic("retention.ms: 1d, local.retention.ms: 2d"))
    found = problem(problems, Severity.WARNING)
    assert found.key == "topics[0].config.local.retention.ms"
    assert "Kafka refuses it as soon as remote storage is enabled" in found.message
    assert len(desired.of(topics.KIND)) == 1  # Kafka takes it: a warning, the topic is built


@pytest.mark.parametrize("value", ["'nan'", "'NaN'", "'inf'", "'-Infinity'", "1e999"])
def test_non_finite_ratios_are_refused_in_string_form_too(tmp_path: Path, value: str) -> None:
    _, problems = load(tmp_path, topic(f"min.cleanable.dirty.ratio: {value}"))
    found = problem(problems)
    assert found.key == "topics[0].config.min.cleanable.dirty.ratio"
    assert "finite number" in found.message or ".inf" in found.message


@pytest.mark.parametrize(("written", "env"), [("dev.order.created.v1", "dev"), ("prod.order.created.v1", "prod")])
def test_a_name_repeating_an_environment_is_a_warning_naming_the_key(tmp_path: Path, written: str, env: str) -> None:
    for building in ("dev", "prod"):
        desired, problems = load(tmp_path, topic(name=written), env=building)
        found = problem(problems, Severity.WARNING)
        assert (found.file, found.line, found.key) == ("topics/t.yaml", 2, "topics[0].name")
        assert f"starts with the environment {env!r}" in found.message
        assert f"would be {building}.{written}" in found.message
        assert "order.created.v1" in found.message
        assert [t.full_name for t in desired.of(topics.KIND)] == [f"{building}.{written}"]


def test_a_name_with_an_environment_like_word_elsewhere_is_not_warned(tmp_path: Path) -> None:
    _, problems = load(tmp_path, topic(name="order.dev.created.v1"))
    assert problems == []
