"""Problems found in user input, each tied to the file, line and key it came from.

Every layer (config, spec loading, validation, plan) reports problems as `Diagnostic`s instead of
raising on the first one, so that a user sees all of them in one run.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import total_ordering

from mqctl.textsafe import visible


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@total_ordering
@dataclass(frozen=True)
class Diagnostic:
    """One problem: where it is (file, line, key) and what is wrong, in one readable paragraph.

    Sorted by `sort_key`, not by dataclass field order: a problem without a line (a whole-file or
    cluster problem) and one with a line must compare, which `None < 3` cannot."""

    file: str
    line: int | None
    key: str
    message: str
    severity: Severity = Severity.ERROR

    def sort_key(self) -> tuple[str, int, str, str, str]:
        """File, then line (0 when there is none: whole-file problems first), key, message, severity."""
        return (str(self.file), self.line if isinstance(self.line, int) else 0, str(self.key), str(self.message),
                str(self.severity))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Diagnostic):
            return NotImplemented
        return self.sort_key() < other.sort_key()

    def __str__(self) -> str:
        """One line for a terminal or log: file, key and message may come from an untrusted spec, so
        control characters and newlines in them are shown as escapes (mqctl.textsafe)."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        key = f" {self.key}:" if self.key else ""
        return visible(f"{where}:{key} {self.message}")

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "key": self.key,
            "message": self.message,
            "severity": str(self.severity),
        }


def error(file: str, line: int | None, key: str, message: str) -> Diagnostic:
    return Diagnostic(file, line, key, message, Severity.ERROR)


def warning(file: str, line: int | None, key: str, message: str) -> Diagnostic:
    return Diagnostic(file, line, key, message, Severity.WARNING)


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`; did you mean 'retention.ms'?` for a mistyped key close to a known one, else "". The word
    comes from a spec: it is cut before comparing (difflib is quadratic in the length)."""
    close = difflib.get_close_matches(word[:100], list(known), n=1, cutoff=0.8)
    return f"; did you mean {close[0]!r}?" if close else ""


def errors_of(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity is Severity.ERROR]


def warnings_of(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity is Severity.WARNING]


class MqctlError(Exception):
    """A failure the user can act on; the CLI prints its message (never a traceback) and exits 1."""

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = list(diagnostics)
