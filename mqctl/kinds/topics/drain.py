"""Draining a broker (decommission): a plan of replica moves that leaves no replica of the chosen
topics on it, carried out like a replication-factor change (mqctl.kinds.topics.reassign: throttled,
waited for, resumable, throttle removed at the end). `mqctl brokers drain` is its command.

`plan_drain` is pure: the partitions, racks and moves in progress come in as plain data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from mqctl.config import ProjectConfig
from mqctl.diagnostics import Diagnostic, MqctlError, error
from mqctl.edges import Edges
from mqctl.kinds.topics.changes import TopicReassign
from mqctl.kinds.topics.diff import moves_between, shown_moves
from mqctl.live import PartitionState
from mqctl.placement import drain
from mqctl.plan import Change, FieldDiff, Plan


def plan_drain(
    env: str,
    broker: int,
    partitions: Sequence[PartitionState],
    racks: Mapping[int, str | None],
    moving: Mapping[str, object],
    topics: Sequence[str] = (),
) -> Plan:
    """One TopicReassign per topic (matching a `topics` glob, all when there is none) with a
    replica on `broker`: its replicas there go to other brokers, rack-aware, least loaded first.
    `racks`: the live brokers; `moving`: topics with a reassignment in progress (never overridden)."""
    if broker not in racks and not any(broker in p.replicas for p in partitions):
        known = ", ".join(map(str, sorted(racks)))
        raise MqctlError(f"broker {broker} is not a broker of this cluster and holds no replica (brokers: {known})")
    by_topic: dict[str, list[PartitionState]] = defaultdict(list)
    for p in partitions:
        if not topics or any(fnmatchcase(p.topic, glob) for glob in topics):
            by_topic[p.topic].append(p)
    staying = len([b for b in racks if b != broker])
    changes: list[Change] = []
    problems: list[Diagnostic] = []
    for topic, parts in sorted(by_topic.items()):
        if not any(broker in p.replicas for p in parts):
            continue
        current = tuple(p.replicas for p in sorted(parts, key=lambda p: p.partition))
        widest = max(len(r) for r in current)
        if topic in moving:
            problems.append(error("(cluster)", None, topic, "a reassignment of this topic is in progress; "
                                                             "let it finish (mqctl never starts one over another)"))
        elif widest > staying:
            problems.append(error("(cluster)", None, topic, f"{widest} replicas per partition need {widest} brokers; "
                                                             f"only {staying} would be left without broker {broker}"))
        else:
            moves = moves_between(current, drain(current, broker, racks))
            field = FieldDiff("drain", f"{len(moves)} partition(s) with a replica on broker {broker}", "none")
            changes.append(TopicReassign(topic, (field, *shown_moves(moves)), moves=moves))
    return Plan.build(env, changes, problems)


def read_drain(edges: Edges, broker: int, topics: Sequence[str] = ()) -> Plan:
    """The drain plan from the live cluster: metadata, brokers and moves in progress (3 requests)."""
    from mqctl.kafka import state
    from mqctl.kinds.topics.reassign import ReassignAdmin

    racks = {b.id: b.rack for b in edges.kafka.brokers()}
    partitions = state.partitions(edges.kafka)
    moving = edges.service(ReassignAdmin).ongoing()
    return plan_drain(edges.env.name, broker, partitions, racks, moving, topics)


def execute_drain(edges: Edges, plan: Plan) -> dict[str, str | None]:
    """Carry the moves out: throttle, submit, wait (bounded by policy.reassignment_timeout_seconds),
    unthrottle; topic -> None when done, else why not."""
    from mqctl.kinds.topics.reassign import ReassignAdmin

    moves = [c for c in plan.changes if isinstance(c, TopicReassign)]
    return edges.service(ReassignAdmin).execute(moves)


@dataclass
class DrainRun:
    plan: Plan  # as read under the lock
    outcome: dict[str, str | None] = field(default_factory=dict)  # topic -> None moved, else why not
    lock_error: str | None = None  # the lock could not be released afterwards: it stays held

    @property
    def failed(self) -> bool:
        return bool(self.plan.errors) or any(self.outcome.values()) or self.lock_error is not None


def drain_broker(
    config: ProjectConfig,
    broker: int,
    topics: Sequence[str],
    show: Callable[[Plan], None],
    notify: Callable[[str], None] = lambda _: None,
) -> DrainRun:
    """`brokers drain --execute`: under the apply lock, read the moves again (the dry run's may be
    stale), show them, and carry them out unless the plan has errors or nothing to move. A lock
    that cannot be released is reported with the moves (`lock_error`), never instead of them."""
    from mqctl.kafka.lock import run_holding

    def locked() -> DrainRun:
        with Edges(config.environment, notify) as edges:
            plan = read_drain(edges, broker, topics)
            show(plan)
            if plan.errors or not plan.changes:
                return DrainRun(plan)
            return DrainRun(plan, execute_drain(edges, plan))

    command = f"mqctl brokers drain --env {config.environment.name} {broker}"
    run, lock_error = run_holding(config.environment, command, locked, notify)
    run.lock_error = lock_error
    return run
