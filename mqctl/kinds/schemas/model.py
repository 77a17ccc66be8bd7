"""The schema kind's values: subjects as the specs declare them and as the registry holds them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mqctl.spec.model import Source


@dataclass(frozen=True, order=True)
class SubjectReference:
    """A schema another subject's schema imports, as the registry stores the reference."""

    name: str  # Avro full type name, Protobuf import path or JSON Schema $ref
    subject: str  # full registry subject name
    version: int | None = None  # None: a subject of these specs, at its latest version after apply


@dataclass(frozen=True)
class SubjectSpec:
    """One schema-registry subject: the schema its latest version must hold, and its level."""

    name: str  # as written, without the environment prefix
    full_name: str  # `<env>.<name>`: the registry subject
    schema_type: str  # AVRO | JSON | PROTOBUF
    file: str  # the schema file, relative to the project root
    schema: str  # its text, registered as it is
    canonical: str  # the schema normalised, so formatting alone is never a change
    source: Source
    compatibility: str | None = None  # None: left as the registry has it
    references: tuple[SubjectReference, ...] = ()
    depth: int = 0  # longest chain of spec subjects it references: registration order


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
    subjects: Mapping[str, LiveSubject]  # the environment's subjects (under its prefix), by name
