"""Waiting, boundedly, for the brokers to show what an apply changed: they learn it from the
metadata log a moment after the controller answered (on a loaded machine, seconds later)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from mqctl.diagnostics import MqctlError

if TYPE_CHECKING:
    from mqctl.kafka.admin import KafkaAdmin
    from mqctl.plan import Change

T = TypeVar("T")
C = TypeVar("C", bound="Change")
S = TypeVar("S")
POLL_SECONDS = 0.2
SHOWN_SECONDS = 10.0  # how long apply waits for every broker to show what it changed


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


def await_every_broker(
    admin: KafkaAdmin,
    changes: Sequence[C],
    read: Callable[[int], S],
    shows: Callable[[C, S], bool],
    seconds: float = SHOWN_SECONDS,
) -> None:
    """Wait until every broker's view (`read(broker)`) `shows` each change, so that a plan right
    after the apply is empty whichever broker it asks; tell (admin.notify) of any change still not
    shown after `seconds`. A broker that does not answer is left out."""
    if not changes:
        return
    brokers = [b.id for b in admin.brokers()]

    def not_shown(pending: Sequence[C]) -> list[C]:
        views = []
        for broker in list(brokers):
            try:
                views.append(read(broker))
            except MqctlError:
                brokers.remove(broker)
        return [c for c in pending if views and not all(shows(c, view) for view in views)]

    for change in wait_until_shown(changes, not_shown, seconds):
        admin.notify(
            f"{change.resource_type} {change.name}: changed, but the brokers do not show it yet after "
            f"{seconds:g}s; the next plan may still show it"
        )
