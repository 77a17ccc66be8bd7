"""Consumer groups on the cluster: every read and write of the kind, over the run's Kafka transport.

Request counts (`KafkaAdmin.requests`) are constant in the number of groups and partitions; B is
the number of brokers:

- groups: ListGroups to every broker (B; each lists the groups it coordinates, so no
  FindCoordinator is needed), ListConfigResources of GROUP resources (1), their DescribeConfigs (1),
  OffsetFetch of many groups per coordinator (<= B, v8+);
- a command about declared groups looks those no broker listed up by their coordinators: one
  FindCoordinator (v4+, every group) and DescribeGroups and ConsumerGroupDescribe of many groups
  per coordinator (<= 2B), only when one is missing (absent, or its coordinator moved meanwhile);
- status adds the metadata (1), DescribeGroups and ConsumerGroupDescribe of many groups per
  coordinator (<= 2B), ListOffsets per partition leader (<= B) and the bounded Fetch of the records
  at the committed offsets per leader (<= B per round; see mqctl.kinds.groups.status.TimestampReads).

Raw requests go through kafka-python's protocol messages (mqctl.kafka.protocol); the consumer
protocol's ConsumerGroupDescribe through mqctl.kafka.messages.
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import kafka.errors
from kafka.protocol.admin import (
    DeleteGroupsRequest,
    DescribeConfigsRequest,
    DescribeGroupsRequest,
    IncrementalAlterConfigsRequest,
    ListConfigResourcesRequest,
    ListGroupsRequest,
)
from kafka.protocol.consumer import FetchRequest, ListOffsetsRequest, OffsetFetchRequest
from kafka.protocol.metadata import FindCoordinatorRequest
from kafka.record import MemoryRecords

from mqctl.diagnostics import MqctlError
from mqctl.edges import Edges
from mqctl.kafka.connection import describe_kafka_error
from mqctl.kafka.messages import ConsumerGroupDescribeRequest
from mqctl.kafka.protocol import describe_error, incremental_entries
from mqctl.kind import Executor, Results, executor
from mqctl.kinds.groups.changes import GroupConfigUpdate, GroupDelete
from mqctl.kinds.groups.live import LiveGroup, LiveGroups
from mqctl.kinds.groups.status import TP, Record, TimestampReads
from mqctl.plan import Change

T = TypeVar("T")
GROUP_RESOURCE = 32  # the GROUP config resource type of the protocol (KIP-848)
GROUP_CONFIG_SOURCE = 8  # DescribeConfigs: set on this group
GROUP_ID_NOT_FOUND = int(kafka.errors.GroupIdNotFoundError.errno)
COORDINATOR_LOADING = int(kafka.errors.CoordinatorLoadInProgressError.errno)
# a group's coordinator is moving (a leader election of its __consumer_offsets partition): ask again
MOVING = (
    COORDINATOR_LOADING,
    int(kafka.errors.NotCoordinatorError.errno),
    int(kafka.errors.CoordinatorNotAvailableError.errno),
)
GROUP_COORDINATOR = 0  # FindCoordinator's key type of consumer groups
CONSUMER_PROTOCOL_LISTGROUPS = 5  # ListGroups version that names group types: the broker knows KIP-848 groups
OFFSET_OUT_OF_RANGE = int(kafka.errors.OffsetOutOfRangeError.errno)
FETCH_VERSION = 12  # the last Fetch version naming topics (13+ take topic ids)
FETCH_PARTITION_BYTES = 64 * 1024  # per partition and round; the broker still returns one whole first batch
FETCH_RESPONSE_BYTES = 32 * 2**20  # per response: bounds memory; what does not fit is read in the next round
FETCH_ROUNDS = 8  # then the records still unread have an unknown timestamp (reported as such)
OFFSET_GROUPS = ("classic", "consumer")  # group types with committed offsets
BATCH_SPREAD_MS = 1000  # a batch written within this span answers time lag from its header
LOG_APPEND_TIME = 1  # a record batch's timestamp type: the broker's append time


@dataclass(frozen=True)
class Ask(Generic[T]):
    """Requests of one kind, each addressed to a broker, and how their responses read."""

    doing: str
    addressed: list[tuple[Any, int | None]]
    parse: Callable[[Sequence[Any]], T]


def _raise(doing: str, admin_env: Any, code: int, message: str | None) -> None:
    if code:
        raise MqctlError(f"{doing}: {describe_error(admin_env, code, message)}")


class GroupAdmin:
    """Snapshot, executors and the status / offset / replay reads of consumer groups."""

    def __init__(self, edges: Edges) -> None:
        self.admin = edges.kafka
        self.env = edges.env

    # --- groups and their configs ----------------------------------------------------------

    def list_groups(self, expected: Iterable[str] = ()) -> dict[str, LiveGroup]:
        """Every group on the cluster with its state, type and coordinator: ListGroups to every
        broker at once (a broker lists the groups it coordinates). A broker still loading its
        groups after a restart (COORDINATOR_LOAD_IN_PROGRESS) is asked again, within the timeout.

        A group whose coordinator moves between two brokers' answers (a leader election of its
        __consumer_offsets partition: a rolling restart) is in neither list, so the groups in
        `expected` (the ones a command is about) that no broker listed are looked up by their
        coordinators (`located`): a declared group is never reported absent, nor its committed
        offsets taken for none, because of that race."""
        brokers = [broker.id for broker in self.admin.brokers()]
        request = ListGroupsRequest(states_filter=[], types_filter=[])
        found: dict[str, LiveGroup] = {}
        deadline = time.monotonic() + self.env.timeout_seconds
        typed = True  # every broker names group types (ListGroups v5+)
        silent: set[int] = set()  # brokers that did not answer: their groups are missing, with a notice
        while brokers:
            # a broker that is down has had its groups moved to the brokers that took over its
            # __consumer_offsets partitions; one that is up but unreachable from here is named
            answers = self.admin.ask_each_broker("list groups", request, brokers, "list its groups",
                                                 "groups it coordinates are missing from this run")  # fmt: skip
            loading = [broker for broker, response in answers if response.error_code == COORDINATOR_LOADING]
            silent |= set(brokers) - {broker for broker, _ in answers}
            for broker, response in answers:
                if response.error_code == COORDINATOR_LOADING and time.monotonic() < deadline:
                    continue
                _raise("list groups", self.env, response.error_code, None)
                typed = typed and response.version >= CONSUMER_PROTOCOL_LISTGROUPS
                for group in response.groups:
                    kind = (group.group_type or "classic").lower()  # only ListGroups v5+ names the type
                    found[group.group_id] = LiveGroup(group.group_id, group.group_state, kind, broker)
            brokers = loading
            if brokers:
                time.sleep(0.5)
        missing = [gid for gid in dict.fromkeys(expected) if gid not in found]
        if missing:
            found.update(self.located(missing, typed, deadline, silent))
        return found

    def located(
        self, group_ids: Sequence[str], consumer_protocol: bool, deadline: float, silent: Iterable[int] = ()
    ) -> dict[str, LiveGroup]:
        """The live classic (and, with `consumer_protocol`, KIP-848) groups among `group_ids`,
        asked of their coordinators: one FindCoordinator for all of them, then DescribeGroups and
        ConsumerGroupDescribe of many groups per coordinator, in one round trip (each answers
        GROUP_ID_NOT_FOUND for a group of the other type, and both for an absent group, which is
        left out). A group whose coordinator moves meanwhile is asked again until `deadline`; one
        coordinated by a `silent` broker (it did not answer ListGroups, and a notice says so) is
        not asked, and left out."""
        found: dict[str, LiveGroup] = {}
        skipped = set(silent)
        pending = list(group_ids)
        while pending:
            request = FindCoordinatorRequest(key_type=GROUP_COORDINATOR, coordinator_keys=pending, min_version=4)
            by_node: dict[int, list[str]] = defaultdict(list)
            moving: list[str] = []
            for coordinator in self.admin.protocol.send("find group coordinators", request).coordinators:
                if coordinator.error_code in MOVING:
                    moving.append(coordinator.key)
                    continue
                _raise(f"find the coordinator of group {coordinator.key}", self.env, coordinator.error_code,
                       coordinator.error_message)
                if coordinator.node_id not in skipped:
                    by_node[coordinator.node_id].append(coordinator.key)
            asked: list[tuple[str, Any, int]] = [
                ("classic", DescribeGroupsRequest(groups=ids, include_authorized_operations=False), node)
                for node, ids in by_node.items()
            ]
            if consumer_protocol:
                asked += [("consumer", ConsumerGroupDescribeRequest(group_ids=ids, include_authorized_operations=False),
                           node) for node, ids in by_node.items()]
            responses = self.admin.protocol.send_each("describe groups", [(req, node) for _, req, node in asked])
            for (kind, _, node), response in zip(asked, responses, strict=True):
                for group in response.groups:
                    if group.error_code in MOVING:
                        moving.append(group.group_id)
                    elif group.error_code != GROUP_ID_NOT_FOUND and group.group_state != "Dead":
                        _raise(f"describe group {group.group_id}", self.env, group.error_code,
                               getattr(group, "error_message", None))
                        found[group.group_id] = LiveGroup(group.group_id, group.group_state, kind, node)
            pending = [gid for gid in dict.fromkeys(moving) if gid not in found]
            if pending and time.monotonic() >= deadline:
                raise MqctlError(
                    f"the coordinator of group(s) {', '.join(pending)} kept moving for {self.env.timeout_seconds:g} s "
                    "(brokers restarting?); nothing was changed, try again"
                )
            if pending:
                time.sleep(0.5)
        return found

    def group_configs(self, names: Iterable[str]) -> dict[str, dict[str, str]]:
        """The configs set on these GROUP resources (one DescribeConfigs)."""
        wanted = sorted(set(names))
        if not wanted:
            return {}
        request = DescribeConfigsRequest(resources=[(GROUP_RESOURCE, n, None) for n in wanted], include_synonyms=False)
        out: dict[str, dict[str, str]] = {}
        for result in self.admin.protocol.send("describe group configs", request).results:
            _raise(f"describe configs of group {result.resource_name}", self.env, result.error_code,
                   result.error_message)
            out[result.resource_name] = {
                c.name: c.value
                for c in result.configs
                if c.config_source == GROUP_CONFIG_SOURCE and c.value is not None
            }
        return {name: configs for name, configs in out.items() if configs}

    def configured_groups(self, prefix: str, live: Iterable[str]) -> list[str]:
        """GROUP resources under `prefix` that have configs set (ListConfigResources, Kafka 4.1+;
        on older brokers, the live groups only)."""
        try:
            response = self.admin.protocol.send(
                "list group config resources", ListConfigResourcesRequest(resource_types=[GROUP_RESOURCE])
            )
        except MqctlError:
            return sorted(live)
        _raise("list group config resources", self.env, response.error_code, None)
        return sorted({r.resource_name for r in response.config_resources if r.resource_name.startswith(prefix)}
                      | set(live))

    def snapshot(self) -> LiveGroups:
        """Groups under the environment's prefix, their configs and the topics they committed on:
        B + 2 + (<= B) requests, whatever the number of groups."""
        prefix = self.env.prefix
        groups = {gid: g for gid, g in self.list_groups().items() if gid.startswith(prefix)}
        configs = self.group_configs(self.configured_groups(prefix, groups))
        committed = self.committed({gid: g for gid, g in groups.items() if g.type in OFFSET_GROUPS})
        topics = {gid: frozenset(t for t, _ in offsets) for gid, offsets in committed.items()}
        return LiveGroups(groups, configs, topics)

    # --- executors -------------------------------------------------------------------------

    def alter_configs(self, changes: Sequence[GroupConfigUpdate], validate_only: bool = False) -> Results:
        """IncrementalAlterConfigs of every GROUP resource of the batch in one request (the
        controller checks each value against the brokers' bounds, also when only validating)."""
        if not changes:
            return {}
        request = IncrementalAlterConfigsRequest(
            resources=[
                (GROUP_RESOURCE, c.name, incremental_entries(c.set_config, c.reset_config)) for c in changes
            ],
            validate_only=validate_only,
        )
        try:
            response = self.admin.protocol.send("alter group configs", request)
        except MqctlError as exc:
            return {c.name: exc.message for c in changes}
        outcome: Results = {c.name: "no result from the cluster" for c in changes}
        for result in response.responses:
            outcome[result.resource_name] = (
                describe_error(self.env, result.error_code, result.error_message) if result.error_code else None
            )
        return outcome

    def delete(self, changes: Sequence[GroupDelete], validate_only: bool = False) -> Results:
        """DeleteGroups per coordinator, all at once. The broker refuses a group that gained
        members since the plan (NON_EMPTY_GROUP): nothing is lost. A group no broker listed is
        looked up by its coordinator (`list_groups`' race), so that it is not reported deleted
        while it still exists."""
        if validate_only or not changes:
            return {c.name: None for c in changes}
        live = self.list_groups(c.name for c in changes)
        outcome: Results = {}
        by_node: dict[int, list[str]] = defaultdict(list)
        for change in changes:
            group = live.get(change.name)
            if group is None:
                outcome[change.name] = None  # gone already: what the change wanted
            else:
                by_node[group.coordinator].append(change.name)
        addressed = [(DeleteGroupsRequest(groups_names=names), node) for node, names in by_node.items()]
        try:
            responses = self.admin.protocol.send_each("delete groups", addressed)
        except MqctlError as exc:
            return {**outcome, **{n: exc.message for names in by_node.values() for n in names}}
        for response in responses:
            for result in response.results:
                code = result.error_code
                outcome[result.group_id] = describe_error(self.env, code, None) if code else None
        return outcome

    def executors(self) -> dict[type[Change], Executor]:
        return dict([executor(GroupConfigUpdate, self.alter_configs), executor(GroupDelete, self.delete)])

    # --- offsets, members, records ---------------------------------------------------------

    def ask(self, *asks: Ask[Any]) -> list[Any]:
        """Several kinds of requests in one round trip (each to its own broker); every ask's
        responses go to its own parser, in order. Independent reads of one command share the
        brokers' time instead of waiting on each other."""
        addressed = [pair for one in asks for pair in one.addressed]
        responses = self.admin.protocol.send_each(", ".join(one.doing for one in asks), addressed)
        out, at = [], 0
        for one in asks:
            out.append(one.parse(responses[at : at + len(one.addressed)]))
            at += len(one.addressed)
        return out

    def committed(self, groups: Mapping[str, LiveGroup]) -> dict[str, dict[TP, int]]:
        """Committed offsets of every group: one OffsetFetch (v8+, many groups) per coordinator."""
        (found,) = self.ask(self.committed_ask(groups))
        return found  # type: ignore[no-any-return]

    def committed_ask(self, groups: Mapping[str, LiveGroup]) -> Ask[dict[str, dict[TP, int]]]:
        by_node: dict[int, list[str]] = defaultdict(list)
        for gid, group in groups.items():
            by_node[group.coordinator].append(gid)
        group_entry = OffsetFetchRequest.OffsetFetchRequestGroup
        addressed: list[tuple[Any, int | None]] = [
            (OffsetFetchRequest(groups=[group_entry(group_id=g, topics=None) for g in ids], min_version=8), node)
            for node, ids in by_node.items()
        ]

        def parse(responses: Sequence[Any]) -> dict[str, dict[TP, int]]:
            out: dict[str, dict[TP, int]] = {}
            for response in responses:
                for group in response.groups:
                    if group.error_code == GROUP_ID_NOT_FOUND:
                        continue
                    _raise(f"read committed offsets of group {group.group_id}", self.env, group.error_code, None)
                    out[group.group_id] = {
                        (topic.name, p.partition_index): p.committed_offset
                        for topic in group.topics
                        for p in topic.partitions
                        if p.committed_offset >= 0 and not p.error_code
                    }
            return out

        return Ask("read committed offsets", addressed, parse)

    def members(self, groups: Mapping[str, LiveGroup]) -> dict[str, int]:
        """Live members of classic groups (DescribeGroups) and consumer-protocol groups
        (ConsumerGroupDescribe), many groups per request, one request of each per coordinator."""
        (found,) = self.ask(self.members_ask(groups))
        return found  # type: ignore[no-any-return]

    def members_ask(self, groups: Mapping[str, LiveGroup]) -> Ask[dict[str, int]]:
        classic: dict[int, list[str]] = defaultdict(list)
        modern: dict[int, list[str]] = defaultdict(list)
        for gid, group in groups.items():
            if group.type in OFFSET_GROUPS:
                (classic if group.type == "classic" else modern)[group.coordinator].append(gid)
        addressed: list[tuple[Any, int | None]] = [
            (DescribeGroupsRequest(groups=ids, include_authorized_operations=False), node)
            for node, ids in classic.items()
        ]
        addressed += [
            (ConsumerGroupDescribeRequest(group_ids=ids, include_authorized_operations=False), node)
            for node, ids in modern.items()
        ]

        def parse(responses: Sequence[Any]) -> dict[str, int]:
            out: dict[str, int] = {}
            for response in responses:
                for group in response.groups:
                    if group.error_code == GROUP_ID_NOT_FOUND:
                        out[group.group_id] = 0  # deleted since it was listed
                        continue
                    _raise(f"describe group {group.group_id}", self.env, group.error_code,
                           getattr(group, "error_message", None))
                    out[group.group_id] = len(group.members)
            return out

        return Ask("describe groups", addressed, parse)

    def leaders(self, topics: Iterable[str] | None = None) -> dict[str, dict[int, int]]:
        """Topic -> partition -> leader of the topics that exist (all when None; one metadata request)."""
        metadata = self.admin.call("list topics", lambda: self.admin.client.list_topics(timeout=self.admin.timeout))
        wanted = None if topics is None else set(topics)
        return {
            name: {p: meta.leader for p, meta in topic.partitions.items()}
            for name, topic in metadata.topics.items()
            if (wanted is None or name in wanted) and not topic.error
        }

    def list_offsets(self, leaders: Mapping[str, Mapping[int, int]], timestamps: Mapping[TP, int]) -> dict[TP, int]:
        """ListOffsets of each partition at its timestamp spec (-1 latest, -2 earliest, else the
        first offset with a timestamp >= it, -1 when none), one request per leader."""
        (found,) = self.ask(self.offsets_ask(leaders, timestamps))
        return found  # type: ignore[no-any-return]

    def offsets_ask(self, leaders: Mapping[str, Mapping[int, int]], timestamps: Mapping[TP, int]) -> Ask[dict[TP, int]]:
        by_node: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for (topic, partition) in timestamps:
            leader = leaders[topic][partition]
            if leader >= 0:  # a partition without a leader (its brokers are down) has no offsets to give
                by_node[leader][topic].append(partition)
        topic_entry = ListOffsetsRequest.ListOffsetsTopic
        partition_entry = topic_entry.ListOffsetsPartition
        addressed: list[tuple[Any, int | None]] = [
            (
                ListOffsetsRequest(
                    replica_id=-1,
                    isolation_level=0,
                    topics=[
                        topic_entry(name=t, partitions=[
                            partition_entry(partition_index=p, current_leader_epoch=-1, timestamp=timestamps[(t, p)])
                            for p in parts
                        ])
                        for t, parts in by_topic.items()
                    ],
                    timeout_ms=self.env.timeout_ms,
                ),
                node,
            )
            for node, by_topic in by_node.items()
        ]

        def parse(responses: Sequence[Any]) -> dict[TP, int]:
            out: dict[TP, int] = {}
            for response in responses:
                for topic in response.topics:
                    for p in topic.partitions:
                        _raise(f"list offsets of {topic.name}[{p.partition_index}]", self.env, p.error_code, None)
                        out[(topic.name, p.partition_index)] = p.offset
            return out

        return Ask("list offsets", addressed, parse)

    def alter_offsets(self, group_id: str, offsets: Mapping[TP, int]) -> dict[TP, str | None]:
        """AlterConsumerGroupOffsets of one group (refused by the broker while it has members):
        partition -> None when done, else why not."""
        from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition

        request = ConsumerGroupTopicPartitions(group_id, [TopicPartition(t, p, o) for (t, p), o in offsets.items()])
        futures = self.admin.call(
            "alter committed offsets",
            lambda: self.admin.client.alter_consumer_group_offsets([request], request_timeout=self.admin.timeout),
        )
        (future,) = futures.values()
        try:
            result = self.admin.result(future)
        except (KafkaException, TimeoutError) as exc:
            reason = describe_kafka_error(exc, self.env)
            return {tp: f"alter committed offsets of {group_id}: {reason}" for tp in offsets}
        out: dict[TP, str | None] = {}
        for tp in result.topic_partitions:
            out[(tp.topic, tp.partition)] = tp.error.str() if tp.error else None
        return out

    def record_timestamps(
        self, leaders: Mapping[str, Mapping[int, int]], wanted: Mapping[TP, set[int]]
    ) -> TimestampReads:
        """The timestamp of the first record at or after each wanted offset: bounded Fetch requests,
        one per leader per round, until every offset is resolved or FETCH_ROUNDS pass."""
        reads = TimestampReads(wanted)
        for _ in range(FETCH_ROUNDS):
            positions = reads.next_round()
            if not positions:
                break
            by_node: dict[int, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
            for (topic, partition), offset in positions.items():
                by_node[leaders[topic][partition]][topic].append((partition, offset))
            addressed = [(self._fetch(by_topic), node) for node, by_topic in by_node.items()]
            for response in self.admin.protocol.send_each("read records at committed offsets", addressed):
                for topic in response.responses:
                    for p in topic.partitions:
                        tp = (topic.topic, p.partition_index)
                        if p.error_code == OFFSET_OUT_OF_RANGE:
                            reads.out_of_range(tp, p.log_start_offset)
                            continue
                        _raise(f"read records of {tp[0]}[{tp[1]}]", self.env, p.error_code, None)
                        reads.take(tp, batch_timestamps(p.records, reads.pending.get(tp, set())))
        return reads

    def _fetch(self, by_topic: Mapping[str, list[tuple[int, int]]]) -> Any:
        topic_entry = FetchRequest.FetchTopic
        partition_entry = topic_entry.FetchPartition
        return FetchRequest(
            replica_id=-1,
            max_wait_ms=0,
            min_bytes=1,
            max_bytes=FETCH_RESPONSE_BYTES,
            isolation_level=0,
            session_id=0,
            session_epoch=-1,
            topics=[
                topic_entry(topic=t, partitions=[
                    partition_entry(partition=p, current_leader_epoch=-1, fetch_offset=o, last_fetched_epoch=-1,
                                    log_start_offset=-1, partition_max_bytes=FETCH_PARTITION_BYTES)
                    for p, o in parts
                ])
                for t, parts in by_topic.items()
            ],
            forgotten_topics_data=[],
            rack_id="",
            max_version=FETCH_VERSION,
        )


def batch_timestamps(data: bytes | None, wanted: set[int]) -> list[Record]:
    """(offset, timestamp ms) in fetched bytes, enough to answer the `wanted` offsets.

    kafka-python decodes records in Python (about 0.1 ms each, and a 64 KiB batch holds hundreds),
    so a batch is decoded only when its header cannot answer: a batch whose records were all
    written within BATCH_SPREAD_MS of each other (a producer fills one within linger.ms), or one
    stamped with LogAppendTime, gives its first (append) timestamp to every wanted offset in it;
    otherwise its records are decoded up to the highest wanted offset. Batches before the lowest
    wanted offset and control batches (transaction markers, not messages) are skipped. A batch
    whose codec is not installed is answered from its header too."""
    out: list[Record] = []
    if not data or not wanted:
        return out
    ordered = sorted(wanted)
    low, high = ordered[0], ordered[-1]
    records = MemoryRecords(data)
    while True:
        batch = records.next_batch()
        if batch is None:
            return out
        first = batch.base_offset  # kafka-python computes both from the header bytes on every access
        if first > high:
            return out
        last = batch.last_offset
        if last < low or getattr(batch, "is_control_batch", False):
            continue
        inside = ordered[bisect_left(ordered, first) : bisect_right(ordered, last)]
        header = _header_timestamp(batch)
        if header is not None:
            out.extend((offset, header) for offset in inside or [last])
            continue
        try:
            for record in batch:
                out.append((record.offset, record.timestamp))
                if record.offset >= high:
                    return out
        except kafka.errors.UnsupportedCodecError:
            out.extend((offset, batch.first_timestamp) for offset in inside)


def _header_timestamp(batch: Any) -> int | None:
    """The timestamp a record batch's header gives all its records, when it is close enough."""
    first, last = getattr(batch, "first_timestamp", None), getattr(batch, "max_timestamp", None)
    if first is None or last is None:
        return None  # an old (v0/v1) batch: decode it
    if getattr(batch, "timestamp_type", 0) == LOG_APPEND_TIME:
        return int(last)
    return int(first) if 0 <= last - first <= BATCH_SPREAD_MS else None


class Replay:
    """A DLQ replay's reads and writes (mqctl.kinds.groups.workflow decides, this carries out)."""

    def __init__(self, admin: GroupAdmin, group_id: str, dlq: str) -> None:
        self.admin = admin
        self.group_id = group_id  # the replay group: commits the DLQ offsets replayed
        self.dlq = dlq

    def read(self, ranges: Mapping[int, tuple[int, int]], wanted: int | None) -> list[Any]:
        """The messages of `ranges` (or the first `wanted` of them), read with a consumer assigned
        to the DLQ's partitions (it never joins a group), bounded by the environment's timeout."""
        from confluent_kafka import TopicPartition

        if not ranges:
            return []
        consumer = self.admin.admin.consumer(self.group_id, **{"isolation.level": "read_committed"})
        got: list[Any] = []
        try:
            consumer.assign([TopicPartition(self.dlq, p, start) for p, (start, _) in ranges.items()])
            pending = {p: stop for p, (_, stop) in ranges.items()}
            deadline = time.monotonic() + self.admin.env.timeout_seconds
            while pending and (wanted is None or len(got) < wanted):
                if time.monotonic() >= deadline:
                    raise MqctlError(f"read {self.dlq}: messages up to the end offsets did not arrive within "
                                     f"{self.admin.env.timeout_seconds:g}s; nothing was replayed or committed")
                for message in consumer.consume(500, 0.2):
                    error = message.error()
                    if error is not None:
                        raise MqctlError(f"read {self.dlq}: {error.str()}")
                    p, offset = message.partition() or 0, message.offset() or 0
                    if p in pending and offset < pending[p]:
                        got.append(message)
                        deadline = time.monotonic() + self.admin.env.timeout_seconds  # progress
                    if p in pending and offset + 1 >= pending[p]:
                        del pending[p]
                        consumer.pause([TopicPartition(self.dlq, p)])
                # transaction markers and compacted offsets are never delivered: a partition whose
                # position has passed the range is done too
                for tp in consumer.position([TopicPartition(self.dlq, p) for p in list(pending)]):
                    if tp.offset >= 0 and tp.offset >= pending.get(tp.partition, tp.offset + 1):
                        pending.pop(tp.partition, None)
        finally:
            consumer.close()
        return got[:wanted] if wanted is not None else got

    def publish(self, messages: Sequence[Any], target: str, header: str) -> set[tuple[int, int]]:
        """Re-publish to `target` with an idempotent producer: key, value and headers kept, plus the
        `header` (dlq/partition/offset). Returns the (partition, offset) of those not acknowledged."""
        producer = self.admin.admin.producer()
        failed: set[tuple[int, int]] = set()
        acknowledged = 0

        def delivered(message: Any) -> Any:
            origin = (message.partition(), message.offset())

            def report(err: Any, _msg: Any) -> None:
                nonlocal acknowledged
                if err is not None:
                    failed.add(origin)
                else:
                    acknowledged += 1

            return report

        for message in messages:
            headers = list(message.headers() or [])
            headers.append((header, f"{self.dlq}/{message.partition()}/{message.offset()}".encode()))
            producer.produce(target, key=message.key(), value=message.value(), headers=headers,
                             on_delivery=delivered(message))
            producer.poll(0)
        left = producer.flush(self.admin.env.timeout_seconds + 5)
        if left or acknowledged + len(failed) < len(messages):
            answered = {(m.partition(), m.offset()) for m in messages}
            failed |= answered if left else set()
        return failed

    def commit(self, points: Mapping[int, int]) -> dict[int, str]:
        """Commit the replayed DLQ offsets for the replay group (AlterConsumerGroupOffsets: the
        replay group has no members). Returns why, for each partition whose offset was not
        committed. An admin request, ended within the environment's timeout: a consumer's
        synchronous commit waits for a coordinator as long as librdkafka's session timeout (45 s
        against a listener that never answers, where this request took 3 s with a 3 s timeout)."""
        offsets = {(self.dlq, p): o for p, o in sorted(points.items())}
        answered = self.admin.alter_offsets(self.group_id, offsets) if offsets else {}
        unanswered = "the broker's answer left this partition out"
        outcomes = {tp[1]: answered.get(tp, unanswered) for tp in offsets}
        return {p: reason for p, reason in outcomes.items() if reason is not None}
