"""How a field value reads in a plan: durations for `.ms` keys, sizes for `.bytes` keys."""

from __future__ import annotations

from typing import Any

from mqctl.spec.units import format_ms

_SIZES = (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10))


def format_bytes(value: Any) -> str:
    try:
        n = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(float("inf"))
        return str(value)
    for unit, size in _SIZES:
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return str(n)


def show(field: str, value: Any) -> str:
    """`config.retention.ms`, 604800000 -> `7d (604800000)`; None -> `(unset)`."""
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    text = str(value)
    if field.endswith(".ms"):
        readable = format_ms(text)
        return text if readable in (text, f"{text}ms") else f"{readable} ({text})"
    if field.endswith(".bytes"):
        readable = format_bytes(text)
        return text if readable == text else f"{readable} ({text})"
    return text
