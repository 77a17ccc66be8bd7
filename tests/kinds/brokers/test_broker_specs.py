"""Broker config specs offline: every bad input names its file, line and key; all are collected."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mqctl.config import Environment, ProjectConfig
from mqctl.diagnostics import Diagnostic, Severity
from mqctl.kind import DesiredState
from mqctl.kinds.brokers.spec import BrokerConfigSpec
from mqctl.spec.loader import load_specs


def load(tmp_path: Path, text: str, env: str = "prod") -> tuple[DesiredState, list[Diagnostic]]:
    path = tmp_path / "brokers" / "cluster.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return load_specs(ProjectConfig(tmp_path, Environment(env, "127.0.0.1:1")))


def by_name(desired: DesiredState) -> dict[str, BrokerConfigSpec]:
    return {spec.name: spec for spec in desired.items["brokers"]}


def test_good_spec_normalises_values_and_keeps_lines(tmp_path: Path) -> None:
    desired, problems = load(
        tmp_path,
        """\
        brokers:
          cluster_defaults:
            log.retention.ms: 7d
            min.insync.replicas: 2
            compression.type: lz4
          per_broker:
            1: {log.cleaner.threads: 2}
            "2":
              listeners: PLAINTEXT://127.0.0.1:29092
              log.cleaner.min.cleanable.ratio: 0.5
        """,
    )
    assert problems == []
    specs = by_name(desired)
    assert list(specs) == ["cluster-default", "broker 1", "broker 2"]
    default = specs["cluster-default"]
    assert default.broker is None
    assert default.config == {"log.retention.ms": "604800000", "min.insync.replicas": "2", "compression.type": "lz4"}
    assert default.key_lines["compression.type"] == 5
    assert specs["broker 1"].config == {"log.cleaner.threads": "2"}
    assert specs["broker 2"].config["log.cleaner.min.cleanable.ratio"] == "0.5"
    assert default.reset_unmanaged_config is False


@pytest.mark.parametrize(
    ("entry", "key", "message"),
    [
        ("cluster_defaults: {no.such.key: 1}", "brokers.cluster_defaults.no.such.key", "unknown dynamic broker config"),
        ("cluster_defaults: {log.dirs: /data}", "brokers.cluster_defaults.log.dirs", "read-only broker config"),
        ("cluster_defaults: {socket.send.buffer.bytes: 1048576}", "brokers.cluster_defaults.socket.send.buffer.bytes",
         "rolling restart"),
        ("cluster_defaults: {listeners: 'PLAINTEXT://:9092'}", "brokers.cluster_defaults.listeners",
         "per-broker config: it cannot be a cluster default"),
        ("cluster_defaults: {ssl.keystore.password: s3cret}", "brokers.cluster_defaults.ssl.keystore.password",
         "password-type broker config"),
        ("per_broker: {1: {listener.name.internal.ssl.key.password: x}}",
         "brokers.per_broker.1.listener.name.internal.ssl.key.password", "password-type broker config"),
        ("cluster_defaults: {num.io.threads: many}", "brokers.cluster_defaults.num.io.threads", "must be an integer"),
        ("cluster_defaults: {num.io.threads: 0}", "brokers.cluster_defaults.num.io.threads", "must be between 1 and"),
        ("cluster_defaults: {compression.type: brotli}", "brokers.cluster_defaults.compression.type",
         "must be one of"),
        ("cluster_defaults: {log.preallocate: maybe}", "brokers.cluster_defaults.log.preallocate", "true or false"),
        ("cluster_defaults: {log.retention.ms: soon}", "brokers.cluster_defaults.log.retention.ms",
         "'soon' is not a duration (e.g. 7d, 12h, 30m"),
        ("per_broker: {one: {log.cleaner.threads: 2}}", "brokers.per_broker.one", "is not a broker id"),
        ("per_broker: {-1: {log.cleaner.threads: 2}}", "brokers.per_broker.-1", "is not a broker id"),
    ],
)
def test_each_bad_input_names_file_line_and_key(tmp_path: Path, entry: str, key: str, message: str) -> None:
    _, problems = load(tmp_path, f"brokers:\n  {entry}\n")
    (problem,) = problems
    assert (problem.file, problem.line, problem.key) == ("brokers/cluster.yaml", 2, key)
    assert message in problem.message
    assert problem.severity is Severity.ERROR


def test_schema_rejects_unknown_sections(tmp_path: Path) -> None:
    _, problems = load(tmp_path, "brokers:\n  defaults: {num.io.threads: 8}\n")
    (problem,) = problems
    assert problem.file == "brokers/cluster.yaml" and "defaults" in problem.message


def test_all_errors_are_collected_and_good_keys_kept(tmp_path: Path) -> None:
    desired, problems = load(
        tmp_path,
        """\
        brokers:
          cluster_defaults:
            log.dirs: /data
            log.cleaner.backoff.ms: 20000
            num.network.threads: -3
          per_broker:
            x: {}
        """,
    )
    assert [(p.line, p.key) for p in problems] == [
        (3, "brokers.cluster_defaults.log.dirs"),
        (5, "brokers.cluster_defaults.num.network.threads"),
        (7, "brokers.per_broker.x"),
    ]
    assert by_name(desired)["cluster-default"].config == {"log.cleaner.backoff.ms": "20000"}


def test_key_declared_in_two_files_points_at_the_first(tmp_path: Path) -> None:
    (tmp_path / "brokers").mkdir()
    (tmp_path / "brokers" / "a.yaml").write_text("brokers:\n  cluster_defaults: {log.cleaner.threads: 1}\n")
    _, problems = load(tmp_path, "brokers:\n  cluster_defaults:\n    log.cleaner.threads: 2\n")
    (problem,) = problems
    assert problem.file == "brokers/cluster.yaml" and problem.line == 3
    assert "declared twice; first in brokers/a.yaml:2" in problem.message


def test_environments_scope_a_file(tmp_path: Path) -> None:
    text = "brokers:\n  environments: [prod]\n  unmanaged_config: reset\n  cluster_defaults: {log.cleaner.threads: 2}\n"
    desired, _ = load(tmp_path, text, env="prod")
    assert [s.name for s in desired.items["brokers"]] == ["cluster-default"]
    assert desired.items["brokers"][0].reset_unmanaged_config is True
    other, problems = load(tmp_path, text, env="dev")
    assert other.items["brokers"] == () and problems == []
    assert "brokers" in other.folders  # the folder is there, but this environment declares nothing


def test_example_spec_of_the_design_is_valid() -> None:
    root = Path(__file__).resolve().parents[3]
    desired, problems = load_specs(ProjectConfig(root, Environment("dev", "127.0.0.1:1")))
    assert [p for p in problems if p.key.startswith("brokers")] == []
    default = by_name(desired)["cluster-default"]
    assert default.config["log.retention.ms"] == "604800000"
    assert default.config["compression.type"] == "lz4"


# --- issue 12 (phase 2): typos are not silent, ids and numbers never crash, configs Kafka refuses together


def load_with_envs(tmp_path: Path, text: str, env: str = "prod") -> tuple[DesiredState, list[Diagnostic]]:
    """`load` with mqctl.yaml's environment list known, as the CLI loads specs."""
    path = tmp_path / "brokers" / "cluster.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return load_specs(ProjectConfig(tmp_path, Environment(env, "127.0.0.1:1"), environments=("dev", "prod")))


@pytest.mark.parametrize("building", ["dev", "prod"])
def test_an_unknown_environment_in_environments_is_an_error_with_a_suggestion(tmp_path: Path, building: str) -> None:
    text = "brokers:\n  environments: [prod, prdo]\n  cluster_defaults: {log.cleaner.threads: 2}\n"
    _, problems = load_with_envs(tmp_path, text, env=building)
    (problem,) = problems
    assert (problem.file, problem.line, problem.key) == ("brokers/cluster.yaml", 2, "brokers.environments[1]")
    assert problem.message == "'prdo' is not an environment of mqctl.yaml (did you mean 'prod'?)"
    assert problem.severity is Severity.ERROR


def test_the_validate_command_reports_an_unknown_environment_of_brokers(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mqctl.cli import app

    (tmp_path / "mqctl.yaml").write_text(
        "environments:\n  dev: {bootstrap_servers: '127.0.0.1:1'}\n  prod: {bootstrap_servers: '127.0.0.1:1'}\n")
    (tmp_path / "brokers").mkdir()
    (tmp_path / "brokers" / "cluster.yaml").write_text("brokers:\n  environments: [dve]\n")
    result = CliRunner().invoke(app, ["validate", "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert ("brokers/cluster.yaml:2: brokers.environments[0]: 'dve' is not an environment of mqctl.yaml "
            "(did you mean 'dev'?)") in result.output


@pytest.mark.parametrize(("second", "written"), [('"1"', "'1'"), ("'01'", "'01'"), ("' 1'", "' 1'")])
def test_one_broker_written_twice_under_per_broker_is_one_error(tmp_path: Path, second: str, written: str) -> None:
    text = f"brokers:\n  per_broker:\n    1: {{log.cleaner.threads: 2}}\n    {second}: {{log.cleaner.threads: 3}}\n"
    desired, problems = load(tmp_path, text)
    (problem,) = problems
    assert (problem.line, problem.severity) == (4, Severity.ERROR)
    assert problem.message == (f"broker 1 is declared twice under per_broker (as 1 and as {written}); put its "
                               "configs under one key")
    assert by_name(desired)["broker 1"].config == {"log.cleaner.threads": "2"}


def test_one_broker_written_twice_as_equal_yaml_keys_is_one_error(tmp_path: Path) -> None:
    _, problems = load(tmp_path, "brokers:\n  per_broker:\n    1: {log.cleaner.threads: 2}\n    +1: {}\n")
    (problem,) = problems
    assert (problem.line, problem.message) == (4, "invalid YAML: duplicate key 1")


@pytest.mark.parametrize("key", ["'²'", "'٣'", "'1e3'", "'--1'", "2147483648"])
def test_broker_ids_are_ascii_whole_numbers_never_a_crash(tmp_path: Path, key: str) -> None:
    _, problems = load(tmp_path, f"brokers:\n  per_broker:\n    {key}: {{log.cleaner.threads: 2}}\n")
    (problem,) = problems
    assert "is not a broker id" in problem.message


def test_broker_configs_kafka_refuses_together_are_errors_at_the_key(tmp_path: Path) -> None:
    text = """\
        brokers:
          cluster_defaults:
            log.cleaner.min.compaction.lag.ms: 1d
            log.cleaner.max.compaction.lag.ms: 1h
          per_broker:
            2:
              log.retention.ms: 1d
              log.local.retention.ms: 2d
        """
    _, problems = load(tmp_path, text)
    refused, warned = problems
    assert (refused.line, refused.key, refused.severity) == (
        3, "brokers.cluster_defaults.log.cleaner.min.compaction.lag.ms", Severity.ERROR)
    assert "is greater than log.cleaner.max.compaction.lag.ms 3600000" in refused.message
    assert (warned.line, warned.key, warned.severity) == (
        8, "brokers.per_broker.2.log.local.retention.ms", Severity.WARNING)
    assert "more than log.retention.ms 86400000" in warned.message
