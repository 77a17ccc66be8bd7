"""mqctl.kafka.wire relies on kafka-python internals that its public API does not cover: these
checks fail loudly, naming what moved, when a kafka-python release changes them (the integration
suite then exercises the shim against the real cluster)."""

from __future__ import annotations

import inspect
import struct

import kafka
from kafka.admin import KafkaAdminClient
from kafka.net.manager import KafkaConnectionManager
from kafka.protocol.admin import DescribeConfigsRequest, DescribeConfigsResponse
from kafka.protocol.parser import KafkaProtocol

from mqctl.kafka.describe_configs import VERSION, decode_describe_configs
from mqctl.kafka.wire import decoded_by


def test_kafka_python_is_the_pinned_release_line() -> None:
    assert kafka.__version__.startswith("3.0."), "the shim was written for kafka-python 3.0.x; re-check it"


def test_the_admin_client_keeps_its_connection_manager_as_manager() -> None:
    source = inspect.getsource(KafkaAdminClient.__init__)
    assert "self._manager = " in source, "KafkaAdminClient no longer sets _manager: mqctl.kafka.wire must change"


def test_the_connection_manager_sends_to_a_node_with_a_timeout_and_schedules_coroutines() -> None:
    send = inspect.signature(KafkaConnectionManager.send)
    assert list(send.parameters) == ["self", "request", "node_id", "request_timeout_ms"]
    assert list(inspect.signature(KafkaConnectionManager.call_soon).parameters)[:2] == ["self", "coro"]


def test_the_admin_client_runs_its_event_loop_on_its_own_thread() -> None:
    """wire._bounded schedules a round with call_soon and waits for it on the caller's thread: only
    the admin client's IO thread runs the loop (call_soon alone would never run it)."""
    assert "self._net.start()" in inspect.getsource(KafkaAdminClient.__init__)


def test_no_round_puts_more_on_a_connection_than_kafka_python_lets_in_flight() -> None:
    """At max_in_flight_requests_per_connection kafka-python pauses a connection, and a request for
    any broker then fails with "No node_id provided": six DescribeConfigs parts to a one-broker
    cluster did (the SASL node's plan in `make demo`)."""
    from mqctl.kafka.wire import _rounds

    six_any = [(f"part{i}", None) for i in range(6)]
    assert [len(r) for r in _rounds(six_any, 5, 1)] == [5, 1]
    assert [len(r) for r in _rounds(six_any, 5, 3)] == [6]
    named = [("a", 1), ("b", 1), ("c", 2), ("d", 1)]
    assert _rounds(named, 2, 3) == [[("a", 1), ("b", 1), ("c", 2)], [("d", 1)]]
    assert [r for batch in _rounds(six_any + named, 2, 2) for r in batch] == six_any + named  # order kept


def encoded(results: list[object]) -> bytes:
    response = DescribeConfigsResponse(throttle_time_ms=0, results=results, version=VERSION)
    return bytes(response.encode(version=VERSION))


def framed(correlation_id: int, body: bytes) -> bytes:
    message = struct.pack(">i", correlation_id) + b"\x00" + body  # response header v1: id, no tagged fields
    return struct.pack(">i", len(message)) + message


def test_only_the_decoded_request_class_gets_mqctl_s_decoder_through_kafka_python_s_parser() -> None:
    """kafka-python's parser takes a response's class from the request's header (decoded_by's hook):
    the decoded class's response is mqctl's, a plain request's in the same stream kafka-python's."""
    decoded = decoded_by(DescribeConfigsRequest, DescribeConfigsResponse, decode_describe_configs)
    result = DescribeConfigsResponse.DescribeConfigsResult
    entry = result.DescribeConfigsResourceResult(
        name="cleanup.policy", value="compact", read_only=False, config_source=1, is_sensitive=False, synonyms=[],
        config_type=7, documentation=None,
    )
    body = encoded([result(error_code=0, error_message=None, resource_type=2, resource_name="t", configs=[entry])])
    parser = KafkaProtocol(client_id="mqctl-test")
    ours = decoded(resources=[(2, "t", None)], min_version=VERSION, max_version=VERSION)
    plain = DescribeConfigsRequest(resources=[(2, "t", None)])
    for request in (ours, plain):
        request.API_VERSION = VERSION
    assert ours.encode() == plain.encode()  # the same request on the wire
    first, second = parser.send_request(ours), parser.send_request(plain)
    parser.send_bytes()
    (_, mine), (_, theirs) = parser.receive_bytes(framed(first, body) + framed(second, body))
    assert mine == decode_describe_configs(body)
    assert isinstance(theirs, DescribeConfigsResponse)
    assert theirs.results[0].configs[0].value == "compact"
