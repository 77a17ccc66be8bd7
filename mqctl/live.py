"""A snapshot of the live cluster as plain values, the same shapes the diff engine compares specs with.

Read once per plan, before diffing (alembic's lesson: never query while comparing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LiveConfig:
    """One config entry as DescribeConfigs reports it."""

    value: str | None
    source: str  # DYNAMIC_TOPIC_CONFIG, DEFAULT_CONFIG, STATIC_BROKER_CONFIG, ...
    read_only: bool = False
    sensitive: bool = False

    @property
    def is_topic_override(self) -> bool:
        """Set on this topic itself (as opposed to inherited from broker or default)."""
        return self.source == "DYNAMIC_TOPIC_CONFIG"


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
class LiveState:
    """What the cluster holds for one environment, plus what cluster-wide checks need."""

    brokers: tuple[int, ...]
    topics: Mapping[str, LiveTopic]  # managed topics (under the environment prefix), by full name
    # every topic on the cluster, for name-collision checks; other environments' topics come and go,
    # so a saved plan's live fingerprint leaves it out (a collision still fails the fresh plan)
    all_topic_names: frozenset[str] = field(metadata={"fingerprint": False})
    racks: Mapping[int, str | None] = field(default_factory=dict)  # broker id -> broker.rack


@dataclass(frozen=True)
class LiveBrokerConfigs:
    """Broker configs of the whole cluster, read once for `brokers check` and the brokers kind."""

    cluster_default: Mapping[str, LiveConfig]  # the dynamic cluster defaults (resource ""), only those
    brokers: Mapping[int, Mapping[str, LiveConfig]]  # every config of each live broker, static included

    def dynamic(self, broker: int) -> dict[str, LiveConfig]:
        """The dynamic configs set on this one broker (its own resource, not the defaults)."""
        return {k: v for k, v in self.brokers.get(broker, {}).items() if v.source == "DYNAMIC_BROKER_CONFIG"}
