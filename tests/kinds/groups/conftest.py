"""Fixtures of the groups kind's integration tests: a project whose groups (and group configs) are
removed after the test, the specs they share, and helpers producing and consuming real messages and
reading committed offsets."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import DEV_BOOTSTRAP, Project, protocol_request

QUIET = logging.getLogger("tests.groups.librdkafka")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False
GROUP_RESOURCE = 32


TOPICS = """\
defaults: {replication_factor: 1}
topics:
  - {name: order.lifecycle.v1, partitions: 3}
  - {name: order.processor.retry.v1, partitions: 1}
  - {name: order.processor.dlq.v1, partitions: 1}
"""


def groups_spec(config: str = "", extra: str = "") -> str:
    return f"""\
groups:
  - name: order-processor-group
    topics: [order.lifecycle.v1]
    retry_topic: order.processor.retry.v1
    dlq_topic: order.processor.dlq.v1
{config}    alerts: {{max_lag: 5, max_time_lag: 60s, min_members: 1}}
{extra}"""


def committed_of(admin: Any, group: str, topic: str, partitions: int) -> dict[int, int]:
    """The offsets `group` has committed on partitions 0..partitions-1 of `topic` (-1001: none)."""
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in range(partitions)])
    (future,) = admin.list_consumer_group_offsets([request], request_timeout=15).values()
    return {tp.partition: tp.offset for tp in future.result(timeout=20).topic_partitions}


def _clean_groups(admin: Any, prefix: str) -> None:
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType
    from kafka.protocol.admin import DescribeConfigsRequest, ListConfigResourcesRequest

    for _ in range(3):  # a coordinator still loading refuses some deletions: try again
        listed = admin.list_consumer_groups(request_timeout=15).result(timeout=20)
        ids = [g.group_id for g in listed.valid if g.group_id.startswith(prefix)]
        if not ids:
            break
        for future in admin.delete_consumer_groups(ids, request_timeout=15).values():
            with contextlib.suppress(Exception):
                future.result(timeout=20)
    names = [r.resource_name for r in protocol_request(ListConfigResourcesRequest(resource_types=[GROUP_RESOURCE]))
             .config_resources if r.resource_name.startswith(prefix)]
    if not names:
        return
    described = protocol_request(DescribeConfigsRequest(resources=[(GROUP_RESOURCE, n, None) for n in names]))
    resources = [
        ConfigResource(ResourceType.GROUP, result.resource_name, incremental_configs=[
            ConfigEntry(c.name, None, incremental_operation=AlterConfigOpType.DELETE)
            for c in result.configs if c.config_source == 8
        ])
        for result in described.results
    ]
    for future in admin.incremental_alter_configs(resources, request_timeout=15).values():
        with contextlib.suppress(Exception):
            future.result(timeout=20)


@pytest.fixture
def groups_project(project: Project, dev_admin: Any) -> Iterator[Project]:
    yield project
    _clean_groups(dev_admin, project.env + ".")


def produce(topic: str, records: list[tuple[int, bytes, int]], **extra: Any) -> None:
    """(partition, value, timestamp ms) records, written in order; waits for every delivery."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": DEV_BOOTSTRAP, "logger": QUIET, "linger.ms": 0, **extra})
    failures: list[str] = []
    for partition, value, stamp in records:
        producer.produce(topic, value=value, key=value, partition=partition, timestamp=stamp,
                         headers=[("origin", b"test")],
                         on_delivery=lambda err, _msg: failures.append(str(err)) if err else None)
    assert producer.flush(30) == 0 and failures == []


def consumer(group_id: str, protocol: str = "classic", **extra: Any) -> Any:
    from confluent_kafka import Consumer

    return Consumer({
        "bootstrap.servers": DEV_BOOTSTRAP, "group.id": group_id, "group.protocol": protocol,
        "enable.auto.commit": False, "auto.offset.reset": "earliest", "logger": QUIET, **extra,
    })


def poll_until(client: Any, count: int, seconds: float = 60) -> list[Any]:
    """Poll `client` until it has `count` messages (or the time is up)."""
    got: list[Any] = []
    deadline = time.monotonic() + seconds
    while len(got) < count and time.monotonic() < deadline:
        message = client.poll(0.5)
        if message is not None and not message.error():
            got.append(message)
    return got
