"""mqctl.kafka.wire relies on kafka-python internals that its public API does not cover: these
checks fail loudly, naming what moved, when a kafka-python release changes them (the integration
suite then exercises the shim against the real cluster)."""

from __future__ import annotations

import inspect

import kafka
from kafka.admin import KafkaAdminClient
from kafka.net.manager import KafkaConnectionManager


def test_kafka_python_is_the_pinned_release_line() -> None:
    assert kafka.__version__.startswith("3.0."), "the shim was written for kafka-python 3.0.x; re-check it"


def test_the_admin_client_keeps_its_connection_manager_as_manager() -> None:
    source = inspect.getsource(KafkaAdminClient.__init__)
    assert "self._manager = " in source, "KafkaAdminClient no longer sets _manager: mqctl.kafka.wire must change"


def test_the_connection_manager_sends_to_a_node_with_a_timeout_and_runs_coroutines() -> None:
    send = inspect.signature(KafkaConnectionManager.send)
    assert list(send.parameters) == ["self", "request", "node_id", "request_timeout_ms"]
    assert list(inspect.signature(KafkaConnectionManager.run).parameters)[:2] == ["self", "coro"]
