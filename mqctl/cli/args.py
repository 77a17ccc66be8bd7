"""Numbers from the command line, parsed here so nonsense exits 1 with one line, not typer's usage exit 2."""

from __future__ import annotations

import math

from mqctl.diagnostics import MqctlError
from mqctl.spec.units import parse_rate, parse_size_bytes
from mqctl.textsafe import visible


def _shown(text: str) -> str:
    return visible(repr(text)) if len(text) <= 40 else visible(repr(text[:30])) + f"… ({len(text):,} characters)"


def number(flag: str, text: str) -> float:
    """A finite number > 0 (1e6 and 5_000_000 style are accepted)."""
    shown = _shown(text)
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


def integer(flag: str, text: str) -> int:
    """A whole number of either sign (an offset, a shift: -10), 1_000 style accepted."""
    try:
        return int(text.replace("_", ""))
    except ValueError:
        raise MqctlError(f"{flag} must be a whole number, got {_shown(text)}") from None


def optional_whole(flag: str, text: str | None) -> int | None:
    return None if text is None else whole(flag, text)


def choice(flag: str, text: str, allowed: tuple[str, ...]) -> str:
    if text not in allowed:
        raise MqctlError(f"{flag} must be one of {', '.join(allowed)}, got {visible(repr(text[:60]))}")
    return text


def rate(flag: str, text: str, message_size: int | None) -> float:
    """Messages per second, written as a number (5000000, 5e6), with an SI suffix (5M, 200k, /s
    allowed), or as a byte rate like the sizes in specs (1MiB, 100MB/s), which `message_size`
    turns into messages."""
    parsed = parse_rate(text)
    if parsed is None:
        return number(flag, text)
    value, in_bytes = parsed
    if value <= 0:
        raise MqctlError(f"{flag} must be greater than 0, got {_shown(text)}")
    if not in_bytes:
        return value
    if message_size is None:
        raise MqctlError(
            f"{flag} {_shown(text)} is a byte rate: give --message-size too, so it can be turned into "
            "messages per second (or give messages per second: 5000, 5k, 5M)"
        )
    return value / message_size


def size(flag: str, text: str | None) -> int | None:
    """A size in bytes: a whole number or a size like the specs' (1KiB, 64KB); None when not given."""
    if text is None:
        return None
    sized = parse_size_bytes(text)
    if sized is not None:
        if sized < 1:
            raise MqctlError(f"{flag} must be at least 1 byte, got {_shown(text)}")
        return sized
    try:
        return whole(flag, text)
    except MqctlError:
        raise MqctlError(f"{flag} must be a size in bytes (1024, 1KiB, 64KB), got {_shown(text)}") from None
