"""The one admin-client boundary: read live state as plain values, execute typed changes.

Every call is bounded by the environment's timeout and every failure becomes an MqctlError with a
readable message, so callers never see a librdkafka exception or hang on an unreachable cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from mqctl.config import Environment
from mqctl.kafka.connection import client_config, kafka_failure

T = TypeVar("T")


@dataclass(frozen=True)
class BrokerInfo:
    id: int
    host: str
    port: int
    rack: str | None


@dataclass(frozen=True)
class ClusterInfo:
    cluster_id: str | None
    controller_id: int | None
    brokers: tuple[BrokerInfo, ...]
    topic_count: int
    partition_count: int
    internal_topic_count: int


class KafkaAdmin:
    """A connection to one environment's cluster through confluent-kafka's AdminClient."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.timeout = env.timeout_seconds
        self.requests = 0  # admin requests sent; benchmarks read it to prove constant request counts
        self._client = AdminClient(client_config(env))

    def _wait(self, future: Any, doing: str) -> Any:
        try:
            return future.result(timeout=self.timeout + 5)
        except KafkaException as exc:
            raise kafka_failure(exc, self.env, doing) from exc
        except TimeoutError as exc:
            raise kafka_failure(exc, self.env, doing) from exc

    def _call(self, doing: str, start: Callable[[], T]) -> T:
        self.requests += 1
        try:
            return start()
        except KafkaException as exc:
            raise kafka_failure(exc, self.env, doing) from exc

    def cluster_info(self) -> ClusterInfo:
        """Cluster id, controller, brokers and topic counts (describe_cluster + one metadata request)."""
        described = self._wait(
            self._call("describe cluster", lambda: self._client.describe_cluster(request_timeout=self.timeout)),
            "describe cluster",
        )
        metadata = self._call("list topics", lambda: self._client.list_topics(timeout=self.timeout))
        brokers = tuple(
            sorted(
                (BrokerInfo(node.id, node.host, node.port, node.rack) for node in described.nodes),
                key=lambda b: b.id,
            )
        )
        internal = [t for t in metadata.topics if t.startswith("__")]
        return ClusterInfo(
            cluster_id=described.cluster_id,
            controller_id=described.controller.id if described.controller else None,
            brokers=brokers,
            topic_count=len(metadata.topics) - len(internal),
            partition_count=sum(len(t.partitions) for t in metadata.topics.values()),
            internal_topic_count=len(internal),
        )
