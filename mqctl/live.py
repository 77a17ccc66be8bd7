"""A config entry as the cluster reports it: the one live value several kinds and checks share."""

from __future__ import annotations

from dataclasses import dataclass


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
        return self.source == "DYNAMIC_TOPIC_CONFIG"
