"""Reset targets, DLQ replay ranges and commit points: pure offset arithmetic."""

from __future__ import annotations

import pytest

from mqctl.diagnostics import MqctlError
from mqctl.kinds.groups.offsets import (
    Move,
    commit_points,
    parse_datetime,
    parse_partitions,
    replay_ranges,
    reset_moves,
)

EARLIEST = {0: 10, 1: 0}
END = {0: 50, 1: 5}


@pytest.mark.parametrize(("target", "value", "expected"), [
    ("to_earliest", None, [Move(0, 30, 10), Move(1, None, 0)]),
    ("to_latest", None, [Move(0, 30, 50), Move(1, None, 5)]),
    ("to_offset", 3, [Move(0, 30, 10, clamped=True), Move(1, None, 3)]),
    ("to_offset", 99, [Move(0, 30, 50, clamped=True), Move(1, None, 5, clamped=True)]),
])
def test_reset_targets_are_clamped_to_what_the_partition_holds(target: str, value: int | None,
                                                               expected: list[Move]) -> None:
    assert reset_moves([0, 1], {0: 30}, EARLIEST, END, target, value) == expected


def test_datetime_and_shift_targets() -> None:
    assert reset_moves([0, 1], {0: 30}, EARLIEST, END, "to_datetime", by_time={0: 20, 1: -1}) == [
        Move(0, 30, 20), Move(1, None, 5)  # -1: nothing that recent, so the end
    ]
    assert reset_moves([0], {0: 30}, EARLIEST, END, "shift_by", -25) == [Move(0, 30, 10, clamped=True)]
    with pytest.raises(MqctlError, match="partition 1 has no committed offset"):
        reset_moves([1], {}, EARLIEST, END, "shift_by", 1)


def test_datetimes_and_partitions_are_parsed_or_refused_in_one_line() -> None:
    assert parse_datetime("2026-05-01T12:00:00Z") == parse_datetime("2026-05-01T14:00:00+02:00") == 1777636800000
    assert parse_datetime("2026-05-01T12:00:00") == 1777636800000  # no offset: UTC
    with pytest.raises(MqctlError, match="ISO-8601"):
        parse_datetime("01/05/2026 noon")
    assert parse_partitions("2,0,2", [0, 1, 2]) == [0, 2] and parse_partitions(None, [1, 0]) == [0, 1]
    for bad in ("a,b", "5", ""):
        with pytest.raises(MqctlError, match="--partitions"):
            parse_partitions(bad, [0, 1])


def test_replay_ranges_follow_positions_and_spend_the_limit_in_partition_order() -> None:
    positions, end = {0: 3, 1: 0, 2: 7}, {0: 10, 1: 4, 2: 7}
    assert replay_ranges(positions, end, None) == {0: (3, 10), 1: (0, 4)}
    assert replay_ranges(positions, end, 9) == {0: (3, 10), 1: (0, 2)}
    assert replay_ranges(positions, end, 0) == {}


def test_commit_points_stop_before_the_first_message_not_acknowledged() -> None:
    read = {0: [5, 6, 7, 8], 1: [0, 1], 2: [4]}
    assert commit_points(read, failed={(0, 7), (2, 4)}) == {0: 7, 1: 2}
