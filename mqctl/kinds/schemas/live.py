"""The subjects of one environment's registry as plain values, read once per plan before diffing.

Kept apart from the spec model (model.py) so that `validate`, which never reads a registry, does
not build these classes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mqctl.kinds.schemas.model import SubjectReference


@dataclass(frozen=True)
class LiveSubject:
    """The latest version of a subject and its compatibility level, as the registry reports them."""

    name: str
    version: int
    schema_type: str
    schema: str
    references: tuple[SubjectReference, ...] = ()
    compatibility: str | None = None  # None: the registry reports no level for the subject


@dataclass(frozen=True)
class RegistryState:
    """What the registry holds for the environment: the diff compares the specs with this."""

    subjects: Mapping[str, LiveSubject]  # the environment's subjects (under its prefix), by name
