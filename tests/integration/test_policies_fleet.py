"""Policies, per-environment values, --target and --all-envs against the real local cluster."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.conftest import Project, eventually, live_configs

pytestmark = pytest.mark.kafka

DAY_MS = 86_400_000


def topics_of(admin: Any, prefix: str) -> set[str]:
    return {t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix)}


def retention(admin: Any, topic: str) -> int:
    return int(live_configs(admin, topic)["retention.ms"].value)


def payment_spec(dev: str) -> str:
    """One topic: 6 partitions and 30 days, but 2 partitions and 1 day in environment `dev`."""
    return (
        "topics:\n  - name: payment.events.v1\n    partitions: 6\n    replication_factor: 3\n    retention: 30d\n"
        f"    env:\n      {dev}: {{partitions: 2, retention: 1d}}\n"
    )


def test_a_policy_blocks_apply_and_nothing_is_changed(project: Project, dev_admin: Any) -> None:
    project.write("topics/order.yaml", """\
        topics:
          - name: order.created.v1
            partitions: 1
            replication_factor: 3
            retention: 7d
          - name: order.audit.v1
            partitions: 3
            replication_factor: 3
        """)
    project.write("policies/rules.yaml", """\
        policies:
          - name: min-partitions
            kind: topics
            rule: {min_partitions: 3}
            message: order topics need 3 partitions for their consumers
        """)
    res = project.run("apply", "--env", project.env, "--auto-approve")
    assert res.exit_code == 1, res.output
    assert "topics/order.yaml:2: partitions: policy min-partitions (policies/rules.yaml:2): topics " \
           "order.created.v1: order topics need 3 partitions for their consumers (1 partitions; at least 3 " \
           "required)" in res.output
    assert topics_of(dev_admin, project.env + ".") == set()
    assert project.run("validate").exit_code == 1


def test_a_forbidden_change_class_blocks_apply_until_allowed(project: Project, dev_admin: Any) -> None:
    spec = """\
        topics:
          - name: order.created.v1
            partitions: 3
            replication_factor: 3
            retention: {retention}
        """
    topic = f"{project.env}.order.created.v1"
    project.write("topics/order.yaml", spec.replace("{retention}", "7d"))
    project.write("policies/prod.yaml", f"""\
        policies:
          - name: deliberate-changes
            kind: topics
            environments: [{project.env}]
            rule: {{forbid_changes: [retention-cut, delete]}}
        """)
    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
    project.write("topics/order.yaml", spec.replace("{retention}", "1d"))
    res = project.run("apply", "--env", project.env, "--auto-approve")
    assert res.exit_code == 1, res.output
    assert "retention-cut is forbidden" in res.output and "pass --allow retention-cut" in res.output
    assert retention(dev_admin, topic) == 7 * DAY_MS
    plan = project.run("plan", "--env", project.env, "--allow", "retention-cut", "-o", "json")
    assert plan.exit_code == 2, plan.output
    res = project.run("apply", "--env", project.env, "--auto-approve", "--allow", "retention-cut")
    assert res.exit_code == 0, res.output
    assert retention(dev_admin, topic) == DAY_MS


def test_two_environments_get_different_retention_from_one_spec(fleet_project: Project, dev_admin: Any) -> None:
    dev, prod = fleet_project.env, fleet_project.other_envs[0]
    fleet_project.write("topics/payment.yaml", "labels: {owner: payment-team}\n" + payment_spec(dev))
    plan = fleet_project.run("plan", "--env", dev, "-o", "json")
    assert plan.exit_code == 2, plan.output
    (change,) = json.loads(plan.stdout)["changes"]
    assert change["labels"] == {"owner": "payment-team"}
    assert {d["field"]: d["after"] for d in change["diffs"]}["config.retention.ms"] == str(DAY_MS)
    for env in (dev, prod):
        res = fleet_project.run("apply", "--env", env, "--auto-approve")
        assert res.exit_code == 0, res.output
    assert retention(dev_admin, f"{dev}.payment.events.v1") == DAY_MS
    assert retention(dev_admin, f"{prod}.payment.events.v1") == 30 * DAY_MS
    parts = {env: len(dev_admin.list_topics(timeout=10).topics[f"{env}.payment.events.v1"].partitions)
             for env in (dev, prod)}
    assert parts == {dev: 2, prod: 6}
    for env in (dev, prod):
        assert fleet_project.run("plan", "--env", env).exit_code == 0


def test_target_applies_one_topic_of_a_plan_with_several_changes(project: Project, dev_admin: Any) -> None:
    project.write("topics/order.yaml", """\
        defaults: {replication_factor: 3}
        topics:
          - {name: order.created.v1, partitions: 3}
          - {name: order.paid.v1, partitions: 3}
          - {name: order.shipped.v1, partitions: 3}
        """)
    prefix = project.env + "."
    assert project.run("apply", "--env", project.env, "--auto-approve", "--target", "topics:order.created.v1",
                       ).exit_code == 0
    assert topics_of(dev_admin, prefix) == {prefix + "order.created.v1"}
    project.write("topics/order.yaml", """\
        defaults: {replication_factor: 3}
        topics:
          - {name: order.created.v1, partitions: 6}
          - {name: order.shipped.v1, partitions: 3}
        """)
    res = project.run("apply", "--env", project.env, "--auto-approve", "--target", "topics:order.s*")
    assert res.exit_code == 0, res.output
    assert topics_of(dev_admin, prefix) == {prefix + "order.created.v1", prefix + "order.shipped.v1"}
    assert len(dev_admin.list_topics(timeout=10).topics[prefix + "order.created.v1"].partitions) == 3
    plan = json.loads(project.run("plan", "--env", project.env, "-o", "json").stdout)
    assert [(c["action"], c["name"]) for c in plan["changes"]] == [("update", prefix + "order.created.v1")]


def test_target_limits_a_saved_plan_too(project: Project, dev_admin: Any) -> None:
    project.write("topics/order.yaml", """\
        defaults: {replication_factor: 3}
        topics:
          - {name: order.created.v1, partitions: 3}
          - {name: order.paid.v1, partitions: 3}
        """)
    saved = project.root / "plan.json"
    res = project.run("plan", "--env", project.env, "--target", "topics:order.paid.v1", "--out", str(saved))
    assert res.exit_code == 2, res.output
    res = project.run("apply", "--env", project.env, str(saved))
    assert res.exit_code == 0, res.output
    assert topics_of(dev_admin, project.env + ".") == {f"{project.env}.order.paid.v1"}


def test_all_envs_with_one_environment_unreachable(fleet_project: Project, dev_admin: Any) -> None:
    reachable = fleet_project.env
    (fleet_project.root / "mqctl.yaml").write_text(
        (fleet_project.root / "mqctl.yaml").read_text()
        + "  down:\n    bootstrap_servers: 127.0.0.1:1\n    timeout_seconds: 3\n"
    )
    fleet_project.write("topics/order.yaml", """\
        topics:
          - {name: order.created.v1, partitions: 3, replication_factor: 3}
        """)
    started = time.monotonic()
    res = fleet_project.run("plan", "--all-envs", "-o", "json")
    took = time.monotonic() - started
    assert res.exit_code == 1, res.output
    document = json.loads(res.stdout)
    codes = {e["environment"]: e["exit_code"] for e in document["environments"]}
    assert codes == {"down": 1, reachable: 2, fleet_project.other_envs[0]: 2}
    down = next(e for e in document["environments"] if e["environment"] == "down")
    assert down["plan"]["errors"] and "127.0.0.1:1" in json.dumps(down["plan"]["errors"])
    assert took < 3 * 6, took  # bounded by the unreachable environment's timeout, not a hang

    res = fleet_project.run("plan", "--all-envs")
    assert res.exit_code == 1
    assert f"{reachable}: Plan: 1 to create, 0 to update, 0 to delete. (exit 2)" in res.stdout
    assert "down: Plan failed" in res.stdout

    res = fleet_project.run("apply", "--all-envs", "--auto-approve")
    assert res.exit_code == 1, res.output
    for env in (reachable, fleet_project.other_envs[0]):
        assert eventually(lambda env=env: f"{env}.order.created.v1" in topics_of(dev_admin, env + "."))
        assert f"{env}: applied (exit 0)" in res.stdout
    assert "down: failed (exit 1)" in res.stdout


def test_export_writes_one_environments_values_plainly_with_a_note(fleet_project: Project, dev_admin: Any) -> None:
    dev = fleet_project.env
    fleet_project.write("topics/payment.yaml", payment_spec(dev))
    assert fleet_project.run("apply", "--env", dev, "--auto-approve").exit_code == 0
    out = fleet_project.root / "adopted"
    res = fleet_project.run("export", "--env", dev, "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "topics/payment.yaml set per-environment values (env:)" in res.stdout
    exported = (out / "topics" / "payment.yaml").read_text()
    assert "partitions: 2" in exported and "retention.ms: 1d" in exported and "env:" not in exported
