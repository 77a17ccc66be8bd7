"""Numbers from the command line, parsed here so nonsense exits 1 with one line, not typer's usage exit 2."""

from __future__ import annotations

import math

from mqctl.diagnostics import MqctlError
from mqctl.textsafe import visible


def number(flag: str, text: str) -> float:
    """A finite number > 0 (1e6 and 5_000_000 style are accepted)."""
    shown = visible(repr(text)) if len(text) <= 40 else visible(repr(text[:30])) + f"… ({len(text):,} characters)"
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise MqctlError(f"{flag} must be a number, got {shown}") from None
    if not math.isfinite(value):
        raise MqctlError(f"{flag} must be a finite number, got {shown}")
    if value <= 0:
        raise MqctlError(f"{flag} must be greater than 0, got {shown}")
    return value


def whole(flag: str, text: str) -> int:
    """A whole number ≥ 1; 2.0 is accepted, 2.5 is not."""
    value = number(flag, text)
    if not value.is_integer():
        raise MqctlError(f"{flag} must be a whole number, got {visible(repr(text[:40]))}")
    return int(value)


def optional_whole(flag: str, text: str | None) -> int | None:
    return None if text is None else whole(flag, text)


def choice(flag: str, text: str, allowed: tuple[str, ...]) -> str:
    if text not in allowed:
        raise MqctlError(f"{flag} must be one of {', '.join(allowed)}, got {visible(repr(text[:60]))}")
    return text
