"""Replica moves: partition reassignment under a replication throttle, waited for with progress.

confluent-kafka has no AlterPartitionReassignments / ListPartitionReassignments, so those two go
through kafka-python's admin client (mqctl.kafka.protocol); the throttle
configs go through IncrementalAlterConfigs on the confluent connection like every other config.

The throttle is Kafka's own (what kafka-reassign-partitions sets): `leader.` and
`follower.replication.throttled.rate` on every broker a move touches, and
`leader.replication.throttled.replicas` (the replicas copied from) plus
`follower.replication.throttled.replicas` (the replicas copied to) on the topic. Kafka never
throttles replicas that are in sync, so normal replication is unaffected. The topic throttle goes
when that topic's move ends; the broker rates when no reassignment at all is left in the cluster.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from confluent_kafka import KafkaException
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType
from kafka import TopicPartition

from mqctl.diagnostics import MqctlError
from mqctl.edges import Edges
from mqctl.kafka.connection import describe_kafka_error
from mqctl.kafka.protocol import py_kafka_reason
from mqctl.kind import Results
from mqctl.kinds.topics.changes import Move, TopicReassign

BROKER_RATES = ("leader.replication.throttled.rate", "follower.replication.throttled.rate")
TOPIC_REPLICAS = ("leader.replication.throttled.replicas", "follower.replication.throttled.replicas")
POLL_SECONDS = 1.0


def throttled_replicas(moves: Iterable[Move]) -> tuple[str, str]:
    """`partition:broker` lists for the leader side (copied from) and follower side (copied to)."""
    moves = list(moves)
    leaders = ",".join(f"{m.partition}:{b}" for m in moves for b in m.before)
    followers = ",".join(f"{m.partition}:{b}" for m in moves for b in m.after if b not in m.before)
    return leaders, followers


class ReassignAdmin:
    """Ongoing reassignments for the snapshot, and the executor for TopicReassign changes."""

    def __init__(self, edges: Edges) -> None:
        self.admin = edges.kafka
        self.env = edges.env

    def ongoing(self, topics: Iterable[str] | None = None) -> dict[str, dict[int, tuple[int, ...]]]:
        """Reassignments in progress (all, or of `topics`): topic -> partition -> target replicas.
        One request listing the whole cluster's: the protocol filters by partition, not by topic."""
        wanted = None if topics is None else set(topics)
        listed = self.admin.protocol.call(
            "list partition reassignments",
            lambda c: c.list_partition_reassignments(timeout_ms=self.env.timeout_ms),
        )
        found: dict[str, dict[int, tuple[int, ...]]] = defaultdict(dict)
        for tp, state in listed.items():
            if wanted is None or tp.topic in wanted:
                removing = set(state["removing_replicas"])
                found[tp.topic][tp.partition] = tuple(b for b in state["replicas"] if b not in removing)
        return dict(found)

    def _alter(self, doing: str, resources: list[ConfigResource], outcome: Results, names: Mapping[str, str]) -> None:
        """IncrementalAlterConfigs: all topics in one request, each broker in its own (a broker's
        dynamic config is set on that broker); failures recorded per change name."""
        topics = [r for r in resources if r.restype == ResourceType.TOPIC]
        brokers = [[r] for r in resources if r.restype == ResourceType.BROKER]
        for batch in [topics, *brokers] if topics else brokers:
            self._alter_one(doing, batch, outcome, names)
        if brokers:
            self.admin.forget_broker_configs()

    def _alter_one(
        self, doing: str, resources: list[ConfigResource], outcome: Results, names: Mapping[str, str]
    ) -> None:
        client = self.admin.client
        try:
            futures = self.admin.call(
                doing, lambda: client.incremental_alter_configs(resources, request_timeout=self.admin.timeout)
            )
        except MqctlError as exc:
            for name in names.values():
                outcome[name] = str(exc)
            return
        for resource, future in futures.items():
            try:
                self.admin.result(future)
            except (KafkaException, TimeoutError) as exc:
                reason = f"{doing}: {describe_kafka_error(exc, self.env)}"
                for name in [names[resource.name]] if resource.name in names else names.values():
                    outcome[name] = reason

    def _throttle(self, changes: Sequence[TopicReassign], outcome: Results) -> None:
        rate = str(self.env.policy.replication_throttle_bytes)
        brokers = sorted({b for c in changes for m in c.moves for b in (*m.before, *m.after)})
        topics = []
        for change in changes:
            leaders, followers = throttled_replicas(change.moves)
            entries = [ConfigEntry(TOPIC_REPLICAS[0], leaders, incremental_operation=AlterConfigOpType.SET)]
            if followers:
                entries.append(ConfigEntry(TOPIC_REPLICAS[1], followers, incremental_operation=AlterConfigOpType.SET))
            topics.append(ConfigResource(ResourceType.TOPIC, change.name, incremental_configs=entries))
        rates = [ConfigEntry(k, rate, incremental_operation=AlterConfigOpType.SET) for k in BROKER_RATES]
        resources = topics + [ConfigResource(ResourceType.BROKER, str(b), incremental_configs=rates) for b in brokers]
        self._alter("set replication throttle", resources, outcome, {c.name: c.name for c in changes})

    def _unthrottle(self, topics: Sequence[str], outcome: Results) -> None:
        """Remove the topic throttles of finished moves, and the broker rates once nothing moves."""
        reset = [ConfigEntry(k, None, incremental_operation=AlterConfigOpType.DELETE) for k in TOPIC_REPLICAS]
        resources = [ConfigResource(ResourceType.TOPIC, t, incremental_configs=reset) for t in topics]
        if not self.ongoing():
            rates = [ConfigEntry(k, None, incremental_operation=AlterConfigOpType.DELETE) for k in BROKER_RATES]
            resources += [
                ConfigResource(ResourceType.BROKER, str(b.id), incremental_configs=rates) for b in self.admin.brokers()
            ]
        self._alter("remove replication throttle", resources, outcome, {t: t for t in topics})

    def _submit(self, changes: Sequence[TopicReassign], outcome: Results) -> None:
        targets = {
            TopicPartition(c.name, m.partition): list(m.after)
            for c in changes
            if not c.resume and not outcome.get(c.name)
            for m in c.moves
        }
        if not targets:
            return
        try:
            results = self.admin.protocol.call(
                "alter partition reassignments",
                lambda client: client.alter_partition_reassignments(
                    targets, timeout_ms=self.env.timeout_ms
                ),
            )
        except MqctlError as exc:
            for tp in targets:
                outcome[tp.topic] = str(exc)
            return
        for tp, err in results.items():
            if err is not None:
                outcome[tp.topic] = f"partition {tp.partition}: {py_kafka_reason(err(''))}"

    def _conflicts(self, changes: Sequence[TopicReassign], outcome: Results) -> None:
        """Re-check right before submitting: a reassignment started since the plan is never overridden."""
        now = self.ongoing(c.name for c in changes)
        for change in changes:
            wanted = {m.partition: m.after for m in change.moves}
            clash = [p for p, target in now.get(change.name, {}).items() if wanted.get(p, target) != target]
            if clash or (not change.resume and now.get(change.name)):
                outcome[change.name] = (
                    f"a reassignment of partitions {sorted(now[change.name])} started since the plan; "
                    "not starting another one over it (run plan again)"
                )

    def _wait(self, changes: Sequence[TopicReassign]) -> dict[str, int]:
        """Poll until every move is done or the policy's timeout passes; topic -> partitions left."""
        timeout = self.env.policy.reassignment_timeout_seconds
        deadline = time.monotonic() + timeout
        started = time.monotonic()
        total = sum(len(c.moves) for c in changes)
        if not total:
            return {}
        shown = -1
        while True:
            left = {t: len(parts) for t, parts in self.ongoing(c.name for c in changes).items()}
            moving = sum(left.values())
            if moving != shown:
                self.admin.notify(
                    f"reassigning replicas: {total - moving} of {total} partition(s) done "
                    f"({time.monotonic() - started:.0f}s)"
                )
                shown = moving
            if not moving or time.monotonic() >= deadline:
                return left
            time.sleep(POLL_SECONDS)

    def execute(self, changes: Sequence[TopicReassign], validate_only: bool = False) -> Results:
        """Throttle, submit, wait (bounded), unthrottle. A move still running at the timeout is
        reported with its throttle left on; the next apply resumes waiting for it."""
        outcome: Results = {c.name: None for c in changes}
        if validate_only:  # AlterPartitionReassignments has no validate-only mode; the plan checked it
            return outcome
        try:
            self._conflicts(changes, outcome)
            todo = [c for c in changes if not outcome[c.name]]
            self._throttle(todo, outcome)
            self._submit(todo, outcome)
            submitted = [c for c in todo if not outcome[c.name]]
            left = self._wait(submitted)
            finished = [c.name for c in submitted if c.name not in left]
            self._unthrottle(finished, outcome)
        except MqctlError as exc:
            for name, reason in outcome.items():
                outcome[name] = reason or str(exc)
            return outcome
        timeout = self.env.policy.reassignment_timeout_seconds
        for name, count in left.items():
            outcome[name] = (
                f"reassignment still in progress after {timeout:g}s ({count} partition(s) moving); "
                "the replication throttle stays on until it ends. Run apply again to wait for it "
                "(it resumes, never restarts); raise policy.replication_throttle_bytes to speed it up"
            )
        return outcome
