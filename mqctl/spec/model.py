"""What every kind's spec model shares: where an item was declared, and the environment it is built for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mqctl.config import Limits, unknown_environments

if TYPE_CHECKING:
    from mqctl.config import Environment
    from mqctl.naming import NamingRule


@dataclass(frozen=True)
class Source:
    """Where a spec item was declared, for error messages and plan output."""

    file: str
    line: int | None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclass(frozen=True)
class SpecContext:
    """What spec parsing needs to know about the environment it builds for."""

    root: Path
    env: Environment
    naming: NamingRule  # compiled with RE2: matching a name from a pull request is linear in its length
    environments: tuple[str, ...] = ()  # every environment of mqctl.yaml; empty: names are not checked
    limits: Limits = field(default_factory=Limits)

    def unknown_environments(self, names: Iterable[object]) -> list[str]:
        """Each name that is not an environment of mqctl.yaml, as a readable problem with a
        suggestion; nothing when the context was built without the list (a config made in code)."""
        return unknown_environments(names, self.environments) if self.environments else []
