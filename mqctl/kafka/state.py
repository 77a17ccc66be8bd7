"""Reads of the cluster's own state for `mqctl cluster health` and the repairs: partitions with
their leader and in-sync replicas, log directories, the KRaft controller quorum; and preferred
leader elections. Plain values out, a constant number of requests whatever the partition count.

Metadata and elections go through librdkafka; DescribeLogDirs and DescribeQuorum, which
confluent-kafka has no API for, as kafka-python protocol requests over the run's ProtocolClient.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import kafka.errors
from confluent_kafka import ElectionType, KafkaError, KafkaException, TopicPartition
from kafka.protocol.admin import DescribeLogDirsRequest, DescribeQuorumRequest

from mqctl.diagnostics import MqctlError
from mqctl.kafka.admin import KafkaAdmin
from mqctl.kafka.connection import describe_kafka_error
from mqctl.kafka.protocol import describe_error
from mqctl.live import LogDir, PartitionState, Quorum, QuorumReplica

METADATA_TOPIC = "__cluster_metadata"  # the KRaft metadata log DescribeQuorum describes


def partitions(admin: KafkaAdmin) -> tuple[PartitionState, ...]:
    """Every partition of every topic (internal ones included) with leader, replicas and ISR:
    one metadata request."""
    metadata = admin.call("read metadata", lambda: admin.client.list_topics(timeout=admin.timeout))
    return tuple(
        PartitionState(name, p.id, p.leader, tuple(p.replicas), tuple(p.isrs))
        for name, topic in sorted(metadata.topics.items())
        for p in sorted(topic.partitions.values(), key=lambda p: p.id)
    )


def log_dirs(admin: KafkaAdmin, brokers: Iterable[int]) -> tuple[LogDir, ...]:
    """The log directories of each broker with the size and free space of their volumes: one
    DescribeLogDirs per broker (a broker answers for its own disks), asking for no topics, so
    the answer does not grow with the partitions."""
    found = []
    for broker in brokers:
        doing = f"describe log dirs of broker {broker}"
        response = admin.protocol.send(doing, DescribeLogDirsRequest(topics=[]), broker)
        for result in response.results:
            error = describe_error(admin.env, result.error_code, None) if result.error_code else None
            total = getattr(result, "total_bytes", -1)
            usable = getattr(result, "usable_bytes", -1)
            found.append(
                LogDir(broker, result.log_dir, error, total if total >= 0 else None, usable if usable >= 0 else None)
            )
    return tuple(found)


def _replicas(states: Sequence[object]) -> tuple[QuorumReplica, ...]:
    return tuple(
        QuorumReplica(int(s.replica_id), int(s.log_end_offset), int(s.last_caught_up_timestamp))  # type: ignore[attr-defined]
        for s in states
    )


def quorum(admin: KafkaAdmin) -> Quorum | None:
    """The KRaft controller quorum (DescribeQuorum of the metadata log): one request. None when
    the brokers do not know the request (a ZooKeeper-based cluster, Kafka 3.x)."""
    topic = DescribeQuorumRequest.TopicData
    request = DescribeQuorumRequest(
        topics=[topic(topic_name=METADATA_TOPIC, partitions=[topic.PartitionData(partition_index=0)])]
    )
    doing = "describe the controller quorum"
    try:
        response = admin.protocol.send(doing, request)
    except MqctlError as exc:
        if isinstance(exc.__cause__, kafka.errors.UnsupportedVersionError):
            return None
        raise
    if response.error_code:
        raise MqctlError(f"{doing}: {describe_error(admin.env, response.error_code, response.error_message)}")
    (part,) = response.topics[0].partitions
    if part.error_code:
        raise MqctlError(f"{doing}: {describe_error(admin.env, part.error_code, part.error_message)}")
    return Quorum(
        leader=int(part.leader_id),
        epoch=int(part.leader_epoch),
        high_watermark=int(part.high_watermark),
        voters=_replicas(part.current_voters),
        observers=_replicas(part.observers),
    )


def elect_preferred(admin: KafkaAdmin, chosen: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str | None]:
    """A preferred-leader election for each (topic, partition) in one ElectLeaders request:
    None when the preferred replica leads (now or already), else why not."""
    wanted = [TopicPartition(topic, partition) for topic, partition in chosen]
    if not wanted:
        return {}
    doing = "elect preferred leaders"
    # confluent-kafka 2.16 refuses its own request_timeout/operation_timeout keywords here
    # (SystemError from the C binding); the wait is bounded by KafkaAdmin.wait all the same.
    future = admin.call(doing, lambda: admin.client.elect_leaders(ElectionType.PREFERRED, wanted))
    results = admin.wait(future, doing)
    outcome: dict[tuple[str, int], str | None] = {}
    for tp, error in results.items():
        done = error is None or error.code() == KafkaError.ELECTION_NOT_NEEDED
        outcome[(tp.topic, tp.partition)] = None if done else describe_kafka_error(KafkaException(error), admin.env)
    return outcome
