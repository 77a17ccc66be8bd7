"""Broker config changes: an incremental set/delete of dynamic configs on one BROKER resource."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mqctl.kinds.brokers import NAME
from mqctl.plan import Action, Change


@dataclass(frozen=True)
class BrokerConfigUpdate(Change):
    """Incremental set/delete of dynamic configs on one BROKER resource (`cluster-default` or
    `broker <id>`). First in a plan: topics created in the same run already see the new defaults."""

    kind = NAME
    resource_type = "broker-config"
    action = Action.UPDATE

    broker: int | None = None  # None: the cluster-wide default (resource "")
    set_config: Mapping[str, str] = field(default_factory=dict)
    reset_config: tuple[str, ...] = ()


CHANGES = (BrokerConfigUpdate,)
