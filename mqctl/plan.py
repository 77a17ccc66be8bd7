"""Typed changes and the Plan: what apply would do, ordered, with its safety checks and fingerprint.

Changes are data (alembic ops): each kind package defines its change classes, and rendering and
execution look them up by class, never by if-chains. Safety lives here, on the plan (octoDNS'
`raise_if_unsafe`), not in the CLI: a plan counts what it deletes and updates per kind against the
environment's policy, and knows which of its changes need an explicit flag.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, ClassVar

from mqctl.config import Environment
from mqctl.diagnostics import Diagnostic, error, errors_of, warnings_of

FORMAT_VERSION = 1
ALLOW_DELETE = "--allow-delete"
SAFE_FRACTION_MIN_EXISTING = 10  # below this many managed resources of a kind, fractions are noise


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
    """One resource to create, update or delete. Each kind subclasses it per action; the subclass
    names its kind (the kind package's folder name) and carries what executes it."""

    kind: ClassVar[str]  # the kind it belongs to: plan safety counts per kind
    resource_type: ClassVar[str]  # how a plan names the resource: `topic`, `acl`, ...
    action: ClassVar[Action]

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

    @property
    def classes(self) -> frozenset[str]:
        """What sort of change this is, for policies that forbid some per environment (`forbid_changes`)
        unless `--allow CLASS` is given: its action, `destructive` when it is, and what a kind adds
        (a topic's `retention-cut`)."""
        return frozenset({str(self.action), *(["destructive"] if self.destructive else [])})

    def sort_detail(self) -> str:
        """Order among the changes of one type (the registry orders the types)."""
        return self.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource_type": self.resource_type,
            "name": self.name,
            "action": str(self.action),
            "destructive": self.destructive,
            "risks": list(self.all_risks),
            "diffs": [d.to_dict() for d in self.diffs],
        }


ChangeOrder = Callable[[Change], tuple[Any, ...]]


@dataclass(frozen=True)
class Plan:
    environment: str
    changes: tuple[Change, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # change key -> its resource's labels
    targets: tuple[str, ...] = ()  # `--target KIND:NAME` globs the plan was limited to (none: everything)
    # change key -> the flag apply needs to carry it out (`--allow-delete`); set by the plan's options
    needs: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        environment: str,
        changes: Iterable[Change],
        diagnostics: Iterable[Diagnostic] = (),
        order: ChangeOrder | None = None,
        labels: Mapping[str, Mapping[str, str]] | None = None,
        targets: tuple[str, ...] = (),
    ) -> Plan:
        """`order` is the execution order (the kinds registry's `apply_order`); without it the
        changes keep the order given."""
        ordered = sorted(changes, key=order) if order is not None else list(changes)
        keys = {c.key for c in ordered}
        kept = {k: dict(v) for k, v in (labels or {}).items() if v and k in keys}
        return cls(environment, tuple(ordered), tuple(sorted(set(diagnostics))), kept, targets)

    @classmethod
    def failed(cls, environment: str, message: str, diagnostics: Iterable[Diagnostic] = ()) -> Plan:
        """A plan holding only why planning failed (bad specs, cluster unreachable), for outputs that
        always print a plan document."""
        problems = list(diagnostics) or [error("", None, "", message)]
        return cls.build(environment, [], problems)

    def with_diagnostics(self, extra: Iterable[Diagnostic]) -> Plan:
        """The same plan with more problems found about it."""
        plan = Plan.build(self.environment, self.changes, [*self.diagnostics, *extra], None, self.labels, self.targets)
        return plan.needing(self.needs)

    def needing(self, needs: Mapping[str, str]) -> Plan:
        """The same plan, knowing which changes apply leaves undone without a flag (`held_back`)."""
        keys = {c.key for c in self.changes}
        return replace(self, needs={k: v for k, v in needs.items() if k in keys})

    def change_dict(self, change: Change) -> dict[str, Any]:
        """A change in the JSON plan: its own fields, and `labels` when its resource has any."""
        labels = self.labels.get(change.key)
        return {**change.to_dict(), "labels": dict(labels)} if labels else change.to_dict()

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

    def held_back(self, allow_delete: bool) -> dict[str, str]:
        """Changes (by key) apply leaves alone without an explicit flag, and the flag each needs."""
        if allow_delete:
            return {}
        return {c.key: f"needs {ALLOW_DELETE}" for c in self.changes if c.action is Action.DELETE}

    def needs_summary(self) -> str:
        """`2 need --allow-delete`: how many changes apply would leave undone, per flag ("" if none)."""
        counted = Counter(self.needs.values())
        verb = {True: "needs", False: "need"}
        return ", ".join(f"{n} {why.replace('needs', verb[n == 1], 1)}" for why, n in sorted(counted.items()))

    def unsafe(self, env: Environment, managed: Mapping[str, int]) -> list[Diagnostic]:
        """What makes this plan too big to apply under the environment's policy, per kind: more
        deletes than `max_deletes`, or deleting (updating) more than `max_delete_fraction`
        (`max_update_fraction`) of the `managed[kind]` resources the environment holds. An empty or
        half-loaded spec folder must never wipe a cluster."""
        policy = env.policy
        deletes = Counter(c.kind for c in self.changes if c.action is Action.DELETE)
        updates = Counter(c.kind for c in self.changes if c.action is Action.UPDATE)
        where = f"environments.{env.name}.policy"
        problems = []
        for kind, count in sorted(deletes.items()):
            if count > policy.max_deletes:
                problems.append(
                    error(
                        "mqctl.yaml",
                        None,
                        f"{where}.max_deletes",
                        f"the plan deletes {count} {kind}; this environment allows at most "
                        f"{policy.max_deletes} deletions of a kind per run. If that is intended, raise "
                        "policy.max_deletes",
                    )
                )
        for counted, limit, verb, key in (
            (deletes, policy.max_delete_fraction, "deletes", "max_delete_fraction"),
            (updates, policy.max_update_fraction, "updates", "max_update_fraction"),
        ):
            for kind, count in sorted(counted.items()):
                existing = managed.get(kind, 0)
                if existing >= SAFE_FRACTION_MIN_EXISTING and count > limit * existing:
                    problems.append(
                        error(
                            "mqctl.yaml",
                            None,
                            f"{where}.{key}",
                            f"the plan {verb} {count} of the {existing} managed {kind} (more than "
                            f"{limit:.0%}); are the spec files all there? If that is intended, raise policy.{key}",
                        )
                    )
        return problems

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON plan format (format_version 1). Never contains secrets. Fields added
        since (a change's `labels`, the plan's `targets`) appear only when they have a value."""
        out: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "environment": self.environment,
            "summary": {**self.counts(), "destructive": sum(c.destructive for c in self.changes)},
            "changes": [self.change_dict(c) for c in self.changes],
            "warnings": [d.to_dict() for d in self.warnings],
            "errors": [d.to_dict() for d in self.errors],
        }
        if self.targets:
            out["targets"] = list(self.targets)
        if self.needs:
            out["needs"] = dict(self.needs)
        return out

    def fingerprint(self) -> str:
        """A digest of the changes (as the JSON plan shows them), so a reviewed plan can be tied to
        what is applied."""
        return changes_fingerprint([self.change_dict(c) for c in self.changes])


def changes_fingerprint(changes: list[Any]) -> str:
    """The digest of changes in their to_dict form; equal for a plan and for its JSON read back from a
    plan file, so a saved plan's changes can be checked against its recorded fingerprint."""
    body = json.dumps(changes, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()
