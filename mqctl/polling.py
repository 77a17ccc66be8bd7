"""Waiting, boundedly, for the brokers to show what an apply changed: they learn it from the
metadata log a moment after the controller answered (on a loaded machine, seconds later)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
POLL_SECONDS = 0.2


def wait_until_shown(
    pending: Sequence[T], still_pending: Callable[[Sequence[T]], Sequence[T]], seconds: float
) -> list[T]:
    """Ask `still_pending` which of `pending` the brokers do not show yet, every POLL_SECONDS,
    until none is left or `seconds` have passed; returns what is still not shown."""
    deadline = time.monotonic() + seconds
    left = list(pending)
    while left:
        left = list(still_pending(left))
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(POLL_SECONDS)
    return left
