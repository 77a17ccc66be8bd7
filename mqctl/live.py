"""Values as the cluster reports them, shared by the transport, several kinds and the health checks:
a config entry, and the cluster's own state (partitions, log directories, the controller quorum)."""

from __future__ import annotations

from dataclasses import dataclass

TOPIC_OVERRIDE = "DYNAMIC_TOPIC_CONFIG"  # the source of a config set on the topic itself


@dataclass(frozen=True)
class LiveConfig:
    """One config entry as DescribeConfigs reports it."""

    value: str | None
    source: str  # DYNAMIC_TOPIC_CONFIG, DEFAULT_CONFIG, STATIC_BROKER_CONFIG, ...
    read_only: bool = False
    sensitive: bool = False

    def __post_init__(self) -> None:
        """A sensitive (password-type) value is never kept: Kafka sends none, and should a broker
        ever send one it must not reach a diff, a plan or a saved plan's digest."""
        if self.sensitive and self.value is not None:
            object.__setattr__(self, "value", None)

    @property
    def is_topic_override(self) -> bool:
        """Set on this topic itself (as opposed to inherited from broker or default)."""
        return self.source == TOPIC_OVERRIDE


@dataclass(frozen=True)
class PartitionState:
    """One partition as the metadata shows it."""

    topic: str
    partition: int
    leader: int  # -1: no leader (offline)
    replicas: tuple[int, ...]  # preferred leader first
    isr: tuple[int, ...]


@dataclass(frozen=True)
class LogDir:
    """One log directory of one broker, with the volume it is on."""

    broker: int
    path: str
    error: str | None  # the broker's error for this directory (e.g. an offline disk), else None
    total_bytes: int | None  # the volume's size; None when the broker does not report it
    usable_bytes: int | None


@dataclass(frozen=True)
class QuorumReplica:
    id: int
    log_end_offset: int
    last_caught_up_ms: int  # on the quorum leader's clock; -1 when unknown


@dataclass(frozen=True)
class Quorum:
    """The KRaft controller quorum of the metadata log."""

    leader: int  # -1: no leader
    epoch: int
    high_watermark: int
    voters: tuple[QuorumReplica, ...]
    observers: tuple[QuorumReplica, ...]
