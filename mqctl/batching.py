"""Split work into requests that stay under KRaft's cap on metadata records per request."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

# KRaft rejects a request that would write more than 10,000 metadata records; keep a margin.
MAX_RECORDS_PER_REQUEST = 9_000


def chunks(
    items: Iterable[T], cost: Callable[[T], int], limit: int = MAX_RECORDS_PER_REQUEST
) -> Iterator[list[T]]:
    """Consecutive groups whose total cost stays within `limit` (an item costlier than the limit
    goes alone: the broker then says why, rather than us hiding it)."""
    batch: list[T] = []
    total = 0
    for item in items:
        weight = cost(item)
        if batch and total + weight > limit:
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += weight
    if batch:
        yield batch
