"""Subject changes: a compatibility level set (before registering, so new versions meet it), a new
version registered (referenced subjects first), a subject soft-deleted (referrers first)."""

from __future__ import annotations

from dataclasses import dataclass

from mqctl.kinds.schemas import NAME
from mqctl.kinds.schemas.model import SubjectReference
from mqctl.plan import Action, Change


@dataclass(frozen=True)
class SubjectChange(Change):
    kind = NAME
    resource_type = "subject"


@dataclass(frozen=True)
class SubjectCompatibility(SubjectChange):
    """Set a subject's compatibility level; runs before registering, so new versions meet it."""

    resource_type = "compatibility"
    action = Action.UPDATE

    level: str = "BACKWARD"


@dataclass(frozen=True)
class SubjectRegister(SubjectChange):
    """Register a new version (the first one of a new subject)."""

    action = Action.CREATE

    schema_type: str = "AVRO"
    schema: str = ""
    references: tuple[SubjectReference, ...] = ()  # version None: the referenced subject's latest
    latest_version: int | None = None  # None: a new subject, with nothing to be compatible with
    check: bool = True  # False: the plan cannot pre-check compatibility (see the plan's warnings)
    depth: int = 0

    def sort_detail(self) -> str:
        """Referenced subjects first: by reference depth, then by name."""
        return f"{self.depth:04d} {self.name}"


@dataclass(frozen=True)
class SubjectDelete(SubjectChange):
    """Soft delete: the registry keeps the versions (and their ids) and can restore them."""

    action = Action.DELETE

    depth: int = 0  # how many subjects being deleted reference it: those go first

    def sort_detail(self) -> str:
        return f"{self.depth:04d} {self.name}"


CHANGES = (SubjectCompatibility, SubjectRegister, SubjectDelete)
