"""Adopting a cluster: export what an environment holds, and the plan from the export is empty."""

from __future__ import annotations

import pytest
import yaml
from confluent_kafka.admin import AdminClient, NewTopic

from tests.conftest import Project
from tests.integration.test_topics import eventually

pytestmark = pytest.mark.kafka


def seed(admin: AdminClient, env: str) -> None:
    """Topics made by hand, the way a cluster looks before mqctl: some with overrides, some without."""
    topics = [
        NewTopic(f"{env}.order.created.v1", 3, 3, config={"retention.ms": "604800000", "min.insync.replicas": "2"}),
        NewTopic(f"{env}.order.status.v1", 2, 2, config={"cleanup.policy": "compact,delete", "segment.ms": "3600000"}),
        NewTopic(f"{env}.payment.events.v1", 1, 1),
        NewTopic(f"{env}.payment.audit.v1", 1, 2, config={"max.message.bytes": "2097152", "retention.ms": "1234"}),
    ]
    for future in admin.create_topics(topics, operation_timeout=30).values():
        future.result(timeout=30)
    names = {t.topic for t in topics}
    assert eventually(lambda: names <= set(admin.list_topics(timeout=10).topics))


def test_export_then_plan_is_empty(project: Project, dev_admin: AdminClient) -> None:
    seed(dev_admin, project.env)
    result = project.run("export", "--env", project.env, "--out", "adopted")
    assert result.exit_code == 0, result.output
    out = project.root / "adopted"
    assert sorted(p.name for p in (out / "topics").iterdir()) == ["order.yaml", "payment.yaml"]
    order = (out / "topics" / "order.yaml").read_text()
    assert order.startswith("# yaml-language-server: $schema=../.mqctl/schemas/topics.schema.json\n")
    assert (out / ".mqctl" / "schemas" / "topics.schema.json").is_file()
    assert (out / "mqctl.yaml").read_text() == (project.root / "mqctl.yaml").read_text()
    created = yaml.safe_load(order)["topics"][0]
    assert created == {
        "name": "order.created.v1",
        "partitions": 3,
        "replication_factor": 3,
        "config": {"min.insync.replicas": 2, "retention.ms": "7d"},  # only overrides, readable
    }
    plain = yaml.safe_load((out / "topics" / "payment.yaml").read_text())["topics"]
    assert {"name": "payment.events.v1", "partitions": 1, "replication_factor": 1} in plain

    adopted = Project(out, project.env)
    assert adopted.run("validate", "--env", project.env).exit_code == 0
    plan = adopted.run("plan", "--env", project.env)
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.stdout


def test_export_selection_and_no_clobbering(project: Project, dev_admin: AdminClient) -> None:
    seed(dev_admin, project.env)
    selection = ("--include", "order.*", "--exclude", "*.status.*")
    result = project.run("export", "--env", project.env, "--out", "adopted", *selection)
    assert result.exit_code == 0, result.output
    assert [p.name for p in (project.root / "adopted" / "topics").iterdir()] == ["order.yaml"]
    assert [t["name"] for t in yaml.safe_load((project.root / "adopted/topics/order.yaml").read_text())["topics"]] == [
        "order.created.v1"
    ]
    assert f"{project.env}.order.status.v1" in result.stdout  # told: a plan would delete what was left out

    again = project.run("export", "--env", project.env, "--out", "adopted")
    assert again.exit_code == 1
    assert "would overwrite topics/order.yaml" in again.stderr
    assert project.run("export", "--env", project.env, "--out", "adopted", "--force").exit_code == 0

