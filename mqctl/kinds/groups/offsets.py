"""Offset arithmetic of `groups reset-offsets` and `groups replay-dlq`. Pure.

A reset target is clamped to what the partition holds, [earliest, end]: an offset below the log
start would be reset by the consumer's auto.offset.reset anyway, and one past the end would skip
messages not yet written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from mqctl.diagnostics import MqctlError


@dataclass(frozen=True)
class Move:
    partition: int
    before: int | None  # the committed offset, None when there is none
    after: int
    clamped: bool = False  # the asked offset lay outside [earliest, end]

    def to_dict(self) -> dict[str, object]:
        return {"partition": self.partition, "before": self.before, "after": self.after, "clamped": self.clamped}


def parse_datetime(text: str) -> int:
    """An ISO-8601 date-time (`2026-05-01T12:00:00Z`, `2026-05-01T14:00+02:00`; without an offset it
    is UTC) as epoch milliseconds."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise MqctlError(
            f"--to-datetime must be an ISO-8601 date-time such as 2026-05-01T12:00:00Z, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def parse_partitions(text: str | None, existing: Sequence[int]) -> list[int]:
    """`0,3` -> [0, 3]; all partitions when None; each must exist."""
    if text is None:
        return sorted(existing)
    try:
        wanted = sorted({int(part) for part in text.split(",") if part.strip() != ""})
    except ValueError:
        raise MqctlError(f"--partitions must be partition numbers like 0,3, got {text!r}") from None
    missing = [p for p in wanted if p not in existing]
    if not wanted or missing:
        raise MqctlError(
            f"--partitions {text!r}: no partition {', '.join(map(str, missing or wanted))} "
            f"(the topic has {len(existing)}: 0..{len(existing) - 1})"
        )
    return wanted


def reset_moves(
    partitions: Sequence[int],
    committed: Mapping[int, int],
    earliest: Mapping[int, int],
    end: Mapping[int, int],
    target: str,
    value: int | None = None,
    by_time: Mapping[int, int] | None = None,
) -> list[Move]:
    """Where each partition's committed offset goes. `by_time`: ListOffsets at the datetime (-1
    when no message is that recent: the end)."""
    moves = []
    for p in partitions:
        low, high, before = earliest[p], end[p], committed.get(p)
        if target == "to_earliest":
            wanted = low
        elif target == "to_latest":
            wanted = high
        elif target == "to_datetime":
            found = (by_time or {}).get(p, -1)
            wanted = high if found < 0 else found
        elif target == "to_offset" and value is not None:
            wanted = value
        elif target == "shift_by" and value is not None:
            if before is None:
                raise MqctlError(f"--shift-by: partition {p} has no committed offset to shift from")
            wanted = before + value
        else:
            raise MqctlError(f"unknown reset target {target!r}")
        after = min(max(wanted, low), high)
        moves.append(Move(p, before, after, after != wanted))
    return moves


def replay_ranges(
    positions: Mapping[int, int], end: Mapping[int, int], limit: int | None
) -> dict[int, tuple[int, int]]:
    """Partition -> [from, to) offsets to replay: from each partition's position to its end, the
    first `limit` offsets over all partitions (in partition order) when a limit is given."""
    ranges = {}
    left = limit
    for p in sorted(positions):
        start, stop = positions[p], end[p]
        if left is not None:
            stop = min(stop, start + left)
        if stop > start:
            ranges[p] = (start, stop)
            if left is not None:
                left -= stop - start
    return ranges


def commit_points(read: Mapping[int, Sequence[int]], failed: set[tuple[int, int]]) -> dict[int, int]:
    """Partition -> the offset to commit after a replay: just past the last message read from it
    whose re-publication, and every earlier one's, was acknowledged; a failed message and all after
    it stay in the DLQ for the next replay."""
    points = {}
    for p, offsets in read.items():
        done = None
        for offset in sorted(offsets):
            if (p, offset) in failed:
                break
            done = offset + 1
        if done is not None:
            points[p] = done
    return points
