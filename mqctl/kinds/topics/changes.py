"""Topic changes: create, grow and reconfigure, move replicas, delete."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mqctl.kinds.topics import NAME
from mqctl.plan import Action, Change

RETENTION_KEYS = ("retention.ms", "retention.bytes", "local.retention.ms", "local.retention.bytes")


@dataclass(frozen=True)
class TopicChange(Change):
    kind = NAME
    resource_type = "topic"


@dataclass(frozen=True)
class TopicCreate(TopicChange):
    action = Action.CREATE

    partitions: int = 1
    replication_factor: int = 1
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicUpdate(TopicChange):
    """Partition increase and/or incremental config changes (set and reset) on one topic."""

    action = Action.UPDATE

    new_partitions: int | None = None
    set_config: Mapping[str, str] = field(default_factory=dict)
    reset_config: tuple[str, ...] = ()
    keyed: bool = False  # the spec declares a key: more partitions move keys (see TopicSpec.key)

    @property
    def classes(self) -> frozenset[str]:
        extra = set()
        if self.new_partitions is not None:
            extra |= {"partition-increase", "keyed-partition-increase"} if self.keyed else {"partition-increase"}
        for diff in self.diffs:
            if diff.risk and diff.field.removeprefix("config.") in RETENTION_KEYS:
                extra.add("retention-cut")
            if diff.risk and diff.field == "config.cleanup.policy":
                extra.add("cleanup-policy-switch")
        return super().classes | extra


@dataclass(frozen=True)
class Move:
    """One partition's replica set, before and after a reassignment (preferred leader first)."""

    partition: int
    before: tuple[int, ...]
    after: tuple[int, ...]


@dataclass(frozen=True)
class TopicReassign(TopicChange):
    """New replica sets for a topic's partitions (a replication-factor change), moved by partition
    reassignment under a replication throttle. Runs before TopicUpdate, so partitions added in the
    same run already get the new factor. `resume` finishes a reassignment already in progress."""

    action = Action.UPDATE

    moves: tuple[Move, ...] = ()
    resume: bool = False


@dataclass(frozen=True)
class TopicDelete(TopicChange):
    action = Action.DELETE


CHANGES = (TopicCreate, TopicReassign, TopicUpdate, TopicDelete)  # execution order within the kind
