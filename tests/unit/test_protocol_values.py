"""The plain values mqctl puts into and takes out of kafka-python's protocol messages.

The requests go through the real wire encoding at the versions Kafka 4 speaks, so a tuple laid out
in the wrong field order fails here rather than on a cluster."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import kafka.errors
from kafka.protocol.admin import (
    CreatePartitionsRequest,
    CreatePartitionsResponse,
    CreateTopicsRequest,
    CreateTopicsResponse,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
    IncrementalAlterConfigsRequest,
    IncrementalAlterConfigsResponse,
)

from mqctl.config import Environment
from mqctl.kafka.protocol import ProtocolClient
from mqctl.kinds.topics.admin import _incremental, _new_topic, _results, _shows
from mqctl.kinds.topics.changes import TopicCreate, TopicUpdate


def test_a_create_request_carries_partitions_factor_and_configs_at_v7() -> None:
    change = TopicCreate("prod.order.created.v1", partitions=6, replication_factor=3, config={"retention.ms": "1"})
    request = CreateTopicsRequest(topics=[_new_topic(change)], timeout_ms=5000, validate_only=True)
    (topic,) = CreateTopicsRequest.decode(request.encode(version=7), version=7).topics
    assert (topic.name, topic.num_partitions, topic.replication_factor) == ("prod.order.created.v1", 6, 3)
    assert [(c.name, c.value) for c in topic.configs] == [("retention.ms", "1")]
    assert topic.assignments == []


def test_a_config_update_sets_and_deletes_keys_incrementally() -> None:
    change = TopicUpdate("t", set_config={"segment.ms": "60000"}, reset_config=("retention.ms",))
    request = IncrementalAlterConfigsRequest(resources=[_incremental(change)], validate_only=False)
    (resource,) = IncrementalAlterConfigsRequest.decode(request.encode(version=1), version=1).resources
    assert (resource.resource_type, resource.resource_name) == (2, "t")
    assert [(c.name, c.config_operation, c.value) for c in resource.configs] == [
        ("segment.ms", 0, "60000"),
        ("retention.ms", 1, None),
    ]


def test_partition_increases_and_deletes_by_name_or_id_encode() -> None:
    grow = CreatePartitionsRequest(topics=[("t", 12, None)], timeout_ms=5000, validate_only=False)
    (topic,) = CreatePartitionsRequest.decode(grow.encode(version=3), version=3).topics
    assert (topic.name, topic.count, topic.assignments) == ("t", 12, None)
    topic_id = uuid.uuid4()
    delete = DeleteTopicsRequest(topics=[("t", None), (None, topic_id)], timeout_ms=5000)
    by_name, by_id = DeleteTopicsRequest.decode(delete.encode(version=6), version=6).topics
    assert by_name.name == "t" and by_id.name is None and by_id.topic_id == topic_id


def test_results_of_the_four_mutations_read_alike() -> None:
    created = CreateTopicsResponse(
        throttle_time_ms=900,
        topics=[CreateTopicsResponse.CreatableTopicResult(name="a", error_code=89, error_message="over quota")],
    )
    grown = CreatePartitionsResponse(
        throttle_time_ms=0, results=[CreatePartitionsResponse.CreatePartitionsTopicResult(name="b", error_code=0)]
    )
    deleted = DeleteTopicsResponse(
        throttle_time_ms=0, responses=[DeleteTopicsResponse.DeletableTopicResult(name="c", error_code=3)]
    )
    result = IncrementalAlterConfigsResponse.AlterConfigsResourceResponse
    altered = IncrementalAlterConfigsResponse(
        throttle_time_ms=0, responses=[result(resource_name="d", error_code=0, error_message=None)]
    )
    assert list(_results(created)) == [("a", 89, "over quota")]
    assert list(_results(grown)) == [("b", 0, None)]
    assert list(_results(deleted)) == [("c", 3, None)]
    assert list(_results(altered)) == [("d", 0, None)]


def test_a_broker_shows_a_topic_created_grown_or_gone() -> None:
    listed = SimpleNamespace(error_code=0, partitions=[0, 1, 2])
    electing = SimpleNamespace(error_code=5, partitions=[0, 1, 2])  # LEADER_NOT_AVAILABLE: it exists
    unknown = SimpleNamespace(error_code=3, partitions=[])
    hidden = SimpleNamespace(error_code=29, partitions=[])  # not describable: cannot be told
    assert _shows(listed, 3) is True and _shows(electing, 3) is True and _shows(listed, 6) is False
    assert _shows(unknown, 1) is False and _shows(None, 1) is False
    assert _shows(unknown, None) is True and _shows(None, None) is True and _shows(listed, None) is False
    assert _shows(hidden, 1) is None and _shows(hidden, None) is None


def test_kafka_python_failures_read_like_every_other_kafka_error() -> None:
    client = ProtocolClient(Environment("dev", "127.0.0.1:1", timeout_seconds=5), lambda: None)
    unreachable = "cannot reach Kafka environment 'dev' at 127.0.0.1:1"
    assert client._failure(kafka.errors.KafkaConnectionError("refused")).startswith(unreachable)
    assert client._failure(kafka.errors.UnknownBrokerIdError(3)).startswith(unreachable)
    assert client._failure(kafka.errors.KafkaTimeoutError()) == f"{unreachable} (no answer within 5s)"
    assert client._failure(kafka.errors.SaslAuthenticationFailedError()).startswith(
        "authentication to environment 'dev' failed: SASL_AUTHENTICATION_FAILED"
    )
    assert client._failure(kafka.errors.TopicAuthorizationFailedError()).startswith("TOPIC_AUTHORIZATION_FAILED")
    refused = "No version of the 'DescribeConfigs' Kafka protocol is supported by the client [4-4] and broker [0-3]"
    assert client._failure(kafka.errors.IncompatibleBrokerVersion(refused)) == f"UNSUPPORTED_VERSION: {refused}"
