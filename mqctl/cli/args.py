"""Numbers from the command line, parsed here so nonsense exits 1 with one line, not typer's usage exit 2."""

from __future__ import annotations

import math

from mqctl.diagnostics import MqctlError


def number(flag: str, text: str) -> float:
    """A finite number > 0 (1e6 and 5_000_000 style are accepted)."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise MqctlError(f"{flag} must be a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise MqctlError(f"{flag} must be greater than 0, got {text!r}")
    return value


def whole(flag: str, text: str) -> int:
    """A whole number ≥ 1; 2.0 is accepted, 2.5 is not."""
    value = number(flag, text)
    if not value.is_integer():
        raise MqctlError(f"{flag} must be a whole number, got {text!r}")
    return int(value)


def optional_whole(flag: str, text: str | None) -> int | None:
    return None if text is None else whole(flag, text)


def choice(flag: str, text: str, allowed: tuple[str, ...]) -> str:
    if text not in allowed:
        raise MqctlError(f"{flag} must be one of {', '.join(allowed)}, got {text!r}")
    return text
