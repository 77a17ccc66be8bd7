"""Topics as code against the real 3-broker cluster: plan, apply, converge, refuse."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewTopic, ResourceType

from tests.conftest import OpenEdges, Project, eventually, live_configs, partitions

pytestmark = pytest.mark.kafka

SPEC = """\
topics:
  - name: order.created.v1
    partitions: 3
    replication_factor: 3
    retention: 7d
    config:
      min.insync.replicas: 2
      cleanup.policy: delete
  - name: payment.events.v1
    partitions: 2
    replication_factor: 2
"""


def plan_json(project: Project) -> tuple[int, dict[str, Any]]:
    result = project.run("plan", "--env", project.env, "-o", "json")
    return result.exit_code, json.loads(result.stdout)


def test_plan_apply_and_converge(project: Project, dev_admin: AdminClient) -> None:
    project.write("topics/a.yaml", SPEC)
    code, plan = plan_json(project)
    assert code == 2
    assert plan["format_version"] == 1 and plan["environment"] == project.env
    assert [(c["action"], c["name"]) for c in plan["changes"]] == [
        ("create", f"{project.env}.order.created.v1"),
        ("create", f"{project.env}.payment.events.v1"),
    ]
    assert {"field": "config.retention.ms", "before": None, "after": "604800000"} in plan["changes"][0]["diffs"]

    result = project.run("apply", "--env", project.env, "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply complete: 2 done, 0 failed." in result.stdout

    topic = f"{project.env}.order.created.v1"
    parts = partitions(dev_admin, topic)
    assert len(parts) == 3 and all(len(p.replicas) == 3 for p in parts.values())
    configs = live_configs(dev_admin, topic)
    assert configs["retention.ms"].value == "604800000"
    assert configs["min.insync.replicas"].value == "2"
    assert len(partitions(dev_admin, f"{project.env}.payment.events.v1")[0].replicas) == 2

    again = project.run("plan", "--env", project.env)
    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout


def test_update_partitions_and_config_marks_retention_cut(project: Project, dev_admin: AdminClient) -> None:
    project.write("topics/a.yaml", SPEC)
    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
    project.write("topics/a.yaml", SPEC.replace("partitions: 3", "partitions: 6").replace("7d", "1d"))

    text = project.run("plan", "--env", project.env)
    assert text.exit_code == 2
    assert re.search(r"partitions\s+3 → 6", text.stdout)
    assert "retention.ms cut from 7d to 1d: older data is deleted" in text.stdout
    assert "1 destructive" in text.stdout

    _code, plan = plan_json(project)
    (change,) = plan["changes"]
    assert change["action"] == "update" and change["destructive"] is True

    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
    topic = f"{project.env}.order.created.v1"
    assert eventually(lambda: len(partitions(dev_admin, topic)) == 6)
    assert live_configs(dev_admin, topic)["retention.ms"].value == "86400000"
    assert project.run("plan", "--env", project.env).exit_code == 0


def test_partition_decrease_fails_the_plan_and_changes_nothing(project: Project, dev_admin: AdminClient) -> None:
    project.write("topics/a.yaml", SPEC)
    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
    project.write("topics/a.yaml", SPEC.replace("partitions: 3", "partitions: 1").replace("7d", "3d"))
    result = project.run("apply", "--env", project.env, "--auto-approve")
    assert result.exit_code == 1
    assert "partitions cannot decrease (3 -> 1)" in result.stdout
    topic = f"{project.env}.order.created.v1"
    assert len(partitions(dev_admin, topic)) == 3
    assert live_configs(dev_admin, topic)["retention.ms"].value == "604800000"  # nothing applied


def test_drift_is_reported_and_reset_only_on_request(project: Project, dev_admin: AdminClient) -> None:
    project.write("topics/a.yaml", SPEC)
    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
    topic = f"{project.env}.payment.events.v1"
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry

    resource = ConfigResource(
        ResourceType.TOPIC,
        topic,
        incremental_configs=[ConfigEntry("segment.ms", "3600000", incremental_operation=AlterConfigOpType.SET)],
    )
    for future in dev_admin.incremental_alter_configs([resource]).values():
        future.result(timeout=15)
    # Each broker applies the change when its metadata catches up; mqctl may ask any of them.
    drift_warning = "segment.ms=3600000 is set on the cluster but not in the spec"
    assert eventually(lambda: drift_warning in project.run("plan", "--env", project.env).stdout)
    drift = project.run("plan", "--env", project.env)
    assert drift.exit_code == 0

    project.write("topics/a.yaml", SPEC + "    unmanaged_config: reset\n")
    reset = project.run("apply", "--env", project.env, "--auto-approve")
    assert reset.exit_code == 0, reset.output
    assert re.search(r"config.segment.ms\s+1h \(3600000\) → \(unset\)", reset.stdout)
    assert eventually(lambda: live_configs(dev_admin, topic)["segment.ms"].source == ConfigSource.DEFAULT_CONFIG.value)
    assert project.run("plan", "--env", project.env).exit_code == 0


def test_deletion_needs_allow_delete(project: Project, dev_admin: AdminClient) -> None:
    project.write("topics/a.yaml", SPEC)
    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
    project.write("topics/a.yaml", SPEC.split("  - name: payment")[0])
    gone = f"{project.env}.payment.events.v1"

    planned = project.run("plan", "--env", project.env, "--no-color")
    assert planned.exit_code == 2
    assert f"- topic {gone}  ⚠ destructive  (needs --allow-delete)" in planned.stdout
    assert "1 to delete, 1 destructive; 1 needs --allow-delete to be applied." in planned.stdout
    held = project.run("apply", "--env", project.env, "--auto-approve", "--no-color")
    assert held.exit_code == 2, held.output  # planned changes left undone
    assert f"skipped delete of topic {gone} (needs --allow-delete)" in held.stdout
    assert "Apply incomplete: 0 done, 0 failed, 1 skipped." in held.stdout
    assert "run apply again with --allow-delete" in held.stdout
    assert gone in dev_admin.list_topics(timeout=10).topics

    deleted = project.run("apply", "--env", project.env, "--auto-approve", "--allow-delete")
    assert deleted.exit_code == 0, deleted.output
    assert f"deleted topic {gone}" in deleted.stdout
    assert eventually(lambda: gone not in dev_admin.list_topics(timeout=10).topics)
    assert project.run("plan", "--env", project.env).exit_code == 0


def test_empty_spec_folder_never_wipes_the_environment(project: Project, dev_admin: AdminClient) -> None:
    lines = "".join(f"  - {{name: order.t{i}.v1, partitions: 1, replication_factor: 1}}\n" for i in range(11))
    project.write("topics/a.yaml", "topics:\n" + lines)
    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
    project.write("topics/a.yaml", "topics: []\n")
    result = project.run("apply", "--env", project.env, "--auto-approve", "--allow-delete")
    assert result.exit_code == 1
    assert "the plan deletes 11 topics; this environment allows at most 10" in result.stdout
    assert "the plan deletes 11 of the 11 managed topics" in result.stdout
    remaining = [t for t in dev_admin.list_topics(timeout=10).topics if t.startswith(project.env + ".")]
    assert len(remaining) == 11


def test_cluster_only_problems_fail_the_plan(project: Project, dev_admin: AdminClient) -> None:
    taken = f"{project.env}.order_created.v1"
    dev_admin.create_topics([NewTopic(taken, 1, 1)])[taken].result(timeout=30)
    project.write(
        "topics/a.yaml",
        """\
        topics:
          - {name: order.created.v1, partitions: 1, replication_factor: 1}
          - {name: order.big.v1, partitions: 1, replication_factor: 5}
          - {name: order.tiered.v1, partitions: 1, replication_factor: 1, config: {remote.storage.enable: true}}
        """,
    )
    code, plan = plan_json(project)
    assert code == 1
    messages = " | ".join(e["message"] for e in plan["errors"])
    assert f"collides with existing topic {taken}" in messages
    assert "replication factor 5 needs at least that many brokers; the cluster has 4" in messages
    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 1
    assert f"{project.env}.order.created.v1" not in dev_admin.list_topics(timeout=10).topics


def test_brokers_validate_only_catches_what_specs_cannot(project: Project, dev_admin: AdminClient) -> None:
    # Tiered storage is off on the local brokers: only the cluster can know this config is refused.
    project.write(
        "topics/a.yaml",
        """\
        topics:
          - {name: order.tiered.v1, partitions: 1, replication_factor: 1, config: {remote.storage.enable: true}}
        """,
    )
    code, plan = plan_json(project)
    assert code == 1
    (problem,) = plan["errors"]
    assert problem["key"] == f"{project.env}.order.tiered.v1"
    assert "the cluster would refuse this change" in problem["message"]
    assert f"{project.env}.order.tiered.v1" not in dev_admin.list_topics(timeout=10).topics


def test_brokers_validate_only_refuses_a_bad_update_at_plan_time(project: Project, dev_admin: AdminClient) -> None:
    """Updates are dry-run on the brokers too (CreatePartitions and IncrementalAlterConfigs,
    validate-only): a config the brokers refuse fails the plan, and the partition increase of the
    same change, which the brokers would accept, is not carried out either."""
    topic = f"{project.env}.order.tiered.v1"
    project.write("topics/a.yaml", "topics:\n  - {name: order.tiered.v1, partitions: 1, replication_factor: 1}\n")
    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
    project.write(
        "topics/a.yaml",
        "topics:\n  - {name: order.tiered.v1, partitions: 2, replication_factor: 1,"
        " config: {remote.storage.enable: true}}\n",
    )
    code, plan = plan_json(project)
    assert code == 1
    assert [c["action"] for c in plan["changes"]] == ["update"]
    (problem,) = plan["errors"]
    assert problem["key"] == topic
    assert problem["message"].startswith("the cluster would refuse this change: INVALID_CONFIG")
    applied = project.run("apply", "--env", project.env, "--auto-approve")
    assert applied.exit_code == 1 and "the cluster would refuse this change" in applied.stdout
    assert len(partitions(dev_admin, topic)) == 1
    assert live_configs(dev_admin, topic)["remote.storage.enable"].value == "false"


def test_partial_failure_is_reported_and_rerun_converges(
    project: Project, dev_admin: AdminClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("topics/a.yaml", SPEC)
    contested = f"{project.env}.payment.events.v1"

    def someone_else_creates_it(auto_approve: bool) -> bool:
        # Between review and execution another actor creates one of the topics.
        dev_admin.create_topics([NewTopic(contested, 1, 1)])[contested].result(timeout=30)
        return True

    monkeypatch.setattr("mqctl.cli.specs._confirm", someone_else_creates_it)
    first = project.run("apply", "--env", project.env)
    assert first.exit_code == 1
    assert f"✓ created topic {project.env}.order.created.v1" in first.stdout
    assert f"✗ topic {contested} not created: TOPIC_ALREADY_EXISTS" in first.stdout
    assert "not in the metadata this plan was read from" in first.stdout
    assert "Apply incomplete: 1 done, 1 failed." in first.stdout

    monkeypatch.undo()
    second = project.run("apply", "--env", project.env, "--auto-approve")
    assert second.exit_code == 0, second.output
    assert re.search(r"partitions\s+1 → 2", second.stdout)
    assert re.search(r"replication_factor\s+1 → 2", second.stdout)  # moved by reassignment
    assert eventually(lambda: len(partitions(dev_admin, contested)) == 2)
    assert all(len(p.replicas) == 2 for p in partitions(dev_admin, contested).values())


def test_apply_refuses_without_a_terminal_or_approval(project: Project, dev_admin: AdminClient) -> None:
    project.write("topics/a.yaml", SPEC)
    result = project.run("apply", "--env", project.env)
    assert result.exit_code == 1
    assert "pass --auto-approve in CI" in result.stderr
    assert not [t for t in dev_admin.list_topics(timeout=10).topics if t.startswith(project.env + ".")]


def test_bad_specs_fail_before_touching_the_cluster(project: Project, dev_admin: AdminClient) -> None:
    project.write("topics/a.yaml", SPEC)
    project.write("topics/b.yaml", "topics:\n  - {name: Bad, partitions: 1, replication_factor: 1}\n")
    result = project.run("apply", "--env", project.env, "--auto-approve")
    assert result.exit_code == 1
    assert "topics/b.yaml:2: topics[0].name:" in result.stderr and "Traceback" not in result.output
    assert not [t for t in dev_admin.list_topics(timeout=10).topics if t.startswith(project.env + ".")]


def test_plan_cost_in_admin_requests_does_not_grow_with_topics(project: Project, open_edges: OpenEdges) -> None:
    from mqctl.config import load_config
    from mqctl.spec.loader import load_specs
    from mqctl.workflows.plan import plan_environment

    def requests_for(count: int) -> int:
        lines = "".join(f"  - {{name: order.n{i}.v1, partitions: 1, replication_factor: 1}}\n" for i in range(count))
        project.write("topics/a.yaml", "topics:\n" + lines)
        assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
        config = load_config(project.root, project.env)
        desired, _ = load_specs(config)
        result = plan_environment(desired, open_edges(config.environment))
        assert not result.plan.changes
        return result.requests

    # first contact (DescribeCluster), metadata, DescribeConfigs in 6 parts, ListPartitionReassignments
    assert requests_for(6) == requests_for(60) == 9


def test_unreachable_cluster_fails_fast_and_readably(offline_project: Project) -> None:
    offline_project.write("topics/a.yaml", SPEC)
    offline_project.write(
        "mqctl.yaml",
        (offline_project.root / "mqctl.yaml").read_text().replace("timeout_seconds: 15", "timeout_seconds: 3"),
    )
    started = time.monotonic()
    result = offline_project.run("plan", "--env", offline_project.env)
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert "cannot reach Kafka environment" in result.stderr and "Traceback" not in result.output
    assert elapsed < 30  # a bound on a hang, not a speed target
