"""Topics on the cluster: the snapshot (metadata, configs, moves in progress) in a constant number of
requests, and the batched executors of every topic change.

Topic DescribeConfigs and the mutations go through kafka-python's protocol messages at KIP-599
versions (mqctl.kafka.protocol says why); the metadata through librdkafka. A mutation whose answer
does not come is re-read before it is called failed, and apply waits until every broker shows what
it changed, so a plan right after it sees what it did.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

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
from kafka.protocol.metadata import MetadataRequest

from mqctl.background import Background
from mqctl.batching import MAX_RECORDS_PER_REQUEST, chunks
from mqctl.diagnostics import MqctlError
from mqctl.edges import Edges
from mqctl.kafka.protocol import (
    QUOTA_STALLS,
    REQUEST_TIMED_OUT,
    THROTTLING_QUOTA_EXCEEDED,
    TOPIC_ALREADY_EXISTS,
    TOPIC_AUTHORIZATION_FAILED,
    UNKNOWN_TOPIC_OR_PARTITION,
    Unanswered,
    describe_error,
    incremental_entries,
)
from mqctl.kind import Executor, Results, executor
from mqctl.kinds.topics.changes import TopicChange, TopicCreate, TopicDelete, TopicReassign, TopicUpdate
from mqctl.kinds.topics.live import LiveTopic, LiveTopics
from mqctl.kinds.topics.reassign import ReassignAdmin
from mqctl.kinds.topics.spec import create_records
from mqctl.plan import Change

C = TypeVar("C", bound=TopicChange)

UNANSWERED = -1  # mqctl's own code: the request went out and no answer came back
FAILED = -2  # mqctl's own code: the request failed before reaching a broker, or as a whole
_TOPIC = 2  # the TOPIC config resource type of the protocol
# codes after which a mutation may or may not have happened: re-read before calling it failed
UNKNOWN_OUTCOME = frozenset({REQUEST_TIMED_OUT, UNANSWERED})
ALREADY_EXISTS_HINT = (
    "(not in the metadata this plan was read from: created moments ago, by another tool or by a large "
    "apply the brokers are still catching up with; a new plan sees it)"
)
METADATA_SECONDS = 30.0  # how long apply waits for every broker to list what it created or deleted
SETTLE_SECONDS = 3.0  # how long such an outcome is re-read for before it is reported as not done



class TopicAdmin:
    """Snapshot and batched execution for topics, over one KafkaAdmin connection."""

    def __init__(self, edges: Edges) -> None:
        self.admin = edges.kafka
        self.client = self.admin.client
        self.timeout = self.admin.timeout
        self.reassign = edges.service(ReassignAdmin)

    def snapshot(self, prefix: str) -> LiveTopics:
        """Brokers (with racks) and every topic under `prefix` with its configs and any replica move
        in progress: the first contact (DescribeCluster), metadata, DescribeConfigs of all topics
        (KafkaAdmin.topic_configs: 6 requests at most), and ListPartitionReassignments: at most
        nine requests however many topics there are."""
        self.admin.cluster  # noqa: B018 - the bounded first contact, before the two clients go their ways
        protocol = self.admin.protocol
        connecting = Background(lambda: protocol.admin_client)  # kafka-python connects while librdkafka reads
        metadata = self.admin.call("list topics", lambda: self.client.list_topics(timeout=self.timeout))
        managed = sorted(name for name in metadata.topics if name.startswith(prefix))
        if managed:  # no topic, no request: a failure to connect would change nothing
            connecting.result()
        else:
            connecting.wait()
        configs = self.admin.topic_configs(managed)
        moving = self.reassign.ongoing(managed) if managed else {}
        topics = {}
        for name in filter(configs.__contains__, managed):
            partitions = metadata.topics[name].partitions
            replicas = tuple(tuple(partitions[p].replicas) for p in sorted(partitions))
            topics[name] = LiveTopic(name, len(partitions), replicas, configs[name], moving.get(name, {}))
        return LiveTopics(
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

    def executors(self) -> dict[type[Change], Executor]:
        """Execution looked up by change type (alembic's toimpl): one entry per action."""
        return dict(
            [
                executor(TopicCreate, self.create),
                executor(TopicUpdate, self.update),
                executor(TopicReassign, self.reassign.execute),
                executor(TopicDelete, self.delete),
            ]
        )


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
    return create_records(change.partitions, len(change.config))


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
