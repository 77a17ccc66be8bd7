"""What a plan costs on the wire, counted by a proxy between mqctl and the SASL node (tests/conftest.py
KafkaProxy): every request of both client libraries, their connection set-up included, not only the
calls mqctl makes through its own wrapper (KafkaAdmin.requests)."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from typing import Any

import pytest
from confluent_kafka.admin import NewTopic

from tests.conftest import MQCTL, KafkaProxy, Project, config_text, eventually, sasl_security

pytestmark = pytest.mark.sasl


def declare(project: Project, count: int, admin: Any) -> None:
    """`count` topics in the specs and on the cluster (created out of band, not through the proxy)."""
    names = [f"order.n{i:04}.v1" for i in range(count)]
    project.write("topics/a.yaml", "topics:\n" + "".join(
        f"  - {{name: {name}, partitions: 1, replication_factor: 1}}\n" for name in names
    ))  # fmt: skip
    existing = set(admin.list_topics(timeout=30).topics)
    missing = [NewTopic(f"{project.env}.{name}", 1, 1) for name in names if f"{project.env}.{name}" not in existing]
    for start in range(0, len(missing), 500):
        for future in admin.create_topics(missing[start : start + 500], operation_timeout=60).values():
            future.result(timeout=120)
    wanted = {f"{project.env}.{name}" for name in names}
    assert eventually(lambda: wanted <= set(admin.list_topics(timeout=30).topics), 60)  # the broker caught up


def plan_on_the_wire(project: Project, proxy: KafkaProxy) -> Counter[str]:
    """Requests by API (Metadata also by what it asks for) of one `mqctl plan` process that finds
    nothing to change."""
    proxy.reset()
    plan = subprocess.run(
        [str(MQCTL), "plan", "--env", project.env], cwd=project.root, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert plan.returncode == 0, plan.stdout + plan.stderr  # no changes: the plan only read the cluster
    return Counter(request.kind for request in proxy.log)


# librdkafka asks for the broker list (a Metadata request naming no topic) when it connects, and again
# for DescribeCluster, unless the two coincide: 4 or 5 such requests per run, whatever the topics
BROKERS_ONLY = "Metadata (brokers only)"


def test_a_plan_sends_the_same_requests_for_10_and_1000_topics(
    secure_project: Project, sasl_proxy: KafkaProxy, sasl_admin: Any
) -> None:
    project = secure_project
    (project.root / "mqctl.yaml").write_text(
        config_text(project.env, sasl_proxy.bootstrap, sasl_security(),
                    "    overrides:\n      max_replication_factor: 1\n")
    )  # fmt: skip
    declare(project, 10, sasl_admin)
    few = plan_on_the_wire(project, sasl_proxy)
    declare(project, 1000, sasl_admin)
    many = plan_on_the_wire(project, sasl_proxy)
    print(f"\nrequests on the wire, 10 topics:   {dict(sorted(few.items()))} = {few.total()}")
    print(f"requests on the wire, 1000 topics: {dict(sorted(many.items()))} = {many.total()}")
    assert {k: n for k, n in many.items() if k != BROKERS_ONLY} == {k: n for k, n in few.items() if k != BROKERS_ONLY}
    assert 4 <= few[BROKERS_ONLY] <= 5 and 4 <= many[BROKERS_ONLY] <= 5
    # what mqctl asks for (docs: at most 9): the topics' metadata, their configs in 6 parts, the moves;
    # the first contact (DescribeCluster) is one of librdkafka's brokers-only Metadata requests
    assert few["Metadata (all topics)"] == 1 and few["DescribeConfigs"] == 6 and few["ListPartitionReassignments"] == 1
    # and what the two libraries add on each of their 4 connections: versions and the SCRAM log-in
    assert few["ApiVersions"] == few["SaslHandshake"] == 4 and few["SaslAuthenticate"] == 8
    assert set(few) == {
        BROKERS_ONLY,
        "Metadata (all topics)",
        "DescribeConfigs",
        "ListPartitionReassignments",
        "ApiVersions",
        "SaslHandshake",
        "SaslAuthenticate",
    }
