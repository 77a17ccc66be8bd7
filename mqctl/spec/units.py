"""Human units in specs: `7d`, `12h`, `500ms` for durations, `64KiB`, `1GB` for sizes."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|m|h|d|w)\s*$")
_DURATION_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$")
_SIZE_BYTES = {
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KiB": 2**10,
    "MiB": 2**20,
    "GiB": 2**30,
    "TiB": 2**40,
}


def parse_duration_ms(text: str) -> int | None:
    """`7d` -> 604800000; None when `text` is not a duration."""
    match = _DURATION.match(text)
    return int(match.group(1)) * _DURATION_MS[match.group(2)] if match else None


def parse_size_bytes(text: str) -> int | None:
    """`64KiB` -> 65536; None when `text` is not a size."""
    match = _SIZE.match(text)
    return int(match.group(1)) * _SIZE_BYTES[match.group(2)] if match else None


def format_ms(value: str | int | None) -> str:
    """A readable duration for plan output: 604800000 -> `7d`; -1 -> `infinite`."""
    if value is None:
        return "-"
    try:
        ms = int(value)
    except (TypeError, ValueError):
        return str(value)
    if ms < 0:
        return "infinite"
    for unit in ("d", "h", "m", "s"):  # days, not weeks: Kafka users think of 7d, 30d
        size = _DURATION_MS[unit]
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"
