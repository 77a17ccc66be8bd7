"""A DLQ replay whose offset commit is refused, on the SASL node with the ACL authorizer: the run says
what it re-published and which offsets it could not commit, exits 1, and the next replay (the ACL
granted) re-publishes those messages and commits. A SCRAM user of the test's own is allowed its
environment's topics and DESCRIBE, not READ, on the replay group: it finds the group's
coordinator, reads the DLQ and writes the target, and the broker refuses the commit alone."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)

from tests.conftest import Project, sasl_admin_config, sasl_user_project
from tests.kinds.groups.conftest import TOPICS, committed_of, consumer, groups_spec, poll_until, produce

pytestmark = pytest.mark.sasl

GROUP = "order-processor-group"


def _replay_group_acl(env: str, principal: str, operation: AclOperation) -> AclBinding:
    return AclBinding(ResourceType.GROUP, f"{env}.{GROUP}.replay", ResourcePatternType.LITERAL, principal, "*",
                      operation, AclPermissionType.ALLOW)  # fmt: skip


@pytest.fixture
def replayer(tmp_path: Path, sasl_admin: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A groups project on the SASL node as a fresh user allowed DESCRIBE, not READ, on the replay
    group (sasl_user_project: ALL on the environment's topics), its topics created."""

    def describe(env: str, principal: str) -> list[AclBinding]:
        return [_replay_group_acl(env, principal, AclOperation.DESCRIBE)]

    with sasl_user_project(tmp_path, sasl_admin, monkeypatch, "replay", describe) as project:
        env = project.env
        names = ("order.lifecycle.v1", "order.processor.retry.v1", "order.processor.dlq.v1")
        for future in sasl_admin.create_topics([NewTopic(f"{env}.{n}", 1, 1) for n in names]).values():
            future.result(timeout=15)
        project.write("topics/t.yaml", TOPICS.replace("partitions: 3", "partitions: 1"))
        project.write("groups/g.yaml", groups_spec())
        try:
            yield project
        finally:
            with contextlib.suppress(Exception):  # the group exists only once a commit got through
                for future in sasl_admin.delete_consumer_groups([f"{env}.{GROUP}.replay"], request_timeout=15).values():
                    future.result(timeout=15)


def _values(topic: str) -> list[bytes]:
    """Every value on partition 0 of `topic`, in order, read as admin on the SASL node."""
    reader = consumer(f"check-{uuid.uuid4().hex}", **sasl_admin_config())
    try:
        low, high = reader.get_watermark_offsets(TopicPartition(topic, 0), timeout=15)
        reader.assign([TopicPartition(topic, 0, low)])
        return [message.value() for message in poll_until(reader, high - low, 30)]
    finally:
        reader.close()


def test_a_refused_commit_is_reported_beside_what_was_published_and_the_next_replay_converges(
    replayer: Project, sasl_admin: Any
) -> None:
    project = replayer
    env = project.env
    dlq, main = f"{env}.order.processor.dlq.v1", f"{env}.order.lifecycle.v1"
    now = int(time.time() * 1000)
    produce(dlq, [(0, b"dead-%d" % i, now) for i in range(3)], **sasl_admin_config())
    replay = ("groups", "replay-dlq", "--env", env, GROUP, "--execute")

    refused = project.run(*replay)
    assert refused.exit_code == 1, refused.output
    assert "re-published 3, failed 0; committed nothing" in refused.stdout
    line = next(line for line in refused.stdout.splitlines() if "not committed" in line)
    assert line.startswith("  not committed: partition 0: ") and "uthoriz" in line, line
    assert line.endswith("; the next replay re-publishes its messages")
    assert _values(main) == [b"dead-0", b"dead-1", b"dead-2"]
    assert committed_of(sasl_admin, f"{env}.{GROUP}.replay", dlq, 1) == {0: -1001}  # nothing committed

    (granted,) = sasl_admin.create_acls([_replay_group_acl(env, f"User:replay-{env}", AclOperation.READ)]).values()
    granted.result(timeout=15)
    again = project.run(*replay, "-o", "json")
    assert again.exit_code == 0, again.output
    body = json.loads(again.stdout)
    assert (body["count"], body["published"], body["committed"], body["uncommitted"]) == (3, 3, {"0": 3}, {})
    assert _values(main) == [b"dead-0", b"dead-1", b"dead-2"] * 2  # what the refused run published, again
    assert committed_of(sasl_admin, f"{env}.{GROUP}.replay", dlq, 1) == {0: 3}
    assert json.loads(project.run("groups", "replay-dlq", "--env", env, GROUP, "-o", "json").stdout)["count"] == 0
