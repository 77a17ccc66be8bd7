"""Broker config as code on the real local cluster: a cluster default and a per-broker key,
changed by apply and then converged (an empty plan).

Broker config is cluster-wide, not per environment, and other tests share this cluster at the same
time: these tests only touch harmless keys nothing else depends on (the log cleaner's idle backoff,
a per-IP connection cap far above any test's use), hold a lock file so two runs never interleave,
and delete whatever they set in teardown.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Project, protocol_request

pytestmark = pytest.mark.kafka

DEFAULT_KEY = "log.cleaner.backoff.ms"  # how long an idle cleaner thread sleeps; default 15000
BROKER_KEY = "max.connections.per.ip"  # default 2147483647; the test sets a cap no test gets near
BROKER = 2


def _cluster_default(key: str) -> str | None:
    from kafka.protocol.admin import DescribeConfigsRequest

    (result,) = protocol_request(DescribeConfigsRequest(resources=[(4, "", None)], include_synonyms=False)).results
    return next((c.value for c in result.configs if c.name == key), None)


def _broker_value(admin: Any, broker: int, key: str) -> tuple[str, str]:
    from confluent_kafka.admin import ConfigResource, ConfigSource, ResourceType

    (future,) = admin.describe_configs([ConfigResource(ResourceType.BROKER, str(broker))]).values()
    entry = future.result(timeout=15)[key]
    return entry.value, ConfigSource(entry.source).name


def _restore(admin: Any) -> None:
    """Delete the dynamic values these tests set, on the cluster default and on the broker."""
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType
    from kafka.protocol.admin import IncrementalAlterConfigsRequest

    protocol_request(IncrementalAlterConfigsRequest(resources=[(4, "", [(DEFAULT_KEY, 1, None)])], validate_only=False))
    entry = ConfigEntry(BROKER_KEY, None, incremental_operation=AlterConfigOpType.DELETE)
    resource = ConfigResource(ResourceType.BROKER, str(BROKER), incremental_configs=[entry])
    for future in admin.incremental_alter_configs([resource]).values():
        future.result(timeout=15)


@pytest.fixture
def broker_config(dev_admin: Any) -> Iterator[None]:
    """One broker-config test at a time across processes; the cluster's config restored after."""
    with open(Path(tempfile.gettempdir()) / "mqctl-broker-config-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _restore(dev_admin)
            yield
        finally:
            _restore(dev_admin)


def _spec(project: Project, default: int, per_broker: int | None = None) -> None:
    broker = f"  per_broker:\n    {BROKER}: {{{BROKER_KEY}: {per_broker}}}\n" if per_broker else ""
    project.write(
        "brokers/cluster.yaml",
        f"brokers:\n  environments: [{project.env}]\n  cluster_defaults:\n    {DEFAULT_KEY}: {default}\n{broker}",
    )


def _plan(project: Project) -> tuple[int, dict[str, Any]]:
    res = project.run("plan", "--env", project.env, "-o", "json")
    return res.exit_code, json.loads(res.stdout)


def test_cluster_default_is_applied_then_converges(project: Project, dev_admin: Any, broker_config: None) -> None:
    value = 14000 + os.getpid() % 1000  # a value of this run: a stale one from elsewhere is never mistaken
    _spec(project, value)
    code, plan = _plan(project)
    assert code == 2, plan
    (change,) = plan["changes"]
    assert (change["resource_type"], change["name"], change["action"]) == ("broker-config", "cluster-default", "update")
    assert change["diffs"] == [{"field": f"config.{DEFAULT_KEY}", "before": None, "after": str(value)}]

    res = project.run("apply", "--env", project.env, "--auto-approve")
    assert res.exit_code == 0, res.output
    assert "updated broker-config cluster-default" in res.stdout
    assert "do not report it yet" not in res.output
    # apply waits until every broker reports it: no polling needed here, and a plan is empty at once
    for broker in (1, 2, 3):
        assert _broker_value(dev_admin, broker, DEFAULT_KEY) == (str(value), "DYNAMIC_DEFAULT_BROKER_CONFIG")
    assert _cluster_default(DEFAULT_KEY) == str(value)

    code, plan = _plan(project)
    assert (code, plan["changes"]) == (0, []), plan

    # Out of the spec, the value is drift: warned and left alone.
    project.write("brokers/cluster.yaml", f"brokers:\n  environments: [{project.env}]\n")
    code, plan = _plan(project)
    assert (code, plan["changes"]) == (0, []), plan
    drift = [w for w in plan["warnings"] if w["key"] == f"brokers.cluster_defaults.{DEFAULT_KEY}"]
    assert drift and f"{DEFAULT_KEY}={value} is set on the cluster but not in the specs" in drift[0]["message"]


def test_per_broker_key_is_applied_to_that_broker_only(
    project: Project, dev_admin: Any, broker_config: None
) -> None:
    cap = 1_000_000 + os.getpid() % 1000
    _spec(project, 15000, per_broker=cap)
    code, plan = _plan(project)
    assert code == 2, plan
    names = {c["name"]: c for c in plan["changes"]}
    assert names[f"broker {BROKER}"]["diffs"] == [{"field": f"config.{BROKER_KEY}", "before": None, "after": str(cap)}]

    res = project.run("apply", "--env", project.env, "--auto-approve")
    assert res.exit_code == 0, res.output
    assert "do not report it yet" not in res.output
    assert _broker_value(dev_admin, BROKER, BROKER_KEY) == (str(cap), "DYNAMIC_BROKER_CONFIG")
    assert _broker_value(dev_admin, 1, BROKER_KEY)[1] != "DYNAMIC_BROKER_CONFIG"
    code, plan = _plan(project)
    assert (code, plan["changes"]) == (0, []), plan


def test_unknown_broker_and_static_key_fail_the_plan(project: Project, broker_config: None) -> None:
    project.write(
        "brokers/cluster.yaml",
        f"brokers:\n  environments: [{project.env}]\n  per_broker:\n    99: {{{DEFAULT_KEY}: 15000}}\n",
    )
    res = project.run("plan", "--env", project.env)
    assert res.exit_code == 1, res.output
    assert "broker 99 is not a live broker of this cluster (live: 1, 2, 3, 4)" in res.output
    project.write("brokers/cluster.yaml", "brokers:\n  cluster_defaults: {num.partitions: 3}\n")
    res = project.run("plan", "--env", project.env)
    assert res.exit_code == 1
    assert "brokers/cluster.yaml:2: brokers.cluster_defaults.num.partitions: read-only broker config" in res.output
