"""The live topics of one environment as plain values, the shapes the topic diff compares specs with.

Read once per plan, before diffing (alembic's lesson: never query while comparing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mqctl.live import LiveConfig


@dataclass(frozen=True)
class LiveTopic:
    name: str
    partitions: int
    replicas: tuple[tuple[int, ...], ...]  # replica broker ids per partition, in partition order
    configs: Mapping[str, LiveConfig] = field(default_factory=dict)
    # partitions in an ongoing reassignment -> their target replicas (metadata shows the union)
    moving: Mapping[int, tuple[int, ...]] = field(default_factory=dict)

    @property
    def targets(self) -> tuple[tuple[int, ...], ...]:
        """Replicas per partition once ongoing reassignments finish."""
        return tuple(self.moving.get(p, r) for p, r in enumerate(self.replicas))

    @property
    def replication_factor(self) -> int:
        """The smallest replica count of any partition (what a reader of the spec cares about),
        counting a partition that is being reassigned at its target."""
        return min((len(r) for r in self.targets), default=0)


@dataclass(frozen=True)
class LiveTopics:
    """What the cluster holds for one environment's topics, plus what cluster-wide checks need."""

    brokers: tuple[int, ...]
    topics: Mapping[str, LiveTopic]  # managed topics (under the environment prefix), by full name
    # every topic on the cluster, for name-collision checks; other environments' topics come and go,
    # so a saved plan's live fingerprint leaves it out (a collision still fails the fresh plan)
    all_topic_names: frozenset[str] = field(metadata={"fingerprint": False})
    racks: Mapping[int, str | None] = field(default_factory=dict)  # broker id -> broker.rack
