"""Broker configs of the whole cluster as plain values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mqctl.live import LiveConfig


@dataclass(frozen=True)
class LiveBrokerConfigs:
    """Broker configs of the whole cluster, read once for `brokers check` and the brokers kind."""

    cluster_default: Mapping[str, LiveConfig]  # the dynamic cluster defaults (resource ""), only those
    brokers: Mapping[int, Mapping[str, LiveConfig]]  # every config of each live broker, static included

    def dynamic(self, broker: int) -> dict[str, LiveConfig]:
        """The dynamic configs set on this one broker (its own resource, not the defaults)."""
        return {k: v for k, v in self.brokers.get(broker, {}).items() if v.source == "DYNAMIC_BROKER_CONFIG"}
