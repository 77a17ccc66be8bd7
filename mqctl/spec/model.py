"""What every kind's spec model shares: where an item was declared, and the environment it is built for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mqctl.config import Environment


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
    naming: re.Pattern[str]
