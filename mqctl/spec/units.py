"""Human units in specs: `7d`, `12h`, `500ms` for durations, `64KiB`, `1GB` for sizes.

Spec values come from pull requests, so every function here takes any value and never raises:
digits are ASCII only (`\\d` also matches `٣` and `²`-like digits that `int()` then refuses or reads
differently), and non-finite numbers are never numbers. `parse_integer`/`parse_finite` and
`duration_ms`/`size_bytes` (with a readable reason) are the strict parsers for config values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

LONG_MAX = 2**63 - 1  # Kafka's long: durations and sizes beyond it are refused by every broker
_DURATION = re.compile(r"^\s*([0-9]+)\s*(ms|s|m|h|d|w)\s*$")
_DURATION_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_SIZE = re.compile(r"^\s*([0-9]+)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$")
_INTEGER = re.compile(r"^\s*[-+]?[0-9]+\s*$")
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


# Rates on the command line (`partitions calc`): a count of messages with an SI suffix (5M = 5,000,000
# msg/s), or a size per second (1MiB, 100MB/s) that a message size turns into messages. An optional
# `/s` is allowed on both. No lower-case `m`: next to `ms` it would read as minutes or milli-.
_COUNT_RATE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*([kKMG]?)\s*(?:/\s*s)?\s*$")
_COUNT_SUFFIX = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9}
_SIZE_RATE = re.compile(r"^\s*([0-9]+)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*(?:/\s*s)?\s*$")


class UnitError(ValueError):
    """A value that is not the number, duration or size it should be; the message says why."""


def parse_duration_ms(text: Any) -> int | None:
    """`7d` -> 604800000; None when `text` is not a duration (or not a string)."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    return int(match.group(1)) * _DURATION_MS[match.group(2)] if match else None


def parse_size_bytes(text: Any) -> int | None:
    """`64KiB` -> 65536; None when `text` is not a size (or not a string)."""
    match = _SIZE.match(text) if isinstance(text, str) else None
    return int(match.group(1)) * _SIZE_BYTES[match.group(2)] if match else None


def parse_rate(text: Any) -> tuple[float, bool] | None:
    """`5M` -> (5000000.0, False): messages per second; `1MiB` or `100MB/s` -> (bytes, True): a byte
    rate; None when `text` is neither (or not a string)."""
    if not isinstance(text, str):
        return None
    sized = _SIZE_RATE.match(text)
    if sized:
        return float(int(sized.group(1)) * _SIZE_BYTES[sized.group(2)]), True
    counted = _COUNT_RATE.match(text)
    if counted:
        return float(counted.group(1)) * _COUNT_SUFFIX[counted.group(2)], False
    return None


def parse_integer(value: Any) -> int | None:
    """An integer written with ASCII digits and at most one sign (`-5`, `+5`, `5`), or an int;
    None for anything else: `--5`, `²`, `1e3`, `5.0`, booleans, floats. `str.isdigit` accepts `²`,
    which `int()` then refuses with a ValueError."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER.match(value):
        return int(value)
    return None


def parse_finite(value: Any) -> float | None:
    """A finite number from an int, float or numeric string; None for NaN, ±inf (`1e999` too),
    booleans and anything that is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _long(value: Any, parse: Callable[[Any], int | None], what: str, examples: str, unit: str) -> int:
    """An integer, or `parse`'s reading of a unit form, within Kafka's long; UnitError otherwise."""
    number = parse_integer(value)
    if number is None:
        number = parse(value)
    if number is None:
        raise UnitError(f"{value!r} is not a {what} (e.g. {examples}, or {unit})")
    if abs(number) > LONG_MAX:
        raise UnitError(f"{value!r} is too large: Kafka {what}s are at most {LONG_MAX:,} {unit}")
    return number


def duration_ms(value: Any) -> int:
    """Milliseconds from an integer or a duration like `7d`; UnitError with a readable reason."""
    return _long(value, parse_duration_ms, "duration", "7d, 12h, 30m, 500ms", "milliseconds")


def size_bytes(value: Any) -> int:
    """Bytes from an integer or a size like `64KiB`; UnitError with a readable reason."""
    return _long(value, parse_size_bytes, "size", "64KiB, 1GiB, 500MB", "bytes")


def format_ms(value: str | int | None) -> str:
    """A readable duration for plan output: 604800000 -> `7d`; -1 -> `infinite`."""
    if value is None:
        return "-"
    try:
        ms = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(float("inf"))
        return str(value)
    if ms < 0:
        return "infinite"
    for unit in ("d", "h", "m", "s"):  # days, not weeks: Kafka users think of 7d, 30d
        size = _DURATION_MS[unit]
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"
