"""mqctl's deadlines on kafka-python, against the real cluster: on a round of raw requests
(mqctl.kafka.wire) and on kafka-python's own admin methods (ProtocolClient.call). kafka-python
loses the error of a request it cannot encode while the connection is still being set up, and
without the deadline the round never ended."""

from __future__ import annotations

import threading
import time

import pytest
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaTimeoutError
from kafka.protocol.metadata import MetadataRequest

from mqctl.config import Environment
from mqctl.diagnostics import MqctlError
from mqctl.kafka.protocol import CALL_DEADLINE, ProtocolClient
from mqctl.kafka.wire import exchange_addressed
from tests.conftest import DEV_BOOTSTRAP

pytestmark = pytest.mark.kafka

TIMEOUT_MS = 1000


def test_a_request_kafka_python_cannot_encode_on_a_new_connection_fails_within_twice_the_timeout() -> None:
    # a fresh client has no broker connection yet: the request waits in the new connection's buffer
    client = KafkaAdminClient(bootstrap_servers=DEV_BOOTSTRAP.split(","), request_timeout_ms=TIMEOUT_MS)
    unencodable = MetadataRequest(topics=["x"])  # topics must be MetadataRequestTopic objects
    outcome: list[BaseException] = []

    def exchange() -> None:
        try:
            exchange_addressed(client, [(unencodable, None)], TIMEOUT_MS)
        except BaseException as exc:  # whatever it is, the test inspects it
            outcome.append(exc)

    try:
        started = time.monotonic()
        waiting = threading.Thread(target=exchange, daemon=True)  # a hang fails the test, not the suite
        waiting.start()
        waiting.join(15)
        assert not waiting.is_alive(), "the round never ended"
        assert 2 <= time.monotonic() - started < 6
        (error,) = outcome
        assert isinstance(error, KafkaTimeoutError) and "no outcome within 2s" in str(error), repr(error)
        # the client's loop still serves other requests afterwards
        (answer,) = exchange_addressed(client, [(MetadataRequest(topics=[]), None)], 15000)
        assert {broker.node_id for broker in answer.brokers} >= {1, 2, 3}
    finally:
        client.close()


def test_an_admin_method_that_never_returns_fails_within_its_deadline() -> None:
    # kafka-python's list_partition_reassignments with partitions it cannot encode, sent to a
    # controller it is not yet connected to, never returned (6 runs of 6 by hand); which broker
    # the metadata names as controller is the broker's choice, so the method here blocks for sure
    client = ProtocolClient(Environment("dev", DEV_BOOTSTRAP, timeout_seconds=1), lambda: None)
    release = threading.Event()
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            client.call("list partition reassignments", lambda _: release.wait())
        except BaseException as exc:  # whatever it is, the test inspects it
            outcome.append(exc)

    try:
        assert client.admin_client is not None  # connected before the clock starts
        started = time.monotonic()
        waiting = threading.Thread(target=call, daemon=True)  # a hang fails the test, not the suite
        waiting.start()
        waiting.join(15)
        assert not waiting.is_alive(), "the call never ended"
        assert CALL_DEADLINE <= time.monotonic() - started < CALL_DEADLINE + 4
        (error,) = outcome
        assert isinstance(error, MqctlError), repr(error)
        assert str(error) == (
            f"list partition reassignments: no outcome within {CALL_DEADLINE}s (kafka-python never completed the call)"
        )
        # the connection still serves kafka-python's admin methods
        assert client.call("list partition reassignments", lambda c: c.list_partition_reassignments()) == {}
    finally:
        release.set()
        client.close()
