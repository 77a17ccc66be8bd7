"""Why topic reads and writes go through kafka-python: the two clients side by side, in one run.

    .venv/bin/python benchmarks/client_ab.py [--topics 10000] [--creates 3000] [--rounds 3]

1. DescribeConfigs of every topic of a scratch environment (6 requests, 2 in flight, as the
   snapshot sends them), through confluent-kafka and through kafka-python, alternating.
2. CreateTopics of `--creates` new topics in one request: librdkafka's v4 against v7 (KIP-599)
   as mqctl sends it, the request alone on both sides, alternating, each followed by a delete that
   is waited out.

Needs the local cluster (`make cluster-up`); everything is created under a unique prefix and
deleted at the end. Prints Markdown.
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable
from functools import partial

from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType
from kafka.protocol.admin import CreateTopicsRequest, DescribeConfigsRequest
from scale import BOOTSTRAP

from mqctl.config import Environment
from mqctl.edges import Edges
from mqctl.kinds.topics.admin import TopicAdmin
from mqctl.kinds.topics.changes import TopicCreate, TopicDelete

PARTS, IN_FLIGHT = 6, 2


def confluent_describe(admin: AdminClient, names: list[str]) -> int:
    entries, pending = 0, []
    for i in range(PARTS):
        pending.append(admin.describe_configs([ConfigResource(ResourceType.TOPIC, n) for n in names[i::PARTS]]))
        while len(pending) >= IN_FLIGHT or (i == PARTS - 1 and pending):
            for future in pending.pop(0).values():
                entries += len(future.result(timeout=120))
    return entries


def kafka_python_describe(topics: TopicAdmin, names: list[str]) -> int:
    requests = [DescribeConfigsRequest(resources=[(2, n, None) for n in names[i::PARTS]]) for i in range(PARTS)]
    responses = topics.admin.protocol.send_all("describe", requests, IN_FLIGHT)
    return sum(len(result.configs) for response in responses for result in response.results)


def confluent_create(admin: AdminClient, names: list[str]) -> None:
    new = [NewTopic(n, 1, 1) for n in names]
    for future in admin.create_topics(new, operation_timeout=60, request_timeout=120).values():
        future.result(timeout=120)


def protocol_create(topics: TopicAdmin, names: list[str]) -> None:
    """The CreateTopics v7 request alone, as mqctl sends it (no waiting for the brokers after)."""
    request = CreateTopicsRequest(topics=[(n, 1, 1, [], []) for n in names], timeout_ms=60_000)
    topics.admin.protocol.send("create", request)


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def wait_gone(admin: AdminClient, prefix: str) -> None:
    for _ in range(120):
        if not any(t.startswith(prefix) for t in admin.list_topics(timeout=20).topics):
            return
        time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--creates", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = "ab" + uuid.uuid4().hex[:8]
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    topics = TopicAdmin(Edges(Environment(env, BOOTSTRAP, timeout_seconds=120)))
    names = [f"{env}.read.t{i}.v1" for i in range(args.topics)]
    try:
        assert all(v is None for v in topics.create([TopicCreate(n) for n in names]).values())
        time.sleep(20)  # let the brokers finish creating the logs: measure the clients, not the load
        print(f"\n### DescribeConfigs of {args.topics:,} topics (s)\n")
        print("| round | confluent-kafka | kafka-python |\n|---:|---:|---:|")
        for round_ in range(1, args.rounds + 1):
            left = timed(lambda: confluent_describe(admin, names))
            right = timed(lambda: kafka_python_describe(topics, names))
            print(f"| {round_} | {left:.2f} | {right:.2f} |", flush=True)

        print(f"\n### CreateTopics of {args.creates:,} new topics in one request (s)\n")
        print("| round | confluent-kafka (v4) | mqctl through kafka-python (v7) |\n|---:|---:|---:|")
        for round_ in range(1, args.rounds + 1):
            batch = [f"{env}.c{round_}.t{i}.v1" for i in range(args.creates)]
            left = timed(partial(confluent_create, admin, batch))
            topics.delete([TopicDelete(n) for n in batch])
            wait_gone(admin, f"{env}.c{round_}.")
            right = timed(partial(protocol_create, topics, batch))
            topics.delete([TopicDelete(n) for n in batch])
            wait_gone(admin, f"{env}.c{round_}.")
            print(f"| {round_} | {left:.2f} | {right:.2f} |", flush=True)
    finally:
        left_over = [t for t in admin.list_topics(timeout=20).topics if t.startswith(env + ".")]
        topics.delete([TopicDelete(n) for n in left_over])


if __name__ == "__main__":
    main()
