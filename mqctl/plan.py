"""Typed changes and the Plan: what apply would do, ordered, with its safety checks and fingerprint.

Changes are data (alembic ops): one class per resource kind and action, rendered and executed by
lookups keyed on the class, never by if-chains. Safety lives here, on the plan (octoDNS), not in the
CLI: a plan knows which of its changes are destructive and which need an explicit flag.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from mqctl.diagnostics import Diagnostic, errors_of, warnings_of

FORMAT_VERSION = 1


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class FieldDiff:
    field: str  # `partitions`, `replication_factor`, `config.<key>`, ...
    before: Any
    after: Any  # None on a config key means: removed, back to the inherited default
    risk: str | None = None  # why this particular field change is destructive, if it is

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "before": self.before, "after": self.after}
        if self.risk:
            out["risk"] = self.risk
        return out


@dataclass(frozen=True)
class Change:
    """One resource to create, update or delete. Subclasses name the kind and carry what executes it."""

    resource_type: ClassVar[str]
    action: ClassVar[Action]
    order: ClassVar[int]  # execution order across kinds: creates of what others depend on first

    name: str
    diffs: tuple[FieldDiff, ...] = ()
    risks: tuple[str, ...] = ()  # destructive or risky aspects, shown and counted by the plan

    @property
    def key(self) -> str:
        """Unique within a plan: `topic:prod.order.created.v1`."""
        return f"{self.resource_type}:{self.name}"

    @property
    def destructive(self) -> bool:
        return self.action is Action.DELETE or bool(self.risks) or any(d.risk for d in self.diffs)

    @property
    def all_risks(self) -> tuple[str, ...]:
        return self.risks + tuple(d.risk for d in self.diffs if d.risk)

    def sort_key(self) -> tuple[int, str]:
        return (self.order, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource_type": self.resource_type,
            "name": self.name,
            "action": str(self.action),
            "destructive": self.destructive,
            "risks": list(self.all_risks),
            "diffs": [d.to_dict() for d in self.diffs],
        }


@dataclass(frozen=True)
class TopicCreate(Change):
    resource_type = "topic"
    action = Action.CREATE
    order = 10

    partitions: int = 1
    replication_factor: int = 1
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicUpdate(Change):
    """Partition increase and/or incremental config changes (set and reset) on one topic."""

    resource_type = "topic"
    action = Action.UPDATE
    order = 20

    new_partitions: int | None = None
    set_config: Mapping[str, str] = field(default_factory=dict)
    reset_config: tuple[str, ...] = ()


@dataclass(frozen=True)
class Move:
    """One partition's replica set, before and after a reassignment (preferred leader first)."""

    partition: int
    before: tuple[int, ...]
    after: tuple[int, ...]


@dataclass(frozen=True)
class TopicReassign(Change):
    """New replica sets for a topic's partitions (a replication-factor change), moved by partition
    reassignment under a replication throttle. Runs before TopicUpdate, so partitions added in the
    same run already get the new factor. `resume` finishes a reassignment already in progress."""

    resource_type = "topic"
    action = Action.UPDATE
    order = 15

    moves: tuple[Move, ...] = ()
    resume: bool = False


@dataclass(frozen=True)
class TopicDelete(Change):
    resource_type = "topic"
    action = Action.DELETE
    order = 90


@dataclass(frozen=True)
class BrokerConfigUpdate(Change):
    """Incremental set/delete of dynamic configs on one BROKER resource (`cluster-default` or
    `broker <id>`). First in a plan: topics created in the same run already see the new defaults."""

    resource_type = "broker-config"
    action = Action.UPDATE
    order = 5

    broker: int | None = None  # None: the cluster-wide default (resource "")
    set_config: Mapping[str, str] = field(default_factory=dict)
    reset_config: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    environment: str
    changes: tuple[Change, ...]
    diagnostics: tuple[Diagnostic, ...] = ()

    @classmethod
    def build(
        cls, environment: str, changes: Iterable[Change], diagnostics: Iterable[Diagnostic] = ()
    ) -> Plan:
        return cls(environment, tuple(sorted(changes, key=lambda c: c.sort_key())), tuple(sorted(set(diagnostics))))

    @property
    def errors(self) -> list[Diagnostic]:
        return errors_of(self.diagnostics)

    @property
    def warnings(self) -> list[Diagnostic]:
        return warnings_of(self.diagnostics)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def counts(self) -> dict[str, int]:
        counts = {str(a): 0 for a in Action}
        for change in self.changes:
            counts[str(change.action)] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON plan format (format_version 1). Never contains secrets."""
        return {
            "format_version": FORMAT_VERSION,
            "environment": self.environment,
            "summary": {**self.counts(), "destructive": sum(c.destructive for c in self.changes)},
            "changes": [c.to_dict() for c in self.changes],
            "warnings": [d.to_dict() for d in self.warnings],
            "errors": [d.to_dict() for d in self.errors],
        }

    def fingerprint(self) -> str:
        """A digest of the changes, so a reviewed plan can be tied to what is applied."""
        return changes_fingerprint([c.to_dict() for c in self.changes])


def changes_fingerprint(changes: list[Any]) -> str:
    """The digest of changes in their to_dict form; equal for a plan and for its JSON read back from a
    plan file, so a saved plan's changes can be checked against its recorded fingerprint."""
    body = json.dumps(changes, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()
