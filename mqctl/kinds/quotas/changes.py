"""Client quota changes: set values on an entity, or remove keys from it (all of them: the entity
goes). Removals are deletions: held back without --allow-delete and counted by the plan's safety
thresholds, whether they take one key or the whole entity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mqctl.kinds.quotas import NAME
from mqctl.kinds.quotas.model import QuotaEntity
from mqctl.plan import Action, Change


@dataclass(frozen=True, kw_only=True)
class QuotaChange(Change):
    """Keys to set and keys to remove on one entity: one entry of an AlterClientQuotas request."""

    kind = NAME
    resource_type = "quota"

    entity: QuotaEntity
    set_values: Mapping[str, float] = field(default_factory=dict)
    remove_keys: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "entity": [{"type": kind, "name": name} for kind, name in self.entity.parts]}


@dataclass(frozen=True, kw_only=True)
class QuotaCreate(QuotaChange):
    action = Action.CREATE


@dataclass(frozen=True, kw_only=True)
class QuotaUpdate(QuotaChange):
    action = Action.UPDATE


@dataclass(frozen=True, kw_only=True)
class QuotaDelete(QuotaChange):
    """Removes `remove_keys`; when they are all the entity has, the entity itself is gone."""

    action = Action.DELETE


CHANGES = (QuotaCreate, QuotaUpdate, QuotaDelete)
