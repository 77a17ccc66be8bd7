"""The one Kafka transport: a bounded connection to an environment's cluster that every kind uses
through public methods.

confluent-kafka's AdminClient does most of it (`client`, `call`, `wait`); what librdkafka cannot
do, or does slowly, goes through kafka-python's protocol messages (`protocol`, mqctl.kafka.protocol
says why). Every call is bounded by the environment's timeout and every failure becomes an
MqctlError with a readable message, so callers never see a client library's exception or hang on
an unreachable cluster. This layer knows nothing of specs, diffs or plans.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType
from kafka.protocol.admin import DescribeConfigsRequest

from mqctl.config import Environment
from mqctl.diagnostics import MqctlError
from mqctl.kafka.connection import client_config, describe_kafka_error, error_code, kafka_failure, unreachable
from mqctl.kafka.protocol import CONFIG_SOURCES, UNKNOWN_TOPIC_OR_PARTITION, ProtocolClient, describe_error
from mqctl.live import LiveConfig

T = TypeVar("T")

_TOPIC = 2  # the TOPIC config resource type of the protocol
# DescribeConfigs of many topics is split into this many requests (a constant, whatever the topic
# count), at most DESCRIBE_IN_FLIGHT of them at once: brokers answer in parallel, and the client
# holds only those responses' ~33 entries per topic at a time. Measured locally at 10,000 topics:
# one request 1.8 s, six 1.7 s; through librdkafka, six instead of one took the peak from 462 MB
# to 203 MB.
DESCRIBE_PARTS = 6
DESCRIBE_IN_FLIGHT = 2


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
        self._fatal: str | None = None  # why waiting is pointless (bad credentials, nothing answers)
        self._broker_configs: dict[int, dict[str, LiveConfig]] = {}  # see broker_configs()
        self.client = AdminClient(client_config(env, throttle_cb=self._throttled, error_cb=self._on_error))

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
        """A broker delays librdkafka's requests for a quota (request or controller mutation
        quotas on what still goes through it): show the wait."""
        seconds = float(event.throttle_time)
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
            self.client.poll(0)  # serve error and throttle callbacks without blocking
            if self._fatal is not None:
                raise MqctlError(self._fatal)
            if time.monotonic() >= deadline:
                raise TimeoutError(unreachable(self.env, f"no answer within {self.timeout:g}s"))

    def wait(self, future: Any, doing: str, slack: float = 5) -> Any:
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
            future = self.client.describe_cluster(request_timeout=self.timeout)
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

    @cached_property
    def protocol(self) -> ProtocolClient:
        """The kafka-python connection (mqctl.kafka.protocol), opened after the bounded first contact."""
        self.cluster  # noqa: B018 - an unreachable cluster fails there, within the timeout
        return ProtocolClient(self.env, self.count)

    def count(self) -> None:
        """One more request sent (by this connection or a helper sending through it)."""
        self.requests += 1

    def call(self, doing: str, start: Callable[[], T]) -> T:
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
            entries = self.wait(future, f"describe configs of broker {broker}")
            self._broker_configs[broker] = {name: live_config(entry) for name, entry in entries.items()}
        return {broker: self._broker_configs[broker] for broker in wanted}

    def topic_configs(
        self, names: Iterable[str], keys: Iterable[str] | None = None
    ) -> dict[str, dict[str, LiveConfig]]:
        """The configs of `names` (only `keys`, when given), in DESCRIBE_PARTS DescribeConfigs
        requests at most, through kafka-python (mqctl.kafka.protocol says why). A topic deleted
        since its name was read is left out."""
        wanted = sorted(names)
        only = None if keys is None else sorted(keys)
        configs: dict[str, dict[str, LiveConfig]] = {}
        seen: dict[tuple[Any, ...], LiveConfig] = {}
        requests = [
            DescribeConfigsRequest(resources=[(_TOPIC, name, only) for name in wanted[i::DESCRIBE_PARTS]])
            for i in range(min(DESCRIBE_PARTS, len(wanted)))
        ]
        for response in self.protocol.send_all("describe topic configs", requests, DESCRIBE_IN_FLIGHT):
            for result in response.results:  # each response is dropped once converted
                if result.error_code == UNKNOWN_TOPIC_OR_PARTITION:
                    continue  # deleted since the names were read: not part of the live state
                if result.error_code:
                    reason = describe_error(self.env, result.error_code, result.error_message)
                    raise MqctlError(f"describe configs of {result.resource_name}: {reason}")
                configs[result.resource_name] = live_configs(result.configs, seen)
        return configs

    def forget_broker_configs(self) -> None:
        """Broker configs were changed: the next read must ask the brokers again."""
        self._broker_configs.clear()

    def _describe_broker(self, broker: int) -> Mapping[Any, Future[Any]]:
        resource = ConfigResource(ResourceType.BROKER, str(broker))
        return self.call(
            "describe broker configs", lambda: self.client.describe_configs([resource], request_timeout=self.timeout)
        )

    def brokers(self) -> tuple[BrokerInfo, ...]:
        """The live brokers with their racks, by id (from the first contact's DescribeCluster)."""
        return _brokers(self.cluster)

    def cluster_info(self) -> ClusterInfo:
        """Cluster id, controller, brokers and topic counts (describe_cluster + one metadata request)."""
        described = self.cluster
        metadata = self.call("list topics", lambda: self.client.list_topics(timeout=self.timeout))
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


def live_configs(entries: Iterable[Any], seen: dict[tuple[Any, ...], LiveConfig]) -> dict[str, LiveConfig]:
    """Convert one topic's DescribeConfigs entries (kafka-python's), sharing equal LiveConfigs
    across topics through `seen`: most of a topic's ~33 entries are the same broker defaults, so
    10,000 topics need a few hundred objects instead of 330,000. A key and its source decide
    read-only and sensitive."""
    out = {}
    for entry in entries:
        signature = (entry.name, entry.value, entry.config_source)
        config = seen.get(signature)
        if config is None:
            source = CONFIG_SOURCES.get(entry.config_source, str(entry.config_source))
            config = seen[signature] = LiveConfig(entry.value, source, entry.read_only, entry.is_sensitive)
        out[entry.name] = config
    return out


def live_config(entry: Any) -> LiveConfig:
    """A config entry of either client: both number config sources as the protocol does."""
    return LiveConfig(
        value=entry.value,
        source=CONFIG_SOURCES.get(entry.source, str(entry.source)),
        read_only=bool(entry.is_read_only),
        sensitive=bool(entry.is_sensitive),
    )
