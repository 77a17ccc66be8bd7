"""Cluster health and its repairs on the real cluster, whose fourth broker (4, broker only) shares
rack dc-a with broker 1: a broker stopped and started again, a topic on one rack spread by apply,
a broker drained of this test's replicas and given them back.

The cluster is shared: every assertion looks at this test's own topics (`--topics '<env>.*'`), and
only broker 4 is ever stopped, and always started again. The stop/start goes through the project's
scripts/local-cluster.sh (MQCTL_CLUSTER_SCRIPT names another copy of it, MQCTL_CLUSTER_DIR its state).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaAdminClient, TopicPartition

from mqctl.kinds.topics.reassign import TOPIC_REPLICAS
from tests.conftest import (
    DEV_BOOTSTRAP,
    REPO_ROOT,
    Project,
    eventually,
    live_configs,
    partitions,
    preferred_leaders_elected,
    protocol_request,
)

pytestmark = pytest.mark.kafka

RACKS = {1: "dc-a", 2: "dc-b", 3: "dc-c", 4: "dc-a"}
PARTITION_CHECKS = ("offline_partitions", "under_replicated_partitions", "under_min_isr_partitions",
                    "rack_spread", "preferred_leaders", "leader_balance")  # fmt: skip
SCRIPT = os.environ.get("MQCTL_CLUSTER_SCRIPT", str(REPO_ROOT / "scripts" / "local-cluster.sh"))


def create(admin: AdminClient, name: str, assignment: list[list[int]], **config: str) -> None:
    """A topic with its replicas exactly where the test wants them (mqctl never places that badly)."""
    configs = {k.replace("_", "."): v for k, v in config.items()}
    topic = NewTopic(name, num_partitions=len(assignment), replica_assignment=assignment, config=configs)
    admin.create_topics([topic])[name].result(timeout=30)
    # every broker, as mqctl reads from whichever answers first (a full run read the problems of a new
    # topic from one broker, then "ok" from another that did not list the topic yet)
    assert eventually(lambda: all(listed_by(broker, name) == len(assignment) for broker in brokers(admin)))


def listed_by(broker: int, topic: str) -> int:
    """How many partitions of `topic` `broker` lists in its own metadata (0: not the topic)."""
    from kafka.protocol.metadata import MetadataRequest

    named = [MetadataRequest.MetadataRequestTopic(name=topic)]
    request = MetadataRequest(topics=named, allow_auto_topic_creation=False)
    (listed,) = protocol_request(request, node=broker).topics
    return len(listed.partitions) if listed.error_code == 0 else 0


def health(project: Project) -> tuple[int, dict[str, Any]]:
    """`mqctl cluster health` limited to this test's topics: exit code and checks by name."""
    result = project.run("cluster", "health", "--env", project.env, "--topics", f"{project.env}.*", "-o", "json")
    assert result.exit_code in (0, 1, 2), result.output
    report = json.loads(result.stdout)
    assert report["format_version"] == 1 and report["topics"] == [f"{project.env}.*"]
    expected = {"ok": 0, "problems": 2, "error": 1}[report["status"]]
    assert result.exit_code == expected
    return result.exit_code, {c["check"]: c for c in report["checks"]}


def found(checks: dict[str, Any], check: str) -> set[tuple[str, int]]:
    return {(i["topic"], i["partition"]) for i in checks[check]["items"]}


def partition_checks_ok(project: Project) -> bool:
    _, checks = health(project)
    return all(checks[name]["status"] == "ok" for name in PARTITION_CHECKS)


def cluster(command: str) -> str:
    """Stop or start broker 4 alone (never another one: the cluster is shared); what the script
    said. Whether it worked is judged by the cluster (the script gives up on a start after 60 s,
    which a loaded machine can exceed while the broker still comes up)."""
    done = subprocess.run([SCRIPT, command, "4"], timeout=180, capture_output=True, text=True)
    return done.stdout + done.stderr


def start_broker_4(admin: AdminClient) -> None:
    said = cluster("start-node")
    assert eventually(lambda: 4 in brokers(admin), 180), f"broker 4 did not come back: {said}"


def brokers(admin: AdminClient) -> set[int]:
    try:
        return {n.id for n in admin.describe_cluster(request_timeout=5).result(timeout=10).nodes}
    except KafkaException:
        return set()


@pytest.fixture(autouse=True)
def every_broker_up(dev_admin: AdminClient) -> None:
    """Other engineers' fault tests stop brokers 1-3 for a while: start from a whole cluster."""
    assert eventually(lambda: brokers(dev_admin) == set(RACKS), 180), f"brokers up: {sorted(brokers(dev_admin))}"


@pytest.fixture
def broker_4_stopped(dev_admin: AdminClient) -> Iterator[None]:
    """Broker 4 down for the test's first part; always started again, and the fixture ends only
    once it is back (other tests share the cluster)."""
    said = cluster("stop-node")
    try:
        assert eventually(lambda: 4 not in brokers(dev_admin), 60), f"broker 4 did not stop: {said}"
        yield
    finally:
        start_broker_4(dev_admin)
        # every partition broker 4 led, its own again now (a test may already have elected its
        # topics' leaders with mqctl): not at Kafka's next imbalance check, under a later test
        assert eventually(lambda: preferred_leaders_elected(dev_admin), 60), "broker 4 did not lead again"


def acks_all(topic: str) -> str | None:
    """Produce one record with acks=all: None when written, else the error."""
    result: list[str | None] = []

    def delivered(err: Any, _: Any) -> None:
        result.append(None if err is None else f"{err.code()} {err.str()}")

    producer = Producer({"bootstrap.servers": DEV_BOOTSTRAP, "acks": "all", "message.timeout.ms": 8000,
                         "retries": 0})  # fmt: skip
    producer.produce(topic, b"x", on_delivery=delivered)
    producer.flush(15)
    return result[0] if result else "no delivery report"


def test_a_stopped_broker_shows_in_health_and_its_restart_heals_it(
    project: Project, dev_admin: AdminClient, request: pytest.FixtureRequest
) -> None:
    env = project.env
    solo, strict, tolerant = f"{env}.health.solo.v1", f"{env}.health.strict.v1", f"{env}.health.tolerant.v1"
    create(dev_admin, solo, [[4]], min_insync_replicas="1")
    create(dev_admin, strict, [[4, 2, 3]], min_insync_replicas="3")  # one replica per rack
    create(dev_admin, tolerant, [[2, 3, 4]], min_insync_replicas="2")
    assert eventually(lambda: partition_checks_ok(project))

    request.getfixturevalue("broker_4_stopped")
    assert eventually(lambda: found(health(project)[1], "offline_partitions") == {(solo, 0)}, 60)
    code, checks = health(project)
    assert code == 2
    assert found(checks, "under_replicated_partitions") == {(solo, 0), (strict, 0), (tolerant, 0)}
    assert found(checks, "under_min_isr_partitions") == {(solo, 0), (strict, 0)}
    (item,) = [i for i in checks["under_min_isr_partitions"]["items"] if i["topic"] == strict]
    assert (item["replicas"], sorted(item["isr"]), item["min_insync_replicas"]) == ([4, 2, 3], [2, 3], 3)
    # what the check says is what the brokers do
    refused = acks_all(strict)
    assert refused is not None and refused.startswith(f"{KafkaError.NOT_ENOUGH_REPLICAS} "), refused
    assert acks_all(tolerant) is None
    text = project.run("cluster", "health", "--env", env, "--topics", f"{env}.*")
    assert text.exit_code == 2 and re.search(rf"{re.escape(strict)}\[0\]  leader [23]  replicas 4,2,3", text.stdout)

    start_broker_4(dev_admin)
    replication = ("offline_partitions", "under_replicated_partitions", "under_min_isr_partitions")
    assert eventually(lambda: all(health(project)[1][name]["status"] == "ok" for name in replication), 120)
    # broker 4 is back in sync but no longer leads its partition, unless Kafka's own rebalance (every
    # 5 minutes) elected it back already: then the preferred replica becomes broker 2 (the same
    # replicas in another order), which Kafka leaves alone (one partition is under its 10% threshold)
    leader = partitions(dev_admin, strict)[0].leader
    if leader == 4:
        other = KafkaAdminClient(bootstrap_servers=DEV_BOOTSTRAP.split(","))
        try:
            other.alter_partition_reassignments({TopicPartition(strict, 0): [2, 4, 3]})
        finally:
            other.close()
        assert eventually(lambda: partitions(dev_admin, strict)[0].replicas == [2, 4, 3])
    preferred = partitions(dev_admin, strict)[0].replicas[0]
    assert leader != preferred
    assert eventually(lambda: {i["topic"] for i in health(project)[1]["preferred_leaders"]["items"]} == {strict})
    dry = project.run("cluster", "elect-leaders", "--env", env, "--topics", f"{env}.*")
    assert dry.exit_code == 2 and re.search(rf"{re.escape(strict)}\[0\]  leader {leader} → {preferred}", dry.stdout)
    assert partitions(dev_admin, strict)[0].leader == leader  # a dry run elects nothing
    done = project.run("cluster", "elect-leaders", "--env", env, "--topics", f"{env}.*", "--execute")
    assert done.exit_code == 0 and "Elected 1 preferred leader(s), 0 failed." in done.stdout
    assert eventually(lambda: partition_checks_ok(project), 60)
    assert partitions(dev_admin, strict)[0].leader == preferred


def unthrottled(admin: AdminClient, topic: str) -> bool:
    """The topic carries no replication throttle (brokers answering for configs may lag a moment)."""
    return not any(live_configs(admin, topic)[k].value for k in TOPIC_REPLICAS)


def replica_lists(admin: AdminClient, topic: str) -> list[list[int]]:
    return [list(p.replicas) for _, p in sorted(partitions(admin, topic).items())]


def on_broker(admin: AdminClient, topic: str, broker: int) -> list[int]:
    return [p for p, meta in sorted(partitions(admin, topic).items()) if broker in meta.replicas]


def test_a_topic_on_one_rack_is_flagged_and_spread_by_apply(project: Project, dev_admin: AdminClient) -> None:
    env = project.env
    topic = f"{env}.rack.spread.v1"
    create(dev_admin, topic, [[1, 4], [4, 1], [1, 2]], min_insync_replicas="1")
    _, checks = health(project)
    assert [(i["partition"], i["racks"], i["wanted"]) for i in checks["rack_spread"]["items"]] == [
        (0, ["dc-a", "dc-a"], 2), (1, ["dc-a", "dc-a"], 2)
    ]
    project.write("topics/a.yaml", "topics:\n  - {name: rack.spread.v1, partitions: 3, replication_factor: 2,"
                                   " config: {min.insync.replicas: 1}}\n")  # fmt: skip
    assert project.run("plan", "--env", env).exit_code == 0  # placement as-is: replicas are left where they are

    config = project.root / "mqctl.yaml"
    config.write_text(config.read_text() + "    policy:\n      placement: rack-aware\n")
    shown = project.run("plan", "--env", env)
    assert shown.exit_code == 2, shown.output
    counted = r"placement\s+2 of 3 partition\(s\) on fewer racks than min\(RF, racks\) → rack-aware"
    assert re.search(counted, shown.stdout)
    assert re.search(r"replicas\[0\]\s+1, 4 → 1, [23]", shown.stdout)
    assert re.search(r"replicas\[1\]\s+4, 1 → 4, [23]", shown.stdout)
    assert "replicas[2]" not in shown.stdout  # already on two racks
    applied = project.run("apply", "--env", env, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "reassigning replicas: 2 of 2 partition(s) done" in applied.stdout
    after = partitions(dev_admin, topic)
    assert all(len({RACKS[b] for b in p.replicas}) == 2 for p in after.values())
    assert [after[p].replicas[0] for p in range(3)] == [1, 4, 1]  # preferred leaders stay
    assert eventually(lambda: unthrottled(dev_admin, topic))  # the throttle went with the move
    assert health(project)[1]["rack_spread"]["status"] == "ok"
    assert project.run("plan", "--env", env).exit_code == 0


def test_draining_broker_4_of_this_tests_topics_moves_every_replica_and_they_can_go_back(
    project: Project, dev_admin: AdminClient
) -> None:
    env = project.env
    first, second = f"{env}.drain.a.v1", f"{env}.drain.b.v1"
    layout = {first: [[4, 1], [2, 4], [4, 3]], second: [[1, 2, 4]]}
    for topic, assignment in layout.items():
        create(dev_admin, topic, assignment, min_insync_replicas="1")

    dry = project.run("brokers", "drain", "--env", env, "4", "--topics", f"{env}.*", "-o", "json")
    assert dry.exit_code == 2, dry.output
    plan = json.loads(dry.stdout)
    assert [c["name"] for c in plan["changes"]] == [first, second]  # only this test's topics
    assert on_broker(dev_admin, first, 4) == [0, 1, 2]  # a dry run moves nothing

    done = project.run("brokers", "drain", "--env", env, "4", "--topics", f"{env}.*", "--execute")
    assert done.exit_code == 0, done.output
    assert f"✓ drained {first}" in done.stdout and f"✓ drained {second}" in done.stdout
    for topic in layout:
        assert on_broker(dev_admin, topic, 4) == []
        replica_sets = [p.replicas for p in partitions(dev_admin, topic).values()]
        assert all(len({RACKS[b] for b in replicas}) == len(replicas) for replicas in replica_sets)  # rack-aware
        assert eventually(lambda: unthrottled(dev_admin, topic))  # noqa: B023 - evaluated at once
    again = project.run("brokers", "drain", "--env", env, "4", "--topics", f"{env}.*")
    assert again.exit_code == 0 and "Broker 4 holds no replica of the selected topics" in again.stdout

    # and back where they were, through an independent client
    other = KafkaAdminClient(bootstrap_servers=DEV_BOOTSTRAP.split(","))
    try:
        back = {TopicPartition(t, p): r for t, assignment in layout.items() for p, r in enumerate(assignment)}
        other.alter_partition_reassignments(back)
        assert eventually(lambda: not any(tp.topic in layout for tp in other.list_partition_reassignments()), 60)
    finally:
        other.close()
    for topic, assignment in layout.items():
        assert eventually(lambda: replica_lists(dev_admin, topic) == assignment)  # noqa: B023 - evaluated at once


def test_the_health_report_reads_the_cluster_in_constant_requests(project: Project, dev_admin: AdminClient) -> None:
    """Request counts do not depend on the partitions: the same with 1 and with 60 topics selected."""
    from mqctl.workflows.health import HealthOptions, cluster_health

    def read(glob: str, partitions: int) -> Any:
        """A read that sees all `partitions` of the topics (a broker may list new ones late)."""
        reports = []

        def complete() -> bool:
            reports.append(cluster_health(project.root, project.env, HealthOptions((glob,))))
            (balance,) = [c for c in reports[-1].checks if c.check == "leader_balance"]
            return sum(int(row["preferred"]) for row in balance.items) == partitions

        assert eventually(complete, 60)
        return reports[-1]

    create(dev_admin, f"{project.env}.count.one.v1", [[1, 2, 3]])
    one = read(f"{project.env}.count.one.*", 1)
    for i in range(60):
        dev_admin.create_topics([NewTopic(f"{project.env}.count.many{i}.v1", 3, 2)])
    many = read(f"{project.env}.*", 1 + 60 * 3)

    def asked(report: Any) -> int:
        """DescribeLogDirs went to each broker the read saw (one may be restarting under another test)."""
        (dirs,) = [c for c in report.checks if c.check == "log_dirs"]
        return len({row["broker"] for row in dirs.items})

    # DescribeCluster, metadata, DescribeConfigs in min(6, topics) parts, DescribeLogDirs per broker, DescribeQuorum
    assert one.requests == 1 + 1 + 1 + asked(one) + 1
    assert many.requests == 1 + 1 + 6 + asked(many) + 1


def test_broker_config_drift_is_the_brokers_specs_planned(project: Project) -> None:
    """Read-only: the specs say something the cluster does not have, health reports it as drift
    (nothing is applied: broker config is shared by everyone on this cluster)."""
    env = project.env
    _, checks = health(project)
    assert checks["config_drift"] == {"check": "config_drift", "status": "skipped", "items": [],
                                      "note": "no brokers/ specs in this project"}  # fmt: skip
    project.write("brokers/cluster.yaml", "brokers:\n  cluster_defaults:\n    log.retention.ms: 3d\n"
                                          "  per_broker:\n    4:\n      log.cleaner.threads: 1\n")  # fmt: skip
    code, checks = health(project)
    assert code == 2 and checks["config_drift"]["status"] == "problems"
    changes = {(i["resource"], i["field"], i["spec"]) for i in checks["config_drift"]["items"] if "field" in i}
    assert ("cluster-default", "config.log.retention.ms", "259200000") in changes
    assert ("broker 4", "config.log.cleaner.threads", "1") in changes
    project.write("brokers/cluster.yaml", "brokers:\n  cluster_defaults:\n    log.retention.ms: 3 days\n")
    _, checks = health(project)
    assert checks["config_drift"]["status"] == "error" and "brokers/cluster.yaml" in checks["config_drift"]["note"]
    assert env in project.run("cluster", "health", "--env", env, "--topics", f"{env}.*", "-o", "markdown").stdout
