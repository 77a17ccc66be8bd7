"""Subjects in the registry: the snapshot and the executors of subject changes, over the one registry
transport (mqctl.registry). Works around what Apicurio's ccompat API lacks:
- the compatibility test returns no reasons (`verbose` is ignored): the plan says so;
- the compatibility test cannot resolve references (HTTP 422 "Syntax violation" even for a
  compatible schema): such a schema is not pre-checked by the plan; registering it at apply is
  still checked by the registry, which then refuses it with its reason and registers nothing;
- registering content identical to a soft-deleted version returns the old id but leaves the
  version deleted: each registration is confirmed by a lookup, and that case reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from mqctl.diagnostics import MqctlError
from mqctl.edges import Edges
from mqctl.kind import Executor, Results, executor
from mqctl.kinds.schemas.changes import SubjectChange, SubjectCompatibility, SubjectDelete, SubjectRegister
from mqctl.kinds.schemas.live import LiveSubject, RegistryState
from mqctl.kinds.schemas.model import SubjectReference
from mqctl.plan import Change
from mqctl.registry import UNPROCESSABLE, Reference, RegistryFailure

C = TypeVar("C", bound=SubjectChange)


class SubjectAdmin:
    """Snapshot and execution of subject changes on one environment's registry."""

    def __init__(self, edges: Edges) -> None:
        self.registry = edges.registry

    def _live(self, subject: str) -> LiveSubject:
        latest = self.registry.latest(subject)
        return LiveSubject(
            name=subject,
            version=latest.version,
            schema_type=latest.schema_type,
            schema=latest.schema,
            references=tuple(SubjectReference(*ref) for ref in latest.references),
            compatibility=self.registry.level(subject),
        )

    def snapshot(self, prefix: str) -> RegistryState:
        """The latest version and level of every subject under `prefix` (soft-deleted ones are gone)."""
        return RegistryState({name: self._live(name) for name in self.registry.subjects(prefix)})

    def _references(self, change: SubjectRegister) -> list[Reference]:
        """A reference without a version (a spec subject registered in this apply) takes its latest."""
        return [(r.name, r.subject, r.version or self.registry.latest(r.subject).version) for r in change.references]

    def _incompatibility(self, change: SubjectRegister) -> str | None:
        """Whether the new version may follow the registered ones (under the subject's level,
        transitive or not), with the registry's own reasons."""
        try:
            reasons = self.registry.incompatibilities(
                change.name, change.schema_type, change.schema, self._references(change)
            )
        except RegistryFailure as exc:
            if change.references and exc.status == UNPROCESSABLE:
                return None  # Apicurio cannot test schemas with references; register still checks
            raise
        if reasons is None:
            return None
        return f"the new schema is incompatible with the registered version(s) of {change.name}: " + (
            "; ".join(reasons)
            or "the registry gives no reason (Apicurio's ccompat API returns none); "
            "registering it would show the registry's diff"
        )

    def _register(self, change: SubjectRegister) -> str | None:
        if self.registry.register(change.name, change.schema_type, change.schema, self._references(change)):
            return None
        return (
            "the registry accepted the schema but the subject does not show it: it equals a "
            "soft-deleted version, which Apicurio does not restore. Delete the subject permanently "
            "or change the schema"
        )

    def _check(self, change: SubjectRegister) -> str | None:
        return self._incompatibility(change) if change.check and change.latest_version else None

    def _set_level(self, change: SubjectCompatibility) -> None:
        self.registry.set_level(change.name, change.level)

    def _delete(self, change: SubjectDelete) -> None:
        self.registry.delete(change.name)  # soft: the versions stay and can be restored

    def _each(self, changes: Sequence[C], action: Callable[[C], str | None]) -> Results:
        """Run `action` per change in order; a failure is recorded against its change only."""
        outcome: Results = {}
        for change in changes:
            try:
                outcome[change.name] = action(change)
            except RegistryFailure as exc:  # the change's own report line says what was being done
                outcome[change.name] = exc.reason
            except MqctlError as exc:
                outcome[change.name] = exc.message
        return outcome

    def register(self, changes: Sequence[SubjectRegister], validate_only: bool = False) -> Results:
        """In plan order (referenced subjects first); validate-only asks for a compatibility check."""
        return self._each(changes, self._check if validate_only else self._register)

    def set_levels(self, changes: Sequence[SubjectCompatibility], validate_only: bool = False) -> Results:
        if validate_only:  # a level from the spec's enum is always accepted
            return {c.name: None for c in changes}
        return self._each(changes, self._set_level)

    def delete(self, changes: Sequence[SubjectDelete], validate_only: bool = False) -> Results:
        if validate_only:
            return {c.name: None for c in changes}
        return self._each(changes, self._delete)

    def executors(self) -> dict[type[Change], Executor]:
        return dict(
            [
                executor(SubjectCompatibility, self.set_levels),
                executor(SubjectRegister, self.register),
                executor(SubjectDelete, self.delete),
            ]
        )

