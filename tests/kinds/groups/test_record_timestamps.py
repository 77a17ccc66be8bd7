"""How time lag reads record batches (mqctl.kinds.groups.admin.batch_timestamps) on batches built by
kafka-python's own MemoryRecordsBuilder: the header answers a batch written within 1 s, any other
batch is decoded up to the offset wanted, LZ4 included (the design's compression)."""

from __future__ import annotations

import struct

from kafka.record import MemoryRecordsBuilder

from mqctl.kinds.groups.admin import batch_timestamps

LZ4 = 3


def batch(offset: int, stamps: list[int], compression: int = 0) -> bytes:
    builder = MemoryRecordsBuilder(magic=2, compression_type=compression, batch_size=1 << 20, offset=offset)
    for stamp in stamps:
        builder.append(stamp, key=b"k", value=b"v" * 50, headers=[])
    builder.close()
    return bytes(builder.buffer())


def test_a_batch_written_within_a_second_answers_from_its_header() -> None:
    data = batch(10, [5_000 + i for i in range(20)])  # 20 records written over 19 ms
    assert batch_timestamps(data, {12, 17}) == [(12, 5_000), (17, 5_000)]  # first timestamp, at most 19 ms early


def test_a_wider_batch_is_decoded_exactly_and_only_as_far_as_needed() -> None:
    stamps = [1_000 * i for i in range(20)]  # one record a second
    assert batch_timestamps(batch(0, stamps), {3}) == [(0, 0), (1, 1_000), (2, 2_000), (3, 3_000)]
    assert batch_timestamps(batch(0, stamps, LZ4), {5})[-1] == (5, 5_000)


def test_batches_before_the_lowest_wanted_offset_are_skipped() -> None:
    data = batch(0, [0, 5_000]) + batch(2, [10_000, 20_000])
    assert batch_timestamps(data, {3}) == [(2, 10_000), (3, 20_000)]
    assert batch_timestamps(data, set()) == [] and batch_timestamps(None, {1}) == []


def based(offset: int, stamps: list[int]) -> bytes:
    """A batch whose base offset is `offset`, as a broker writes it (the builder above always writes
    base offset 0 and shifts the records' offset deltas instead; the CRC does not cover the base)."""
    return struct.pack(">q", offset) + batch(0, stamps)[8:]


def test_many_wanted_offsets_are_answered_per_batch_from_the_headers() -> None:
    data = based(0, [1_000 + i for i in range(5)]) + based(5, [9_000 + i for i in range(5)]) \
        + based(10, [20_000 + i for i in range(5)])
    # several offsets in one batch, a batch holding none of them (its last offset stands for it),
    # and an offset past the fetched records (left for the next round)
    assert batch_timestamps(data, {1, 3, 12, 42}) == [(1, 1_000), (3, 1_000), (9, 9_000), (12, 20_000)]
    assert batch_timestamps(data, {7}) == [(7, 9_000)]
