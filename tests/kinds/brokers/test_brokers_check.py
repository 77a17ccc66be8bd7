"""`mqctl brokers check` against the real local cluster (3 brokers, racks dc-a/b/c)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mqctl.config import Environment
from mqctl.kafka.admin import KafkaAdmin
from tests.conftest import DEV_BOOTSTRAP, Project

pytestmark = pytest.mark.kafka


def _live(admin: Any, key: str) -> dict[int, str]:
    from confluent_kafka.admin import ConfigResource, ResourceType

    values = {}
    for node in admin.describe_cluster(request_timeout=10).result(timeout=15).nodes:
        (future,) = admin.describe_configs([ConfigResource(ResourceType.BROKER, str(node.id))]).values()
        values[node.id] = future.result(timeout=15)[key].value
    return values


def test_reports_a_key_the_cluster_does_not_match(project: Project, dev_admin: Any) -> None:
    # The local brokers run Kafka's default 100 KB socket buffers; the template wants 1 MB.
    live = _live(dev_admin, "socket.send.buffer.bytes")
    assert set(live.values()) != {"1048576"}
    res = project.run("brokers", "check", "--env", project.env, "--profile", "durable", "-o", "json")
    assert res.exit_code == 2, res.output
    report = json.loads(res.stdout)
    assert report["brokers"] == sorted(live)
    assert "broker.rack" in report["skipped"] and "log.dirs" in report["skipped"]
    by_key = {d["key"]: d for d in report["differences"]}
    diff = by_key["socket.send.buffer.bytes"]
    assert diff["template"] == "1048576"
    assert {b["broker"]: b["value"] for b in diff["brokers"]} == live
    assert all(b["matches"] is False and b["source"] for b in diff["brokers"])
    assert diff["change"] == "restart"  # socket buffers are read-only: server.properties + restart
    # Only keys some broker does not match are listed.
    assert all(any(not b["matches"] for b in d["brokers"]) for d in report["differences"])


def test_text_output_names_the_key_and_each_broker(project: Project, dev_admin: Any) -> None:
    live = _live(dev_admin, "socket.send.buffer.bytes")
    res = project.run("brokers", "check", "--env", project.env)
    assert res.exit_code == 2, res.output
    assert "~ socket.send.buffer.bytes: template 1048576  [restart:" in res.stdout
    ids = ", ".join(str(b) for b in sorted(live))
    assert f"brokers {ids}: {live[min(live)]} (" in res.stdout


def test_unreachable_cluster_is_exit_1(offline_project: Project) -> None:
    res = offline_project.run("brokers", "check", "--env", offline_project.env)
    assert res.exit_code == 1
    assert "cannot reach Kafka environment" in res.stderr


def test_bad_profile_is_exit_1(offline_project: Project) -> None:
    res = offline_project.run("brokers", "check", "--env", offline_project.env, "--profile", "fast")
    assert res.exit_code == 1
    assert "unknown profile 'fast'" in res.stderr


def test_broker_configs_are_read_once_per_run_and_again_after_a_change(dev_admin: Any) -> None:
    """The brokers kind and the ACL kind's authorizer check share one read of each broker."""
    admin = KafkaAdmin(Environment("memo", DEV_BOOTSTRAP))
    first = admin.broker_configs([1, 2, 3])
    sent = admin.requests
    assert first[2]["broker.rack"].value == "dc-b"
    again = admin.broker_configs([2])
    assert admin.requests == sent and again[2] is first[2]
    admin.forget_broker_configs()
    assert admin.broker_configs([2])[2]["broker.rack"].value == "dc-b"
    assert admin.requests == sent + 1
