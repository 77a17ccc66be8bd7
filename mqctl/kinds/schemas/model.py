"""The schema kind's spec values: subjects as the specs declare them (the registry's side is live.py)."""

from __future__ import annotations

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

