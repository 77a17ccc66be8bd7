"""Frozen value objects for the desired state. Plain data: no I/O, no Kafka types."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mqctl.config import Environment


@dataclass(frozen=True)
class Source:
    """Where a spec item was declared, for error messages and plan output."""

    file: str
    line: int | None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Sizing:
    """Throughput hints the partition calculator checks a topic's partition count against."""

    target_throughput: float
    partition_throughput: float | None = None
    max_consumers: int = 1


@dataclass(frozen=True)
class TopicSpec:
    name: str  # as written in the spec, without the environment prefix
    full_name: str  # `<env>.<name>`: the real topic name
    partitions: int
    replication_factor: int
    config: Mapping[str, str]  # normalised to the strings Kafka reports
    source: Source
    protected: bool = False
    reset_unmanaged_config: bool = False
    sizing: Sizing | None = None


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
class BrokerConfigSpec:
    """The dynamic configs of one BROKER config resource: the cluster default or one broker."""

    broker: int | None  # None: the cluster-wide default (resource "")
    config: Mapping[str, str]  # normalised to the strings Kafka reports
    source: Source
    key_lines: Mapping[str, int | None] = field(default_factory=dict)  # where each key is declared
    reset_unmanaged_config: bool = False

    @property
    def name(self) -> str:
        return "cluster-default" if self.broker is None else f"broker {self.broker}"


@dataclass(frozen=True, order=True)
class AclBinding:
    """One ACL binding exactly as Kafka stores it (names already carry the environment prefix).
    Specs and the live snapshot both produce these, so the ACL diff is a set difference."""

    principal: str  # `User:alice`
    resource_type: str  # topic | group | cluster | transactional_id
    name: str  # full resource name; `kafka-cluster` for the cluster, `*` for the literal wildcard
    pattern_type: str  # literal | prefixed
    operation: str  # READ, WRITE, ... (Kafka's AclOperation names)
    permission: str = "allow"  # allow | deny
    host: str = "*"

    def __str__(self) -> str:
        pattern = " (prefixed)" if self.pattern_type == "prefixed" else ""
        host = "" if self.host == "*" else f" from {self.host}"
        return (
            f"{self.permission} {self.principal} {self.operation} on "
            f"{self.resource_type}:{self.name}{pattern}{host}"
        )


@dataclass(frozen=True)
class AclSpec:
    """A binding the specs ask for and where it was declared (a role entry declares several)."""

    binding: AclBinding
    source: Source


@dataclass(frozen=True)
class UserSpec:
    """A SCRAM user. The password is only the name of the environment variable holding it:
    it is read at plan/apply time, never while validating and never written anywhere."""

    name: str
    password_var: str
    mechanisms: tuple[str, ...]  # SCRAM-SHA-256 and/or SCRAM-SHA-512
    iterations: int
    source: Source
    rotate: bool = False  # re-set the password even though the credential looks current


@dataclass(frozen=True)
class SpecContext:
    """What spec parsing needs to know about the environment it builds for."""

    root: Path
    env: Environment
    naming: re.Pattern[str]


@dataclass(frozen=True)
class DesiredState:
    """Everything the spec files of one environment ask for."""

    env: str
    folders: frozenset[str] = frozenset()  # spec folders present: the kinds under management
    topics: tuple[TopicSpec, ...] = ()
    acls: tuple[AclSpec, ...] = ()
    users: tuple[UserSpec, ...] = ()
    brokers: tuple[BrokerConfigSpec, ...] = ()  # empty: broker config not declared for this env
    subjects: tuple[SubjectSpec, ...] = ()

    def resource_count(self) -> int:
        """How many resources the specs declare, over every kind."""
        return sum(len(v) for v in vars(self).values() if isinstance(v, tuple))
