"""Splitting work under KRaft's 10,000-records-per-request cap."""

from __future__ import annotations

from mqctl.batching import MAX_RECORDS_PER_REQUEST, chunks
from mqctl.kinds.topics.admin import _create_cost
from mqctl.kinds.topics.changes import TopicCreate


def topic(name: str, partitions: int, configs: int = 0) -> TopicCreate:
    return TopicCreate(name, partitions=partitions, config={f"k{i}": "v" for i in range(configs)})


def test_create_cost_counts_topic_partition_and_config_records() -> None:
    assert _create_cost(topic("a", 4_000, configs=3)) == 1 + 4_000 + 3


def test_a_batch_bigger_than_the_cap_is_split_in_order() -> None:
    creates = [topic(f"t{i}", 4_000) for i in range(3)]  # 12,003 records together
    batches = list(chunks(creates, _create_cost))
    assert [[c.name for c in b] for b in batches] == [["t0", "t1"], ["t2"]]
    assert all(sum(map(_create_cost, b)) <= MAX_RECORDS_PER_REQUEST < 10_000 for b in batches)


def test_many_small_items_fill_each_batch_up_to_the_limit() -> None:
    batches = list(chunks(range(25_000), lambda _: 1))
    assert [len(b) for b in batches] == [9_000, 9_000, 7_000]


def test_an_item_over_the_limit_goes_alone_so_the_broker_says_why() -> None:
    batches = list(chunks([topic("small", 10), topic("huge", 20_000), topic("tail", 10)], _create_cost))
    assert [[c.name for c in b] for b in batches] == [["small"], ["huge"], ["tail"]]


def test_empty_input_sends_nothing() -> None:
    assert list(chunks([], lambda _: 1)) == []
