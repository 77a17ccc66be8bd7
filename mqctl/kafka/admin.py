"""The one admin-client boundary: read live state as plain values, execute typed changes.

Every call is bounded by the environment's timeout and every failure becomes an MqctlError with a
readable message, so callers never see a librdkafka exception or hang on an unreachable cluster.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from confluent_kafka import KafkaError, KafkaException
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

from mqctl.batching import MAX_RECORDS_PER_REQUEST, chunks
from mqctl.config import Environment
from mqctl.diagnostics import MqctlError
from mqctl.kafka.connection import client_config, describe_kafka_error, error_code, kafka_failure, unreachable
from mqctl.kafka.reassign import ReassignAdmin
from mqctl.live import LiveConfig, LiveState, LiveTopic
from mqctl.plan import Change, TopicCreate, TopicDelete, TopicReassign, TopicUpdate

T = TypeVar("T")
C = TypeVar("C", bound=Change)

QUOTA_STALLS = 5  # quota rounds in a row that get nothing accepted before giving up
# codes after which a mutation may or may not have happened: re-read before calling it failed
UNKNOWN_OUTCOME = frozenset({KafkaError.REQUEST_TIMED_OUT, KafkaError._TIMED_OUT, KafkaError._TRANSPORT})


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

    def __init__(self, env: Environment, notify: Callable[[str], None] = lambda _: None) -> None:
        self.env = env
        self.timeout = env.timeout_seconds
        self.requests = 0  # admin requests sent; benchmarks read it to prove constant request counts
        self.notify = notify  # progress of long operations (throttled retries, replica moves)
        self.throttle_seconds = 0.0  # the last throttle time a broker asked for (quota exceeded)
        self._fatal: str | None = None  # why waiting is pointless (bad credentials, nothing answers)
        self._broker_configs: dict[int, dict[str, LiveConfig]] = {}  # see broker_configs()
        self._client = AdminClient(client_config(env, throttle_cb=self._throttled, error_cb=self._on_error))

    def _on_error(self, err: KafkaError) -> None:
        """librdkafka reports connection-level trouble here, not through futures. Bad credentials,
        or every bootstrap broker refusing before we ever got through, make waiting pointless."""
        code = err.code()
        if code == KafkaError._AUTHENTICATION or err.fatal():
            self._fatal = f"authentication to environment {self.env.name!r} failed: {err.str()}"
        elif code == KafkaError._ALL_BROKERS_DOWN and self._fatal is None and "cluster" not in self.__dict__:
            self._fatal = unreachable(
                self.env, f"every bootstrap broker refused or dropped the connection: {err.str()}"
            )

    def _throttled(self, event: Any) -> None:
        """A broker delayed us for a quota. librdkafka speaks CreateTopics/DeleteTopics/
        CreatePartitions versions before KIP-599's v6, so the broker answers a controller mutation
        quota by holding the connection for the throttle time, not by rejecting topics; show it."""
        seconds = float(event.throttle_time)
        self.throttle_seconds = max(self.throttle_seconds, seconds)
        if seconds >= 0.5:
            self.notify(f"broker {event.broker_id} throttles mqctl for {seconds:.1f}s (a quota); continuing after it")

    def result(self, future: Future[Any], slack: float = 30) -> Any:
        """Wait for a future while serving librdkafka's callbacks: a throttled wait shows up as such,
        and bad credentials or a cluster that refuses every connection end the wait at once. Bounded
        by the environment's timeout plus `slack`; raises the future's own KafkaException."""
        deadline = time.monotonic() + self.timeout + slack
        while True:
            try:
                return future.result(timeout=0.02)  # wakes as soon as the answer is there
            except FutureTimeout:
                pass
            self._client.poll(0)  # serve error and throttle callbacks without blocking
            if self._fatal is not None:
                raise MqctlError(self._fatal)
            if time.monotonic() >= deadline:
                raise TimeoutError(unreachable(self.env, f"no answer within {self.timeout:g}s"))

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retrying requests a quota rejected: the throttle time the broker
        gave (served through poll), else an exponential guess; at least 0.1s."""
        self.throttle_seconds = 0.0
        self._client.poll(0)
        return max(self.throttle_seconds, 0.1) if self.throttle_seconds else min(0.5 * 2**attempt, 10.0)

    def _wait(self, future: Any, doing: str, slack: float = 5) -> Any:
        """`result`, with every failure turned into a readable MqctlError naming what was being done."""
        try:
            return self.result(future, slack)
        except (KafkaException, TimeoutError) as exc:
            raise kafka_failure(exc, self.env, doing) from exc

    @cached_property
    def cluster(self) -> Any:
        """DescribeCluster, the first contact with the cluster: it fails within the environment's
        timeout (at once on bad credentials or refused connections), never hangs."""
        self.requests += 1
        try:
            future = self._client.describe_cluster(request_timeout=self.timeout)
        except KafkaException as exc:
            raise kafka_failure(exc, self.env, "connect") from exc
        try:
            return self.result(future, slack=0)
        except KafkaException as exc:  # a first contact that times out means nothing answered
            reason = describe_kafka_error(exc, self.env)
            if error_code(exc) == KafkaError._TIMED_OUT:
                reason = unreachable(self.env, f"no answer within {self.timeout:g}s")
            raise MqctlError(f"connect: {reason}") from exc
        except TimeoutError as exc:
            raise MqctlError(f"connect: {exc}") from exc

    def _call(self, doing: str, start: Callable[[], T]) -> T:
        self.cluster  # noqa: B018 - the first request of a run goes through the bounded first contact
        self.requests += 1
        try:
            return start()
        except KafkaException as exc:
            raise kafka_failure(exc, self.env, doing) from exc

    def broker_configs(self, brokers: Iterable[int]) -> dict[int, dict[str, LiveConfig]]:
        """Every config of each broker (static keys included), read once per run: the brokers kind
        and the ACL kind's authorizer check both need them. One request per broker (librdkafka takes
        one BROKER resource per call), all sent before any is awaited."""
        wanted = list(brokers)
        pending = {broker: self._describe_broker(broker) for broker in wanted if broker not in self._broker_configs}
        for broker, futures in pending.items():
            (future,) = futures.values()
            entries = self._wait(future, f"describe configs of broker {broker}")
            self._broker_configs[broker] = {name: live_config(entry) for name, entry in entries.items()}
        return {broker: self._broker_configs[broker] for broker in wanted}

    def forget_broker_configs(self) -> None:
        """Broker configs were changed: the next read must ask the brokers again."""
        self._broker_configs.clear()

    def _describe_broker(self, broker: int) -> Mapping[Any, Future[Any]]:
        resource = ConfigResource(ResourceType.BROKER, str(broker))
        return self._call(
            "describe broker configs", lambda: self._client.describe_configs([resource], request_timeout=self.timeout)
        )

    def brokers(self) -> tuple[BrokerInfo, ...]:
        """The live brokers with their racks, by id (from the first contact's DescribeCluster)."""
        return _brokers(self.cluster)

    def cluster_info(self) -> ClusterInfo:
        """Cluster id, controller, brokers and topic counts (describe_cluster + one metadata request)."""
        described = self.cluster
        metadata = self._call("list topics", lambda: self._client.list_topics(timeout=self.timeout))
        brokers = _brokers(described)
        internal = [t for t in metadata.topics if t.startswith("__")]
        return ClusterInfo(
            cluster_id=described.cluster_id,
            controller_id=described.controller.id if described.controller else None,
            brokers=brokers,
            topic_count=len(metadata.topics) - len(internal),
            partition_count=sum(len(t.partitions) for t in metadata.topics.values()),
            internal_topic_count=len(internal),
        )


def _brokers(described: Any) -> tuple[BrokerInfo, ...]:
    nodes = (BrokerInfo(node.id, node.host, node.port, node.rack) for node in described.nodes)
    return tuple(sorted(nodes, key=lambda b: b.id))


_SOURCE_NAMES = {source.value: source.name for source in ConfigSource}  # the client hands back bare ints
# DescribeConfigs of all topics is split into this many requests (a constant, whatever the topic
# count), at most DESCRIBE_IN_FLIGHT of them at once: brokers answer in parallel, and the client
# holds only those responses' ~35 entries per topic at a time. Measured locally at 10,000 topics:
# one request 3.5 s and ~390 MB; six, one at a time, 3.0 s and ~100 MB.
DESCRIBE_PARTS = 6
DESCRIBE_IN_FLIGHT = 2


def live_config(entry: Any) -> LiveConfig:
    return LiveConfig(
        value=entry.value,
        source=_SOURCE_NAMES.get(entry.source, str(entry.source)),
        read_only=bool(entry.is_read_only),
        sensitive=bool(entry.is_sensitive),
    )


def live_configs(entries: Mapping[str, Any], seen: dict[tuple[Any, ...], LiveConfig]) -> dict[str, LiveConfig]:
    """Convert one resource's entries, sharing equal LiveConfigs across resources through `seen`:
    most of a topic's ~35 entries are the same broker defaults, so 10,000 topics need a few hundred
    objects instead of 350,000."""
    out = {}
    for key, entry in entries.items():
        signature = (key, entry.value, entry.source, entry.is_read_only, entry.is_sensitive)
        config = seen.get(signature)
        if config is None:
            config = seen[signature] = live_config(entry)
        out[key] = config
    return out


Outcome = dict[str, str | None]  # change name -> None on success, else the reason it failed


class TopicAdmin:
    """Snapshot and batched execution for topics, over one KafkaAdmin connection."""

    def __init__(self, admin: KafkaAdmin) -> None:
        self.admin = admin
        self.client = admin._client
        self.timeout = admin.timeout
        self.reassign = ReassignAdmin(admin)

    def snapshot(self, prefix: str) -> LiveState:
        """Brokers (with racks) and every topic under `prefix` with its configs and any replica move
        in progress: the first contact (DescribeCluster), metadata, DescribeConfigs of all topics
        in DESCRIBE_PARTS requests, and ListPartitionReassignments: at most nine requests however
        many topics there are."""
        metadata = self.admin._call("list topics", lambda: self.client.list_topics(timeout=self.timeout))
        managed = sorted(name for name in metadata.topics if name.startswith(prefix))
        configs: dict[str, dict[str, LiveConfig]] = {}
        seen: dict[tuple[Any, ...], LiveConfig] = {}
        parts = [managed[i::DESCRIBE_PARTS] for i in range(min(DESCRIBE_PARTS, len(managed)))]
        in_flight: deque[Mapping[Any, Future[Any]]] = deque()
        for index, part in enumerate(parts):
            in_flight.append(self._describe_topic_configs(part))
            while in_flight and (len(in_flight) >= DESCRIBE_IN_FLIGHT or index == len(parts) - 1):
                for resource, future in in_flight.popleft().items():  # the response is freed after this
                    entries = self.admin._wait(future, f"describe configs of {resource.name}")
                    configs[resource.name] = live_configs(entries, seen)
        moving = self.reassign.ongoing(managed) if managed else {}
        topics = {}
        for name in managed:
            partitions = metadata.topics[name].partitions
            replicas = tuple(tuple(partitions[p].replicas) for p in sorted(partitions))
            topics[name] = LiveTopic(name, len(partitions), replicas, configs.get(name, {}), moving.get(name, {}))
        return LiveState(
            brokers=tuple(sorted(metadata.brokers)),
            topics=topics,
            all_topic_names=frozenset(metadata.topics),
            racks={b.id: b.rack for b in self.admin.brokers()},
        )

    def _describe_topic_configs(self, names: list[str]) -> Mapping[Any, Future[Any]]:
        resources = [ConfigResource(ResourceType.TOPIC, name) for name in names]
        return self.admin._call(
            "describe topic configs",
            lambda: self.client.describe_configs(resources, request_timeout=self.timeout),
        )

    def _collect(self, futures: Mapping[Any, Future[Any]], outcome: Outcome, codes: dict[str, int]) -> None:
        for key, future in futures.items():
            name = key if isinstance(key, str) else key.name
            try:
                self.admin.result(future)
                outcome[name] = None
            except (KafkaException, TimeoutError) as exc:
                outcome[name] = describe_kafka_error(exc, self.admin.env)
                codes[name] = error_code(exc)

    def _send(
        self,
        doing: str,
        method: Callable[..., Mapping[Any, Future[Any]]],
        items: list[Any],
        names: Iterable[str],
        outcome: Outcome,
        codes: dict[str, int] | None = None,
        **options: Any,
    ) -> None:
        """One batched request; a failure of the whole request is recorded against each name."""
        try:
            futures = self.admin._call(doing, lambda: method(items, request_timeout=self.timeout, **options))
        except (MqctlError, KafkaException, ValueError) as exc:  # recorded per name, never swallowed
            for name in names:
                outcome[name] = str(exc)
            return
        self._collect(futures, outcome, {} if codes is None else codes)

    def _mutate(
        self,
        doing: str,
        method: Callable[..., Mapping[Any, Future[Any]]],
        changes: Sequence[C],
        item: Callable[[C], Any],
        cost: Callable[[C], int],
        outcome: Outcome,
        limit: int = MAX_RECORDS_PER_REQUEST,
        **options: Any,
    ) -> dict[str, int]:
        """Batches under the record cap; topics the controller mutation quota rejected
        (THROTTLING_QUOTA_EXCEEDED, KIP-599 request versions 6+) are retried alone after the
        throttle time, until a round makes no progress QUOTA_STALLS times. Returns the error codes
        of what failed."""
        pending, stalls, attempt = list(changes), 0, 0
        codes: dict[str, int] = {}
        while pending:
            codes = {}
            for batch in chunks(pending, cost, limit):
                self._send(doing, method, [item(c) for c in batch], (c.name for c in batch), outcome, codes, **options)
            throttled = [c for c in pending if codes.get(c.name) == KafkaError.THROTTLING_QUOTA_EXCEEDED]
            if not throttled:
                break
            stalls = stalls + 1 if len(throttled) == len(pending) else 0
            if stalls >= QUOTA_STALLS:
                break
            wait = self.admin.backoff(attempt)
            attempt += 1
            self.admin.notify(
                f"{doing}: controller mutation quota exceeded; {len(pending) - len(throttled)} of {len(pending)} "
                f"accepted, retrying {len(throttled)} in {wait:.1f}s"
            )
            time.sleep(wait)
            pending = throttled
        return codes

    def _settle(self, outcome: Outcome, codes: Mapping[str, int], done: Callable[[LiveState], set[str]]) -> None:
        """A timed-out request may still have been carried out: re-read the live state for those
        names and count what did happen as done, so a retry never trips over its own success."""
        unknown = {name for name, code in codes.items() if code in UNKNOWN_OUTCOME}
        if not unknown:
            return
        metadata = self.admin._call("list topics", lambda: self.client.list_topics(timeout=self.timeout))
        live = LiveState(
            brokers=tuple(metadata.brokers),
            topics={
                n: LiveTopic(n, len(metadata.topics[n].partitions), ())
                for n in unknown
                if n in metadata.topics and metadata.topics[n].error is None
            },
            all_topic_names=frozenset(metadata.topics),
        )
        for name in done(live) & unknown:
            outcome[name] = None

    def create(self, changes: Sequence[TopicCreate], validate_only: bool = False) -> Outcome:
        outcome: Outcome = {}
        codes = self._mutate(
            "create topics",
            self.client.create_topics,
            changes,
            lambda c: NewTopic(c.name, c.partitions, c.replication_factor, config=dict(c.config)),
            _create_cost,
            outcome,
            operation_timeout=self.timeout,
            validate_only=validate_only,
        )
        if not validate_only:
            self._settle(outcome, codes, lambda live: set(live.topics))
        return outcome

    def update(self, changes: Sequence[TopicUpdate], validate_only: bool = False) -> Outcome:
        """Partition increases first (CreatePartitions), then IncrementalAlterConfigs; never the
        legacy whole-config AlterConfigs, which would wipe keys we do not manage."""
        outcome: Outcome = {}
        grow = [c for c in changes if c.new_partitions is not None]
        codes = self._mutate(
            "create partitions",
            self.client.create_partitions,
            grow,
            lambda c: NewPartitions(c.name, int(c.new_partitions or 0)),
            lambda c: int(c.new_partitions or 0),
            outcome,
            operation_timeout=self.timeout,
            validate_only=validate_only,
        )
        if not validate_only:
            wanted = {c.name: int(c.new_partitions or 0) for c in grow}
            self._settle(outcome, codes, lambda live: {n for n, t in live.topics.items() if t.partitions >= wanted[n]})
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
        codes = self._mutate(
            "delete topics",
            self.client.delete_topics,
            changes,
            lambda c: c.name,
            lambda c: 1,  # a topic's deletion is one record whatever its size
            outcome,
            limit=1000,  # but the brokers' work (removing logs) grows with it: smaller requests
            operation_timeout=self.timeout,
        )
        self._settle(outcome, codes, lambda live: {n for n in codes if n not in live.topics})
        return outcome

    def executors(self) -> dict[type[Change], Callable[[Sequence[Any], bool], Outcome]]:
        """Execution looked up by change type (alembic's toimpl): one entry per kind and action."""
        return {
            TopicCreate: self.create,
            TopicUpdate: self.update,
            TopicReassign: self.reassign.execute,
            TopicDelete: self.delete,
        }


def _create_cost(change: TopicCreate) -> int:
    """Metadata records a create writes: one TopicRecord, one PartitionRecord per partition (which
    carries its replica set), one ConfigRecord per config."""
    return 1 + change.partitions + len(change.config)


def _incremental(change: TopicUpdate) -> ConfigResource:
    entries = [
        ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in sorted(change.set_config.items())
    ] + [ConfigEntry(k, None, incremental_operation=AlterConfigOpType.DELETE) for k in change.reset_config]
    return ConfigResource(ResourceType.TOPIC, change.name, incremental_configs=entries)
