"""An unreachable cluster is said plainly (issue 12, item 10): how many bootstrap brokers were
tried, never librdkafka's "0/1 brokers are down" (it counts brokers it has heard of, so one
refusing broker came out as "0/2 brokers are down"). Ports 1 and 2 of 127.0.0.1 refuse at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from confluent_kafka import KafkaError, KafkaException

from mqctl.config import Environment
from mqctl.kafka.connection import describe_kafka_error
from tests.conftest import Project


@pytest.mark.parametrize(("servers", "tried"), [
    ("127.0.0.1:1", "1 bootstrap broker tried; it refused or dropped the connection"),
    ("127.0.0.1:1,127.0.0.1:2, 127.0.0.1:3", "3 bootstrap brokers tried; each refused or dropped the connection"),
])
def test_librdkafka_broker_counts_are_said_as_the_brokers_tried(servers: str, tried: str) -> None:
    env = Environment("dev", servers)
    for text in ("0/2 brokers are down", "1/1 brokers are down", "Connect to 127.0.0.1:1 failed: 3/3 brokers are down"):
        message = describe_kafka_error(KafkaException(KafkaError(KafkaError._ALL_BROKERS_DOWN, text)), env)
        assert tried in message
        assert "brokers are down" not in message


@pytest.mark.parametrize(("servers", "tried"), [
    ("127.0.0.1:1", "(1 bootstrap broker tried; it refused or dropped the connection)"),
    ("127.0.0.1:1,127.0.0.1:2", "(2 bootstrap brokers tried; each refused or dropped the connection)"),
])
def test_plan_and_cluster_info_say_how_many_brokers_were_tried(tmp_path: Path, servers: str, tried: str) -> None:
    (tmp_path / "mqctl.yaml").write_text(f"environments:\n  dev:\n    bootstrap_servers: '{servers}'\n"
                                         "    timeout_seconds: 3\n")
    (tmp_path / "topics").mkdir()
    project = Project(tmp_path, "dev")
    for args in (("plan", "--env", "dev"), ("cluster", "info", "--env", "dev")):
        result = project.run(*args)
        assert result.exit_code == 1
        assert f"cannot reach Kafka environment 'dev' at {servers} {tried}" in result.stderr, result.stderr
        assert "brokers are down" not in result.output
