"""Frozen value objects for the desired state. Plain data: no I/O, no Kafka types."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
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

    def resource_count(self) -> int:
        """How many resources the specs declare, over every kind."""
        return sum(len(v) for v in vars(self).values() if isinstance(v, tuple))
