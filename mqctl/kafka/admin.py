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
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType
from kafka.protocol.admin import DescribeConfigsRequest, DescribeConfigsResponse

from mqctl.config import Environment
from mqctl.diagnostics import MqctlError
from mqctl.kafka.certificates import PROBE_SECONDS, CertificateInfo, Probe, certificate_or_problem, probe_brokers
from mqctl.kafka.connection import (
    authentication_failed,
    client_config,
    connection_problem,
    describe_kafka_error,
    error_code,
    kafka_failure,
    plain_text,
    principal,
    refused_by_all,
    setup_timeout_ms,
    unreachable,
)
from mqctl.kafka.describe_configs import VERSION as DESCRIBE_CONFIGS_VERSION
from mqctl.kafka.describe_configs import decode_describe_configs
from mqctl.kafka.oauth import explain
from mqctl.kafka.protocol import CONFIG_SOURCES, UNKNOWN_TOPIC_OR_PARTITION, ProtocolClient, describe_error
from mqctl.kafka.wire import decoded_by
from mqctl.live import LiveConfig

T = TypeVar("T")
_TLS_TROUBLE = (KafkaError._SSL, KafkaError._TRANSPORT)  # certificate verification; alerts, handshakes cut short

_TOPIC = 2  # the TOPIC config resource type of the protocol
# DescribeConfigs of many topics is split into this many requests (a constant, whatever the topic
# count), at most DESCRIBE_IN_FLIGHT of them at once: brokers answer in parallel, and the client
# holds only those responses' ~33 entries per topic at a time. Measured locally at 10,000 topics:
# one request 1.8 s, six 1.7 s; through librdkafka, six instead of one took the peak from 462 MB
# to 203 MB.
DESCRIBE_PARTS = 6
DESCRIBE_IN_FLIGHT = 2
# Fewer topics may have more of the parts in flight (all six up to ~3,400 topics) without holding
# more topics' entries than two parts of 10,000 do: one round trip instead of three.
DESCRIBE_HELD = 3_400


def describe_shape(topics: int) -> tuple[int, int]:
    """How many DescribeConfigs requests the configs of `topics` topics are split into, and how
    many of them are sent at once (see DESCRIBE_PARTS)."""
    parts = min(DESCRIBE_PARTS, topics)
    return parts, max(DESCRIBE_IN_FLIGHT, min(DESCRIBE_PARTS, DESCRIBE_HELD * DESCRIBE_PARTS // max(1, topics)))


# Topic DescribeConfigs whose responses mqctl decodes itself (mqctl.kafka.describe_configs says why)
_DescribeTopicConfigs = decoded_by(DescribeConfigsRequest, DescribeConfigsResponse, decode_describe_configs)


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
    protocol: str  # how mqctl connected: security protocol, SASL mechanism, who it is
    sasl_mechanism: str | None
    principal: str
    certificates: Mapping[int, CertificateInfo | str]  # broker -> its TLS certificate (or why unread); {} without TLS


class KafkaAdmin:
    """A connection to one environment's cluster through confluent-kafka's AdminClient."""

    def __init__(self, env: Environment, notify: Callable[[str], None] = lambda _: None) -> None:
        self.env = env
        self.timeout = env.timeout_seconds
        self.requests = 0  # admin requests sent; benchmarks read it to prove constant request counts
        self.notify = notify  # progress of long operations (throttled retries, replica moves)
        self._fatal: str | None = None  # why waiting is pointless (bad credentials, nothing answers)
        self._diagnosis: tuple[str | None] | None = None  # see _cause()
        self._broker_configs: dict[int, dict[str, LiveConfig]] = {}  # see broker_configs()
        self._created = time.monotonic()
        self._closed = False
        self.client = AdminClient(client_config(env, throttle_cb=self._throttled, error_cb=self._on_error))

    def _on_error(self, err: KafkaError) -> None:
        """librdkafka reports connection-level trouble here, not through futures. Bad credentials, a
        TLS problem mqctl's own probe confirms, or every bootstrap broker refusing before we ever got
        through, make waiting pointless."""
        code = err.code()
        if self._fatal is not None:
            return  # the first reason stands; librdkafka repeats itself at every retry
        if code == KafkaError._AUTHENTICATION or err.fatal():
            self._fatal = self._refused_login(plain_text(err.str()))
        elif "cluster" in self.__dict__:
            return  # after the first contact librdkafka reconnects by itself; requests time out if it cannot
        elif code == KafkaError._ALL_BROKERS_DOWN or (self.env.security.tls and code in _TLS_TROUBLE):
            self._fatal = self._cause()
            if self._fatal is None and code == KafkaError._ALL_BROKERS_DOWN:
                # All brokers down after the connection setup timeout: they accepted and never answered
                # (a hung broker, a wrong port of another service); before it, they refused.
                setup = setup_timeout_ms(self.env) / 1000
                silent = time.monotonic() - self._created >= 0.9 * setup
                self._fatal = unreachable(
                    self.env, f"no answer within {setup:g}s" if silent else refused_by_all(self.env)
                )

    def _refused_login(self, detail: str) -> str:
        """For OAUTHBEARER, whether the token endpoint or the broker refused (mqctl.kafka.oauth)."""
        oauth = self.env.security.oauth
        if oauth is not None:
            detail = explain(oauth, min(PROBE_SECONDS, self.timeout), detail)
        return authentication_failed(self.env, detail)

    def _cause(self) -> str | None:
        """Why the first contact fails, as mqctl's own checks find it (the token endpoint, TLS
        material, host names, a TLS listener reached in plaintext or the reverse); None when they
        find nothing. Checked once per connection."""
        if self._diagnosis is None:
            self._diagnosis = (connection_problem(self.env),)
        return self._diagnosis[0]

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
                reason = self._timed_out()
            raise MqctlError(f"connect: {reason}") from exc
        except TimeoutError as exc:
            raise MqctlError(f"connect: {self._timed_out()}") from exc

    def _timed_out(self) -> str:
        """Nothing answered the first contact in time: over TLS or OAuth, mqctl's checks may know why."""
        security = self.env.security
        cause = self._cause() if security.tls or security.oauth is not None else None
        return cause or unreachable(self.env, f"no answer within {self.timeout:g}s")

    @cached_property
    def protocol(self) -> ProtocolClient:
        """The kafka-python connection (mqctl.kafka.protocol), opened after the bounded first contact."""
        self.cluster  # noqa: B018 - an unreachable cluster fails there, within the timeout
        protocol = ProtocolClient(self.env, self.count)
        if self._closed:  # asked for by a reading that outlived its run: it connects nothing more
            protocol.close()
        return protocol

    def close(self) -> None:
        """Close kafka-python's connection, if it was opened. librdkafka's handle needs nothing:
        it is destroyed with this object (and at os._exit, the CLI's way out, not at all)."""
        self._closed = True
        protocol = self.__dict__.get("protocol")
        if protocol is not None:
            protocol.close()

    def ask_each_broker(
        self, doing: str, request: Any, brokers: Sequence[int], unanswered: str, missing: str
    ) -> list[tuple[int, Any]]:
        """(broker, response) of `request` sent to each of `brokers`, all at once. If one does not
        answer (down, or restarting and not yet in the client's metadata), each is asked alone and
        the ones that fail are left out, each named in a note: "broker N did not <unanswered>
        (why); <missing>". Raises when no broker answers."""
        try:
            return list(zip(brokers, self.protocol.send_each(doing, [(request, b) for b in brokers]), strict=True))
        except MqctlError:
            pass
        answers = []
        for broker in brokers:
            try:
                answers.append((broker, self.protocol.send(doing, request, node=broker)))
            except MqctlError as exc:
                self.notify(f"broker {broker} did not {unanswered} ({exc}); {missing}")
        if not answers:
            raise MqctlError(f"{doing}: no broker of environment {self.env.name!r} answered")
        return answers

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

    def consumer(self, group_id: str, **extra: Any) -> Consumer:
        """A Consumer of this environment (its security, librdkafka's logs silenced) for commands
        that read messages: it never commits on its own; the caller assigns partitions and closes it."""
        self.cluster  # noqa: B018 - an unreachable cluster fails there, within the timeout
        return Consumer(client_config(self.env, **{"group.id": group_id, "enable.auto.commit": False,
                                                   "enable.auto.offset.store": False, **extra}))

    def producer(self, **extra: Any) -> Producer:
        """A Producer of this environment: idempotent (no duplicates, no reordering on retries),
        acks from all in-sync replicas, every send bounded by the environment's timeout."""
        self.cluster  # noqa: B018 - an unreachable cluster fails there, within the timeout
        settings = {"enable.idempotence": True, "acks": "all", "delivery.timeout.ms": self.env.timeout_ms, **extra}
        return Producer(client_config(self.env, **settings))

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
        requests at most, through kafka-python's connection and mqctl's decoder (mqctl.kafka.protocol
        and mqctl.kafka.describe_configs say why). A topic deleted since its name was read is left out."""
        wanted = sorted(names)
        only = None if keys is None else sorted(keys)
        configs: dict[str, dict[str, LiveConfig]] = {}
        version = DESCRIBE_CONFIGS_VERSION
        parts, in_flight = describe_shape(len(wanted))
        requests = [
            _DescribeTopicConfigs(
                resources=[(_TOPIC, name, only) for name in wanted[i::parts]],
                min_version=version,
                max_version=version,
            )
            for i in range(parts)
        ]
        for results in self.protocol.send_all("describe topic configs", requests, in_flight):
            for result in results:
                if result.error_code == UNKNOWN_TOPIC_OR_PARTITION:
                    continue  # deleted since the names were read: not part of the live state
                if result.error_code:
                    reason = describe_error(self.env, result.error_code, result.error_message)
                    raise MqctlError(f"describe configs of {result.resource_name}: {reason}")
                configs[result.resource_name] = result.configs
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
            protocol=self.env.security.protocol,
            sasl_mechanism=self.env.security.sasl_mechanism,
            principal=principal(self.env),
            certificates=self.broker_certificates(),
        )

    def broker_certificates(self) -> dict[int, CertificateInfo | str]:
        """Each live broker's TLS certificate, read at the address it advertises over a connection
        verified with the environment's own TLS settings, or why it could not be read; {} when the
        environment does not use TLS. One short TLS connection per broker, in parallel."""
        timeout = min(self.timeout, PROBE_SECONDS)
        return {broker: certificate_or_problem(found, timeout) for broker, found in self.broker_probes().items()}

    def broker_probes(self) -> dict[int, Probe]:
        """Each live broker probed at the address it advertises as the clients connect (mqctl.kafka.
        certificates.probe): its certificate and what stands in the way; {} without TLS. Each probe
        is one TLS connection and one ApiVersions request, counted in `requests`."""
        if not self.env.security.tls:
            return {}
        addresses = {b.id: (b.host, b.port) for b in self.brokers()}
        self.requests += len(addresses)
        return probe_brokers(self.env.security, addresses, min(self.timeout, PROBE_SECONDS))


def _brokers(described: Any) -> tuple[BrokerInfo, ...]:
    nodes = (BrokerInfo(node.id, node.host, node.port, node.rack) for node in described.nodes)
    return tuple(sorted(nodes, key=lambda b: b.id))


def live_config(entry: Any) -> LiveConfig:
    """A config entry of either client: both number config sources as the protocol does."""
    return LiveConfig(
        value=entry.value,
        source=CONFIG_SOURCES.get(entry.source, str(entry.source)),
        read_only=bool(entry.is_read_only),
        sensitive=bool(entry.is_sensitive),
    )
