"""The one admin-client boundary: read live state as plain values, execute typed changes.

Every call is bounded by the environment's timeout and every failure becomes an MqctlError with a
readable message, so callers never see a librdkafka exception or hang on an unreachable cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    NewPartitions,
    NewTopic,
    ResourceType,
)

from mqctl.batching import chunks
from mqctl.config import Environment
from mqctl.diagnostics import MqctlError
from mqctl.kafka.connection import client_config, describe_kafka_error, kafka_failure
from mqctl.live import LiveConfig, LiveState, LiveTopic
from mqctl.plan import Change, TopicCreate, TopicDelete, TopicUpdate

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
            self._call(
                "describe cluster", lambda: self._client.describe_cluster(request_timeout=self.timeout)
            ),
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


def live_config(entry: Any) -> LiveConfig:
    return LiveConfig(
        value=entry.value,
        source=ConfigSource(entry.source).name,  # the client hands back a bare int
        read_only=bool(entry.is_read_only),
        sensitive=bool(entry.is_sensitive),
    )


Outcome = dict[str, str | None]  # change name -> None on success, else the reason it failed


class TopicAdmin:
    """Snapshot and batched execution for topics, over one KafkaAdmin connection."""

    def __init__(self, admin: KafkaAdmin) -> None:
        self.admin = admin
        self.client = admin._client
        self.timeout = admin.timeout

    def snapshot(self, prefix: str) -> LiveState:
        """Brokers and every topic under `prefix` with its configs: one metadata request and one
        DescribeConfigs for all topics, however many there are."""
        metadata = self.admin._call("list topics", lambda: self.client.list_topics(timeout=self.timeout))
        managed = sorted(name for name in metadata.topics if name.startswith(prefix))
        configs: dict[str, dict[str, LiveConfig]] = {}
        if managed:
            resources = [ConfigResource(ResourceType.TOPIC, name) for name in managed]
            futures = self.admin._call(
                "describe topic configs",
                lambda: self.client.describe_configs(resources, request_timeout=self.timeout),
            )
            for resource, future in futures.items():
                entries = self.admin._wait(future, f"describe configs of {resource.name}")
                configs[resource.name] = {k: live_config(v) for k, v in entries.items()}
        topics = {}
        for name in managed:
            partitions = metadata.topics[name].partitions
            replicas = tuple(tuple(partitions[p].replicas) for p in sorted(partitions))
            topics[name] = LiveTopic(name, len(partitions), replicas, configs.get(name, {}))
        return LiveState(
            brokers=tuple(sorted(metadata.brokers)),
            topics=topics,
            all_topic_names=frozenset(metadata.topics),
        )

    def _collect(self, futures: Mapping[Any, Future[Any]], outcome: Outcome) -> None:
        for key, future in futures.items():
            name = key if isinstance(key, str) else key.name
            try:
                future.result(timeout=self.timeout + 30)
                outcome.setdefault(name, None)
            except (KafkaException, TimeoutError) as exc:
                outcome[name] = describe_kafka_error(exc, self.admin.env)

    def _send(
        self,
        doing: str,
        method: Callable[..., Mapping[Any, Future[Any]]],
        items: list[Any],
        names: Iterable[str],
        outcome: Outcome,
        **options: Any,
    ) -> None:
        """One batched request; a failure of the whole request is recorded against each name."""
        try:
            futures = self.admin._call(doing, lambda: method(items, request_timeout=self.timeout, **options))
        except (MqctlError, KafkaException, ValueError) as exc:  # recorded per name, never swallowed
            for name in names:
                outcome[name] = str(exc)
            return
        self._collect(futures, outcome)

    def create(self, changes: Sequence[TopicCreate], validate_only: bool = False) -> Outcome:
        outcome: Outcome = {}
        for batch in chunks(changes, _create_cost):
            new = [NewTopic(c.name, c.partitions, c.replication_factor, config=dict(c.config)) for c in batch]
            self._send(
                "create topics",
                self.client.create_topics,
                new,
                (c.name for c in batch),
                outcome,
                operation_timeout=self.timeout,
                validate_only=validate_only,
            )
        return outcome

    def update(self, changes: Sequence[TopicUpdate], validate_only: bool = False) -> Outcome:
        """Partition increases first (CreatePartitions), then IncrementalAlterConfigs; never the
        legacy whole-config AlterConfigs, which would wipe keys we do not manage."""
        outcome: Outcome = {}
        grow = [c for c in changes if c.new_partitions is not None]
        for batch in chunks(grow, lambda c: int(c.new_partitions or 0) * 2):
            parts = [NewPartitions(c.name, int(c.new_partitions or 0)) for c in batch]
            self._send(
                "create partitions",
                self.client.create_partitions,
                parts,
                (c.name for c in batch),
                outcome,
                operation_timeout=self.timeout,
                validate_only=validate_only,
            )
        alter = [c for c in changes if (c.set_config or c.reset_config) and not outcome.get(c.name)]
        for batch in chunks(alter, lambda c: len(c.set_config) + len(c.reset_config)):
            resources = [_incremental(c) for c in batch]
            self._send(
                "alter topic configs",
                self.client.incremental_alter_configs,
                resources,
                (c.name for c in batch),
                outcome,
                validate_only=validate_only,
            )
        return outcome

    def delete(self, changes: Sequence[TopicDelete], validate_only: bool = False) -> Outcome:
        if validate_only:  # DeleteTopics has no validate-only mode
            return {c.name: None for c in changes}
        outcome: Outcome = {}
        for batch in chunks(changes, lambda c: 1, limit=1000):
            names = [c.name for c in batch]
            self._send(
                "delete topics",
                self.client.delete_topics,
                names,
                names,
                outcome,
                operation_timeout=self.timeout,
            )
        return outcome

    def executors(self) -> dict[type[Change], Callable[[Sequence[Any], bool], Outcome]]:
        """Execution looked up by change type (alembic's toimpl): one entry per kind and action."""
        return {TopicCreate: self.create, TopicUpdate: self.update, TopicDelete: self.delete}


def _create_cost(change: TopicCreate) -> int:
    """Metadata records a create writes: the topic, each partition (plus its replica set), each config."""
    return 1 + change.partitions * 2 + len(change.config)


def _incremental(change: TopicUpdate) -> ConfigResource:
    entries = [
        ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET)
        for k, v in sorted(change.set_config.items())
    ] + [ConfigEntry(k, None, incremental_operation=AlterConfigOpType.DELETE) for k in change.reset_config]
    return ConfigResource(ResourceType.TOPIC, change.name, incremental_configs=entries)
