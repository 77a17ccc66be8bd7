"""The one admin-client boundary: read live state as plain values, execute typed changes.

confluent-kafka's AdminClient does most of it; topic DescribeConfigs and topic mutations go through
kafka-python's protocol messages (mqctl.kafka.protocol says why). Every call is bounded by the
environment's timeout and every failure becomes an MqctlError with a readable message, so callers
never see a client library's exception or hang on an unreachable cluster.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType
from kafka.protocol.admin import (
    CreatePartitionsRequest,
    CreatePartitionsResponse,
    CreateTopicsRequest,
    CreateTopicsResponse,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
    DescribeConfigsRequest,
    IncrementalAlterConfigsRequest,
    IncrementalAlterConfigsResponse,
)
from kafka.protocol.metadata import MetadataRequest

from mqctl.apply import Results
from mqctl.batching import MAX_RECORDS_PER_REQUEST, chunks
from mqctl.config import Environment
from mqctl.diagnostics import MqctlError
from mqctl.kafka.connection import client_config, describe_kafka_error, error_code, kafka_failure, unreachable
from mqctl.kafka.protocol import (
    CONFIG_SOURCES,
    REQUEST_TIMED_OUT,
    THROTTLING_QUOTA_EXCEEDED,
    TOPIC_ALREADY_EXISTS,
    TOPIC_AUTHORIZATION_FAILED,
    UNKNOWN_TOPIC_OR_PARTITION,
    ProtocolClient,
    Unanswered,
    describe_error,
    incremental_entries,
)
from mqctl.kafka.reassign import ReassignAdmin
from mqctl.live import LiveConfig, LiveState, LiveTopic
from mqctl.plan import Change, TopicCreate, TopicDelete, TopicReassign, TopicUpdate

T = TypeVar("T")
C = TypeVar("C", bound=Change)

QUOTA_STALLS = 5  # quota rounds in a row that get nothing accepted before giving up
UNANSWERED = -1  # mqctl's own code: the request went out and no answer came back
FAILED = -2  # mqctl's own code: the request failed before reaching a broker, or as a whole
# codes after which a mutation may or may not have happened: re-read before calling it failed
UNKNOWN_OUTCOME = frozenset({REQUEST_TIMED_OUT, UNANSWERED})
ALREADY_EXISTS_HINT = (
    "(not in the metadata this plan was read from: created moments ago, by another tool or by a large "
    "apply the brokers are still catching up with; a new plan sees it)"
)
METADATA_SECONDS = 30.0  # how long apply waits for every broker to list what it created or deleted
SETTLE_SECONDS = 3.0  # how long such an outcome is re-read for before it is reported as not done


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
            self._client.poll(0)  # serve error and throttle callbacks without blocking
            if self._fatal is not None:
                raise MqctlError(self._fatal)
            if time.monotonic() >= deadline:
                raise TimeoutError(unreachable(self.env, f"no answer within {self.timeout:g}s"))

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

    @cached_property
    def protocol(self) -> ProtocolClient:
        """The kafka-python connection (mqctl.kafka.protocol), opened after the bounded first contact."""
        self.cluster  # noqa: B018 - an unreachable cluster fails there, within the timeout
        return ProtocolClient(self.env, self._count)

    def _count(self) -> None:
        self.requests += 1

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


_TOPIC = 2  # the TOPIC config resource type of the protocol
# DescribeConfigs of all topics is split into this many requests (a constant, whatever the topic
# count), at most DESCRIBE_IN_FLIGHT of them at once: brokers answer in parallel, and the client
# holds only those responses' ~33 entries per topic at a time. Measured locally at 10,000 topics:
# one request 1.8 s, six 1.7 s; through librdkafka, six instead of one took the peak from 462 MB
# to 203 MB.
DESCRIBE_PARTS = 6
DESCRIBE_IN_FLIGHT = 2


def live_config(entry: Any) -> LiveConfig:
    """A config entry of either client: both number config sources as the protocol does."""
    return LiveConfig(
        value=entry.value,
        source=CONFIG_SOURCES.get(entry.source, str(entry.source)),
        read_only=bool(entry.is_read_only),
        sensitive=bool(entry.is_sensitive),
    )


def live_configs(entries: Iterable[Any], seen: dict[tuple[Any, ...], LiveConfig]) -> dict[str, LiveConfig]:
    """Convert one topic's DescribeConfigs entries, sharing equal LiveConfigs across topics through
    `seen`: most of a topic's ~33 entries are the same broker defaults, so 10,000 topics need a
    few hundred objects instead of 330,000. A key and its source decide read-only and sensitive."""
    out = {}
    for entry in entries:
        signature = (entry.name, entry.value, entry.config_source)
        config = seen.get(signature)
        if config is None:
            source = CONFIG_SOURCES.get(entry.config_source, str(entry.config_source))
            config = seen[signature] = LiveConfig(entry.value, source, entry.read_only, entry.is_sensitive)
        out[entry.name] = config
    return out


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
        requests = [
            DescribeConfigsRequest(resources=[(_TOPIC, name, None) for name in managed[i::DESCRIBE_PARTS]])
            for i in range(min(DESCRIBE_PARTS, len(managed)))
        ]
        for response in self.admin.protocol.send_all("describe topic configs", requests, DESCRIBE_IN_FLIGHT):
            for result in response.results:  # each response is dropped once converted
                if result.error_code == UNKNOWN_TOPIC_OR_PARTITION:
                    continue  # deleted since the metadata was read: not part of the live state
                if result.error_code:
                    reason = describe_error(self.admin.env, result.error_code, result.error_message)
                    raise MqctlError(f"describe configs of {result.resource_name}: {reason}")
                configs[result.resource_name] = live_configs(result.configs, seen)
        moving = self.reassign.ongoing(managed) if managed else {}
        topics = {}
        for name in filter(configs.__contains__, managed):
            partitions = metadata.topics[name].partitions
            replicas = tuple(tuple(partitions[p].replicas) for p in sorted(partitions))
            topics[name] = LiveTopic(name, len(partitions), replicas, configs[name], moving.get(name, {}))
        return LiveState(
            brokers=tuple(sorted(metadata.brokers)),
            topics=topics,
            all_topic_names=frozenset(metadata.topics),
            racks={b.id: b.rack for b in self.admin.brokers()},
        )

    def _send(self, doing: str, request: Any, names: Sequence[str], outcome: Results, codes: dict[str, int]) -> float:
        """One batched mutation: each topic's outcome and error code. Returns the throttle time
        the broker asked for, in seconds."""
        try:
            response = self.admin.protocol.send(doing, request)
        except Unanswered as exc:  # the request went out: the names are re-read before the report
            reason = f"{exc}; it may or may not have happened, the next plan shows which"
            for name in names:
                outcome[name], codes[name] = reason, UNANSWERED
            return 0.0
        except MqctlError as exc:  # recorded per name, never swallowed
            for name in names:
                outcome[name], codes[name] = str(exc), FAILED
            return 0.0
        for name, code, message in _results(response):
            outcome[name] = describe_error(self.admin.env, code, message) if code else None
            if code:
                codes[name] = code
        return float(response.throttle_time_ms) / 1000

    def _mutate(
        self,
        doing: str,
        request: Callable[[list[C]], Any],
        changes: Sequence[C],
        cost: Callable[[C], int],
        outcome: Results,
        limit: int = MAX_RECORDS_PER_REQUEST,
    ) -> dict[str, int]:
        """Batches under the record cap. Topics the controller mutation quota rejected
        (THROTTLING_QUOTA_EXCEEDED) are retried alone after the throttle time the broker gave,
        until QUOTA_STALLS rounds in a row get nothing accepted. Returns the error codes of what
        failed."""
        pending, stalls, attempt = list(changes), 0, 0
        codes: dict[str, int] = {}
        while pending:
            codes, throttle = {}, 0.0
            for batch in chunks(pending, cost, limit):
                sent = self._send(doing, request(batch), [c.name for c in batch], outcome, codes)
                throttle = max(throttle, sent)
            throttled = [c for c in pending if codes.get(c.name) == THROTTLING_QUOTA_EXCEEDED]
            if not throttled:
                break
            stalls = stalls + 1 if len(throttled) == len(pending) else 0
            if stalls >= QUOTA_STALLS:
                break
            wait = throttle if throttle > 0 else min(0.5 * 2**attempt, 10.0)
            attempt += 1
            self.admin.notify(
                f"{doing}: controller mutation quota exceeded; {len(pending) - len(throttled)} of {len(pending)} "
                f"accepted, retrying {len(throttled)} in {wait:.1f}s"
            )
            time.sleep(wait + 0.05)  # kafka-python holds the connection until the throttle time is over
            pending = throttled
        return codes

    def _watch(self, expected: Mapping[str, int | None], every: bool, seconds: float) -> set[str]:
        """Ask the brokers for the metadata of `expected` (topic -> partitions at least, None: gone)
        until each name shows on every answering broker (`every`) or on any one, or `seconds` pass;
        returns the names that did. A broker that does not answer is left out (when it is back it
        catches up by itself); a topic the principal may not describe cannot be told, so it is
        never waited for and never counted as done."""
        pending, shown = dict(expected), set()
        brokers = [broker.id for broker in self.admin.brokers()]
        deadline = time.monotonic() + seconds
        while pending and brokers:
            per_broker: list[set[str]] = []
            for broker in list(brokers):
                request = MetadataRequest(
                    topics=[MetadataRequest.MetadataRequestTopic(name=name) for name in sorted(pending)],
                    allow_auto_topic_creation=False,
                )
                try:
                    listed = {t.name: t for t in self.admin.protocol.send("read metadata", request, node=broker).topics}
                except MqctlError:
                    brokers.remove(broker)
                    continue
                seen = {name: _shows(listed.get(name), want) for name, want in pending.items()}
                per_broker.append({name for name, shows in seen.items() if shows or (shows is None and every)})
            now = set.intersection(*per_broker) if every and per_broker else set().union(*per_broker)
            shown |= now
            pending = {name: want for name, want in pending.items() if name not in now}
            if not pending or time.monotonic() >= deadline:
                break
            time.sleep(0.25)
        return shown

    def _settle(self, outcome: Results, codes: Mapping[str, int], expected: Mapping[str, int | None]) -> None:
        """A request that timed out may still have been carried out, or still be under way: re-read
        those topics, for up to SETTLE_SECONDS, and count what did happen as done, so the report is
        true and a retry never trips over its own success."""
        unknown = {name: expected[name] for name, code in codes.items() if code in UNKNOWN_OUTCOME}
        if unknown:
            self.admin.notify(
                f"{len(unknown)} topic(s) got no answer in time; re-reading the cluster for what happened"
            )
            for name in self._watch(unknown, every=False, seconds=SETTLE_SECONDS):
                outcome[name] = None

    def _await_metadata(self, doing: str, outcome: Results, expected: Mapping[str, int | None]) -> None:
        """Brokers learn created, grown and deleted topics from the metadata log a moment after the
        controller answered (after thousands of topics, many seconds). Wait, up to
        METADATA_SECONDS, until every broker shows what was done, so that a plan right after the
        apply sees what the apply did."""
        done = {name: want for name, want in expected.items() if outcome.get(name, "") is None}
        behind = set(done) - self._watch(done, every=True, seconds=METADATA_SECONDS)
        if behind:
            self.admin.notify(
                f"{doing}: {len(behind)} topic(s) not yet shown by every broker; the brokers are catching up, "
                "and a plan right now may not show them yet"
            )

    def create(self, changes: Sequence[TopicCreate], validate_only: bool = False) -> Results:
        outcome: Results = {}

        def request(batch: list[TopicCreate]) -> Any:
            return CreateTopicsRequest(
                topics=[_new_topic(c) for c in batch],
                timeout_ms=self.admin.env.timeout_ms,
                validate_only=validate_only,
            )

        codes = self._mutate("create topics", request, changes, _create_cost, outcome)
        for name, code in codes.items():
            if code == TOPIC_ALREADY_EXISTS:  # the plan was made from metadata that did not list it
                outcome[name] = f"{outcome[name]} {ALREADY_EXISTS_HINT}"
        if not validate_only:
            expected = {c.name: c.partitions for c in changes}
            self._settle(outcome, codes, expected)
            self._await_metadata("create topics", outcome, expected)
        return outcome

    def update(self, changes: Sequence[TopicUpdate], validate_only: bool = False) -> Results:
        """Partition increases first (CreatePartitions), then IncrementalAlterConfigs; never the
        legacy whole-config AlterConfigs, which would wipe keys we do not manage."""
        outcome: Results = {}
        grow = [c for c in changes if c.new_partitions is not None]

        def more_partitions(batch: list[TopicUpdate]) -> Any:
            topics = [(c.name, int(c.new_partitions or 0), None) for c in batch]
            return CreatePartitionsRequest(
                topics=topics, timeout_ms=self.admin.env.timeout_ms, validate_only=validate_only
            )

        codes = self._mutate("create partitions", more_partitions, grow, lambda c: int(c.new_partitions or 0), outcome)
        if not validate_only:
            wanted = {c.name: int(c.new_partitions or 0) for c in grow}
            self._settle(outcome, codes, wanted)
            self._await_metadata("create partitions", outcome, wanted)
        alter = [c for c in changes if (c.set_config or c.reset_config) and not outcome.get(c.name)]
        for batch in chunks(alter, lambda c: len(c.set_config) + len(c.reset_config)):
            request = IncrementalAlterConfigsRequest(
                resources=[_incremental(c) for c in batch], validate_only=validate_only
            )
            self._send("alter topic configs", request, [c.name for c in batch], outcome, {})
        return outcome

    def delete(self, changes: Sequence[TopicDelete], validate_only: bool = False) -> Results:
        if validate_only:  # DeleteTopics has no validate-only mode
            return {c.name: None for c in changes}
        outcome: Results = {}

        def request(batch: list[TopicDelete]) -> Any:
            return DeleteTopicsRequest(topics=[(c.name, None) for c in batch], timeout_ms=self.admin.env.timeout_ms)

        codes = self._mutate(
            "delete topics",
            request,
            changes,
            lambda c: 1,  # a topic's deletion is one record whatever its size
            outcome,
            limit=1000,  # but the brokers' work (removing logs) grows with it: smaller requests
        )
        for name, code in codes.items():
            if code == UNKNOWN_TOPIC_OR_PARTITION:  # gone already (a broker still listed it): as wanted
                outcome[name] = None
        gone: dict[str, int | None] = {c.name: None for c in changes}
        self._settle(outcome, codes, gone)
        self._await_metadata("delete topics", outcome, gone)
        return outcome

    def executors(self) -> dict[type[Change], Callable[[Sequence[Any], bool], Results]]:
        """Execution looked up by change type (alembic's toimpl): one entry per kind and action."""
        return {
            TopicCreate: self.create,
            TopicUpdate: self.update,
            TopicReassign: self.reassign.execute,
            TopicDelete: self.delete,
        }


def _shows(topic: Any, want: int | None) -> bool | None:
    """Whether a broker's metadata entry for a topic shows it with `want` partitions (at least),
    or gone when `want` is None; None when the principal may not describe it (cannot be told)."""
    code = UNKNOWN_TOPIC_OR_PARTITION if topic is None else topic.error_code
    if code == TOPIC_AUTHORIZATION_FAILED:
        return None
    if want is None:
        return bool(code == UNKNOWN_TOPIC_OR_PARTITION)
    return bool(code != UNKNOWN_TOPIC_OR_PARTITION and len(topic.partitions) >= want)


def _create_cost(change: TopicCreate) -> int:
    """Metadata records a create writes: one TopicRecord, one PartitionRecord per partition (which
    carries its replica set), one ConfigRecord per config."""
    return 1 + change.partitions + len(change.config)


def _new_topic(change: TopicCreate) -> tuple[Any, ...]:
    configs = [(k, v) for k, v in sorted(change.config.items())]
    return (change.name, change.partitions, change.replication_factor, [], configs)


def _incremental(change: TopicUpdate) -> tuple[Any, ...]:
    return (_TOPIC, change.name, incremental_entries(change.set_config, change.reset_config))


def _results(response: Any) -> Iterator[tuple[str, int, str | None]]:
    """(topic, error code, message) of any topic mutation's response; the four name them differently."""
    if isinstance(response, IncrementalAlterConfigsResponse):
        return ((r.resource_name, r.error_code, r.error_message) for r in response.responses)
    results = {CreateTopicsResponse: "topics", CreatePartitionsResponse: "results", DeleteTopicsResponse: "responses"}
    return ((r.name, r.error_code, r.error_message) for r in getattr(response, results[type(response)]))
