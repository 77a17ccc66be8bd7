"""Problems found in user input, each tied to the file, line and key it came from.

Every layer (config, spec loading, validation, plan) reports problems as `Diagnostic`s instead of
raising on the first one, so that a user sees all of them in one run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem: where it is (file, line, key) and what is wrong, in one readable paragraph."""

    file: str
    line: int | None
    key: str
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"

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
