"""Connector specs offline: structure, names, config values and the `${env}` / `${VAR}` syntax."""

from __future__ import annotations

from pathlib import Path

import pytest

from mqctl.kinds.connectors.spec import ConnectorSpec
from mqctl.kinds.connectors.values import Template, looks_secret, parse, provider_reference
from tests.conftest import error_keys, load_files


def connectors(root: Path, text: str, env: str = "prod") -> tuple[list[ConnectorSpec], list[str]]:
    desired, problems = load_files(root, {"connectors/c.yaml": text}, env)
    return list(desired.items["connectors"]), [str(p) for p in problems]  # type: ignore[arg-type]


def test_a_connector_is_named_under_the_environment_with_defaults(tmp_path: Path) -> None:
    specs, problems = connectors(tmp_path, """\
        connectors:
          - name: order-archive
            class: org.apache.kafka.connect.file.FileStreamSinkConnector
            config:
              topics: ${env}.order.lifecycle.v1
              file: /data/archive/orders.txt
        """)
    assert problems == []
    (spec,) = specs
    assert (spec.full_name, spec.tasks_max, spec.state) == ("prod.order-archive", 1, "running")
    assert spec.config["topics"].resolve("prod", {}) == "prod.order.lifecycle.v1"
    assert spec.where("file") == ("connectors/c.yaml", 6, "config.file")


def test_yaml_values_become_what_the_worker_takes(tmp_path: Path) -> None:
    specs, problems = connectors(tmp_path, """\
        connectors:
          - name: a
            class: FileStreamSource
            tasks_max: 3
            state: stopped
            config:
              batch.size: 2000
              errors.tolerance.enabled: true
              ratio: 0.5
              topics: [a.b.v1, c.d.v1]
        """)
    assert problems == []
    values = {k: t.resolve("prod", {}) for k, t in specs[0].config.items()}
    assert values == {
        "batch.size": "2000", "errors.tolerance.enabled": "true", "ratio": "0.5", "topics": "a.b.v1,c.d.v1"
    }
    assert (specs[0].tasks_max, specs[0].state) == (3, "stopped")


def test_every_problem_of_every_file_is_reported_with_its_line_and_key(tmp_path: Path) -> None:
    desired, problems = load_files(tmp_path, {
        "connectors/a.yaml": """\
            connectors:
              - name: a
                class: FileStreamSource
                config:
                  connector.class: Other
                  tasks.max: 2
                  some.password: hunter2-literal
                  url: ${1BAD}
                  path: /x/${OPEN
              - name: "bad name"
                class: FileStreamSource
              - name: b
                class: "not a class!"
                state: sleeping
                tasks_max: 0
                colour: blue
            """,
        "connectors/b.yaml": """\
            connectors:
              - name: a
                class: FileStreamSink
            """,
    })
    assert desired.items["connectors"] == ()
    assert error_keys(problems) == [
        ("connectors/a.yaml", 5, "connectors[0].config.connector.class"),
        ("connectors/a.yaml", 6, "connectors[0].config.tasks.max"),
        ("connectors/a.yaml", 7, "connectors[0].config.some.password"),
        ("connectors/a.yaml", 8, "connectors[0].config.url"),
        ("connectors/a.yaml", 9, "connectors[0].config.path"),
        ("connectors/a.yaml", 10, "connectors[1].name"),
        ("connectors/a.yaml", 12, "connectors[2]"),  # colour: an unknown key
        ("connectors/a.yaml", 13, "connectors[2].class"),
        ("connectors/a.yaml", 14, "connectors[2].state"),
        ("connectors/a.yaml", 15, "connectors[2].tasks_max"),
        ("connectors/b.yaml", 2, "connectors[0].name"),
    ]
    text = "\n".join(map(str, problems))
    assert "write connector.class as the connector's `class:`" in text
    assert "hunter2-literal" not in text  # a pasted password is never echoed
    assert "the value is not shown" in text
    assert "${1BAD} is not a reference" in text
    assert "never closed" in text
    assert "declared twice; first at connectors/a.yaml:2" in text


def test_secrets_may_come_from_the_environment_or_a_connect_config_provider(tmp_path: Path) -> None:
    specs, problems = connectors(tmp_path, """\
        connectors:
          - name: a
            class: FileStreamSource
            config:
              connection.password: ${DB_PASSWORD}
              ssl.key.password: ${file:/etc/kafka/secrets.properties:key-password}
              sasl.jaas.config: 'ScramLoginModule required username="u" password="${MM_PASSWORD}";'
              empty.secret: ""
        """)
    assert problems == []
    config = specs[0].config
    assert config["connection.password"].variables == ("DB_PASSWORD",)
    assert config["ssl.key.password"].variables == ()  # resolved by the worker, not by mqctl
    assert config["sasl.jaas.config"].secret
    resolved = config["sasl.jaas.config"].resolve("prod", {"MM_PASSWORD": "pw"})
    assert resolved == 'ScramLoginModule required username="u" password="pw";'


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("connection.password", True),
        ("ssl.key.password", True),
        ("aws.secret.access.key", True),
        ("api.key", True),
        ("auth.token", True),
        ("sasl.jaas.config", True),
        ("producer.override.sasl.jaas.config", True),
        ("basic.auth.user.info", True),
        ("client_secret", True),
        ("key.converter", False),
        ("topics", False),
        ("ssl.keystore.location", False),
        ("aws.access.key.id", False),
        ("tasks.max", False),
    ],
)
def test_keys_that_look_like_secrets(key: str, secret: bool) -> None:
    assert looks_secret(key) is secret


def test_templates_read_env_and_variables_and_leave_provider_references_alone() -> None:
    template, problem = parse("${env}-${A}-${file:/p:k}-${A}")
    assert problem is None
    assert template == Template("${env}-${A}-${file:/p:k}-${A}", ("A",))
    assert template.resolve("dev", {"A": "x"}) == "dev-x-${file:/p:k}-x"
    assert provider_reference("${file:/p:k}") and not provider_reference("${A}")
    assert parse("${}")[1] is not None
    assert parse("cost: $5")[1] is None
