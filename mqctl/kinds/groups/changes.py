"""Consumer group changes: group configs set/reset on the GROUP config resource, and deletion of an
empty group the specs no longer declare (its committed offsets go with it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mqctl.kinds.groups import NAME
from mqctl.plan import Action, Change


@dataclass(frozen=True)
class GroupConfigUpdate(Change):
    """IncrementalAlterConfigs of one GROUP resource (KIP-848): SET the declared keys, DELETE the
    ones set on the cluster but no longer declared. The group need not exist yet."""

    kind = NAME
    resource_type = "group-config"
    action = Action.UPDATE

    set_config: Mapping[str, str] = field(default_factory=dict)
    reset_config: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupDelete(Change):
    """DeleteGroups of an empty group under the environment's prefix that no spec declares."""

    kind = NAME
    resource_type = "group"
    action = Action.DELETE


CHANGES = (GroupConfigUpdate, GroupDelete)
