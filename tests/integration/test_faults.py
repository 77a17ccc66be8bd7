"""Faults and limits for real: the record cap, the controller mutation quota, authorization, the
apply lock, a broker stopped during an apply, timeouts with an unknown outcome."""

from __future__ import annotations

import logging
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ConfigResource,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from kafka.protocol.admin import CreatePartitionsRequest

from mqctl.config import Environment, load_config
from mqctl.diagnostics import MqctlError
from mqctl.edges import Edges
from mqctl.kafka.connection import client_config
from mqctl.kafka.lock import ApplyLock, holding
from mqctl.kafka.protocol import QUOTA_STALLS
from mqctl.kinds.topics import admin as topics_admin
from mqctl.kinds.topics.admin import TopicAdmin
from mqctl.kinds.topics.changes import TopicCreate, TopicDelete, TopicUpdate
from tests.conftest import (
    DEV_BOOTSTRAP,
    SASL_BOOTSTRAP,
    KafkaProxy,
    OpenEdges,
    Project,
    config_command,
    config_text,
    eventually,
    live_configs,
    partitions,
    preferred_leaders_elected,
    protocol_request,
    sasl_security,
    sasl_user_project,
    unique_env,
)

ROOT = Path(__file__).resolve().parents[2]
QUIET = logging.getLogger("tests.librdkafka")  # the stopped broker's connection errors are expected
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


def topics_spec(count: int, rf: int = 1, extra: str = "") -> str:
    lines = "".join(
        f"  - {{name: order.t{i}.v1, partitions: 1, replication_factor: {rf}{extra}}}\n" for i in range(count)
    )
    return "topics:\n" + lines


# ---------------------------------------------------------------------------------------------
# the 10,000-records-per-request cap


@pytest.mark.kafka
def test_a_create_over_the_record_cap_is_split_and_accepted(dev_admin: AdminClient, open_edges: OpenEdges) -> None:
    """Validate-only: the controller builds every record and checks the cap, but writes nothing."""
    env = unique_env()
    big = [NewTopic(f"{env}.big.t{i}.v1", 4_000, 1) for i in range(3)]  # 12,003 records together
    refused = dev_admin.create_topics(big, validate_only=True, operation_timeout=30)
    errors = []
    for future in refused.values():
        try:
            future.result(timeout=60)
        except KafkaException as exc:
            errors.append(str(exc))
    assert errors, "one request of 12,003 records should break KRaft's cap"

    edges = open_edges(Environment(env, DEV_BOOTSTRAP))
    changes = [TopicCreate(t.topic, partitions=4_000, replication_factor=1) for t in big]
    outcome = TopicAdmin(edges).create(changes, validate_only=True)
    assert outcome == dict.fromkeys((c.name for c in changes), None)
    assert edges.requests == 1 + 2  # the first contact (DescribeCluster), then the create split in two


# ---------------------------------------------------------------------------------------------
# a request whose answer does not come in time: decided by a proxy, not by a timeout race

REQUEST_TIMEOUT_MS = 3_000  # mqctl's per-request timeout in these tests (the environment's is 15 s)
HELD_SECONDS = 120.0  # the proxy keeps the broker's answer far longer than that: it never arrives in time
# How long mqctl re-reads an unknown outcome (SETTLE_SECONDS, 3 s) in the test of late answers: a
# broker busy with earlier tests (1,000 topics deleted just before) has been seen to need more than
# 3 + 3 s to create 20 topics, and mqctl then rightly reports "may or may not have happened". The
# re-reading stops as soon as every topic shows, so the wider window costs nothing when the broker
# is quick; it only takes the broker's speed out of what the test decides.
SETTLE_FOR_A_BUSY_BROKER = 60.0
CREATE_TOPICS, DELETE_TOPICS = 19, 20  # the API keys of the mutations
PRODUCE = 0  # the API key of the lock's holder record
NO_ANSWER = "20 topic(s) got no answer in time; re-reading the cluster for what happened"


def proxied_topics(project: Project, proxy: KafkaProxy, said: list[str], open_edges: OpenEdges) -> TopicAdmin:
    """mqctl's TopicAdmin for an environment whose only way to the SASL node is `proxy` (the node
    advertises itself only, the proxy rewrites that to itself), connected under the environment's
    timeout, then answering each request within REQUEST_TIMEOUT_MS."""
    (project.root / "mqctl.yaml").write_text(config_text(project.env, proxy.bootstrap, sasl_security()))
    edges = open_edges(load_config(project.root, project.env).environment, notify=said.append)
    edges.kafka.protocol.admin_client  # noqa: B018 - connected (and logged in) under the normal timeout
    edges.kafka.protocol.request_timeout_ms = REQUEST_TIMEOUT_MS
    return TopicAdmin(edges)


def listed(admin: AdminClient, env: str) -> set[str]:
    """The environment's topics as an independent client (not through the proxy) sees them."""
    return {name for name in admin.list_topics(timeout=10).topics if name.startswith(env + ".")}


@pytest.mark.sasl
def test_mutations_whose_answers_come_too_late_are_re_read_and_reported_as_done(
    secure_project: Project,
    sasl_proxy: KafkaProxy,
    sasl_admin: AdminClient,
    monkeypatch: pytest.MonkeyPatch,
    open_edges: OpenEdges,
) -> None:
    """The broker creates (then deletes) the 20 topics and answers, but the proxy holds the answer
    longer than mqctl waits: the outcome is unknown to mqctl, which re-reads the cluster and reports
    every topic as created, then as deleted, as the broker (and an independent client) says."""
    monkeypatch.setattr(topics_admin, "SETTLE_SECONDS", SETTLE_FOR_A_BUSY_BROKER)
    said: list[str] = []
    topics = proxied_topics(secure_project, sasl_proxy, said, open_edges)
    names = {f"{secure_project.env}.order.t{i}.v1" for i in range(20)}

    sasl_proxy.hold[CREATE_TOPICS] = HELD_SECONDS
    reported = topics.create([TopicCreate(n, partitions=1, replication_factor=1) for n in names])
    assert said[:1] == [NO_ANSWER], said  # mqctl never got the held answer: it gave up on it
    assert reported == dict.fromkeys(names, None)  # created, as it is
    assert listed(sasl_admin, secure_project.env) == names
    # the broker did answer, late: every topic created (the answer mqctl never saw)
    assert eventually(lambda: CREATE_TOPICS in sasl_proxy.answers, 30)
    (late,) = sasl_proxy.answers[CREATE_TOPICS]
    assert {topic.name: topic.error_code for topic in late.topics} == dict.fromkeys(names, 0)

    said.clear()
    sasl_proxy.hold = {DELETE_TOPICS: HELD_SECONDS}
    reported = topics.delete([TopicDelete(n) for n in names])
    assert said[:1] == [NO_ANSWER], said
    assert reported == dict.fromkeys(names, None)  # deleted, as it is
    assert listed(sasl_admin, secure_project.env) == set()
    assert sasl_proxy.sent["CreateTopics"] == sasl_proxy.sent["DeleteTopics"] == 1  # each sent once, no retry


@pytest.mark.sasl
def test_mutations_that_never_reached_the_broker_are_reported_as_not_done(
    secure_project: Project, sasl_proxy: KafkaProxy, sasl_admin: AdminClient, open_edges: OpenEdges
) -> None:
    """The proxy swallows the request: no answer, and nothing happened. After re-reading the cluster
    for SETTLE_SECONDS, mqctl reports each topic as not created (then not deleted), with the reason,
    instead of claiming success; an independent client agrees."""
    said: list[str] = []
    topics = proxied_topics(secure_project, sasl_proxy, said, open_edges)
    names = {f"{secure_project.env}.order.t{i}.v1" for i in range(20)}
    unknown = "no answer within 3s; it may or may not have happened, the next plan shows which"

    sasl_proxy.drop.add(CREATE_TOPICS)
    reported = topics.create([TopicCreate(n, partitions=1, replication_factor=1) for n in names])
    assert said[:1] == [NO_ANSWER], said
    assert reported == dict.fromkeys(names, f"create topics: {unknown}")
    assert listed(sasl_admin, secure_project.env) == set()
    assert sasl_proxy.sent["CreateTopics"] == 1  # it was sent (and swallowed), once

    sasl_proxy.drop = set()  # the same create, answered: the topics exist
    assert topics.create([TopicCreate(n, partitions=1, replication_factor=1) for n in names]) == dict.fromkeys(names)
    assert listed(sasl_admin, secure_project.env) == names

    said.clear()
    sasl_proxy.drop = {DELETE_TOPICS}
    reported = topics.delete([TopicDelete(n) for n in names])
    assert said[:1] == [NO_ANSWER], said
    assert reported == dict.fromkeys(names, f"delete topics: {unknown}")
    assert listed(sasl_admin, secure_project.env) == names  # still there: the broker never heard of it


@pytest.mark.kafka
def test_deleting_a_topic_that_is_already_gone_counts_as_done(open_edges: OpenEdges) -> None:
    """Right after a large delete a broker may still list topics the controller has removed; a plan
    read there deletes them again. The controller answers UNKNOWN_TOPIC_OR_PARTITION: as wanted."""
    env = unique_env()
    topics = TopicAdmin(open_edges(Environment(env, DEV_BOOTSTRAP)))
    assert topics.delete([TopicDelete(f"{env}.order.gone.v1")]) == {f"{env}.order.gone.v1": None}


@pytest.mark.kafka
def test_after_a_large_create_and_delete_every_broker_already_agrees(open_edges: OpenEdges) -> None:
    """Brokers learn new topics from the metadata log after the controller answers; apply waits
    until each lists them, so a plan right after it (from whichever broker) sees what it did."""
    env = unique_env()
    topics = TopicAdmin(open_edges(Environment(env, DEV_BOOTSTRAP, timeout_seconds=60)))
    names = [f"{env}.order.t{i}.v1" for i in range(2000)]

    def listed_by_each_broker() -> list[set[str]]:
        """Every topic each broker lists, asked of that broker."""
        from kafka.protocol.metadata import MetadataRequest

        responses = [protocol_request(MetadataRequest(topics=None), node=broker) for broker in (1, 2, 3)]
        return [{t.name for t in r.topics if t.name.startswith(env + ".")} for r in responses]

    try:
        assert topics.create([TopicCreate(n) for n in names]) == dict.fromkeys(names, None)
        assert listed_by_each_broker() == [set(names)] * 3
        assert topics.delete([TopicDelete(n) for n in names]) == dict.fromkeys(names, None)
        assert listed_by_each_broker() == [set()] * 3
    finally:
        TopicAdmin(open_edges(Environment(env, DEV_BOOTSTRAP, timeout_seconds=60))).delete(
            [TopicDelete(n) for n in names]
        )


@pytest.mark.kafka
def test_after_a_partition_increase_every_broker_already_shows_it(dev_admin: AdminClient) -> None:
    """The same wait after CreatePartitions. Control: the same increase sent raw (without mqctl's
    wait) on half the topics is not yet shown by the brokers right after the controller answers;
    through TopicAdmin.update, every broker shows every topic's new count when it returns. The
    brokers are asked all at once over connections opened beforehand: asked one after another,
    each through a new client (tens of ms each), they had all caught up once in a full run."""
    from kafka.admin import KafkaAdminClient
    from kafka.protocol.metadata import MetadataRequest

    from mqctl.kafka.wire import exchange_addressed

    env = unique_env()
    names = [f"{env}.order.t{i}.v1" for i in range(400)]
    raw, through_mqctl = names[:200], names[200:]
    brokers = sorted(node.id for node in dev_admin.describe_cluster(request_timeout=10).result(timeout=15).nodes)
    watcher = KafkaAdminClient(bootstrap_servers=DEV_BOOTSTRAP.split(","), request_timeout_ms=15000)

    def behind(wanted: list[str]) -> dict[int, int]:
        """Per broker (asked directly), how many of `wanted` it does not yet show with 2 partitions."""
        asked = [(MetadataRequest(topics=None), broker) for broker in brokers]
        found = {}
        for broker, response in zip(brokers, exchange_addressed(watcher, asked, 15000), strict=True):
            shown = {t.name for t in response.topics if len(t.partitions) >= 2}
            found[broker] = len(set(wanted) - shown)
        return found

    with Edges(Environment(env, DEV_BOOTSTRAP, timeout_seconds=60)) as edges:
        topics = TopicAdmin(edges)
        try:
            assert topics.create([TopicCreate(n) for n in names]) == dict.fromkeys(names, None)
            behind([])  # connected to every broker before the increase
            grow = CreatePartitionsRequest(topics=[(n, 2, None) for n in raw], timeout_ms=60_000, validate_only=False)
            assert {r.error_code for r in edges.kafka.protocol.send("grow", grow).results} == {0}
            assert any(behind(raw).values())  # the controller has answered; the brokers have not caught up
            assert topics.update([TopicUpdate(n, new_partitions=2) for n in through_mqctl]) == dict.fromkeys(
                through_mqctl, None
            )
            assert behind(through_mqctl) == dict.fromkeys(brokers, 0)
        finally:
            watcher.close()
            topics.delete([TopicDelete(n) for n in names])


# ---------------------------------------------------------------------------------------------
# THROTTLING_QUOTA_EXCEEDED on the SASL node, for a user of the test's own


@pytest.fixture
def throttled_user(tmp_path: Path, sasl_admin: AdminClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A project on the SASL node as a fresh SCRAM user allowed its own topics and its apply lock
    (sasl_user_project), with a controller mutation quota of 1 partition/s: the quota binds this
    user only."""

    def on_the_lock(env: str, principal: str) -> list[AclBinding]:
        return [AclBinding(ResourceType.TOPIC, f"__mqctl-lock-{env}", ResourcePatternType.LITERAL, principal, "*",
                           AclOperation.ALL, AclPermissionType.ALLOW)]  # fmt: skip

    with sasl_user_project(tmp_path, sasl_admin, monkeypatch, "quota", on_the_lock) as project:
        user = f"quota-{project.env}"
        config_command("--alter", "--add-config", "controller_mutation_rate=1", "--entity-type", "users",
                        "--entity-name", user)  # fmt: skip
        try:
            yield project
        finally:
            config_command("--alter", "--delete-config", "controller_mutation_rate", "--entity-type", "users",
                            "--entity-name", user)  # fmt: skip


@pytest.mark.sasl
def test_controller_mutation_quota_rejections_are_retried_alone_after_the_throttle_time(
    throttled_user: Project, sasl_admin: AdminClient
) -> None:
    """CreateTopics v7 (KIP-599): over the quota the broker accepts what fits and rejects the rest
    with THROTTLING_QUOTA_EXCEEDED and a throttle time; mqctl waits that long, retries only the
    rejected topics, and shows each round."""
    project = throttled_user
    project.write("topics/a.yaml", topics_spec(6))
    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
    # the quota (1 partition mutation/s) is now used up for seconds: the next creates are rejected
    project.write("topics/a.yaml", topics_spec(12))
    result = project.run("apply", "--env", project.env, "--auto-approve")
    assert result.exit_code == 0, result.output
    rounds = [
        (int(accepted), int(pending), int(retried), float(wait))
        for accepted, pending, retried, wait in re.findall(
            r"create topics: controller mutation quota exceeded; (\d+) of (\d+) accepted, retrying (\d+) in "
            r"(\d+\.\d)s",
            result.stdout,
        )
    ]
    assert rounds, result.stdout
    assert rounds[0][1] == 6
    for accepted, pending, retried, wait in rounds:
        assert retried == pending - accepted and wait > 0  # only the rejected, after the broker's time
    assert any(0 < accepted < pending for accepted, pending, _, _ in rounds)  # a partial acceptance
    assert "Apply complete: 6 done, 0 failed." in result.stdout
    names = [t for t in sasl_admin.list_topics(timeout=10).topics if t.startswith(project.env + ".")]
    assert len(names) == 12
    assert project.run("plan", "--env", project.env).exit_code == 0


@contextmanager
def quota_hog(env: Environment, topic: str) -> Iterator[list[str]]:
    """Another client of the same user keeps the user's controller mutation quota used up, as a
    busy pipeline sharing mqctl's principal would: validate-only creates (nothing is created, but the
    quota counts them) through librdkafka, whose CreateTopics version predates KIP-599, so the broker
    accepts and records every one however far over the quota (it only asks the client to wait; a
    new client each time does not). 15 partitions first (the bucket holds 11), then 3 every 2 s
    against a refill of 1/s: the balance stays below zero for as long as the block runs. Yields the
    errors the hog's own requests got (none expected)."""
    errors: list[str] = []
    stop = threading.Event()

    def burn(partitions: int) -> None:
        client = AdminClient({**client_config(env), "log_level": 0})
        for future in client.create_topics([NewTopic(topic, partitions, 1)], validate_only=True).values():
            try:
                future.result(timeout=15)
            except KafkaException as exc:
                errors.append(str(exc))

    def keep_burning() -> None:
        while not stop.wait(2):
            burn(3)

    burn(15)
    hog = threading.Thread(target=keep_burning, daemon=True)
    hog.start()
    try:
        yield errors
    finally:
        stop.set()
        hog.join(30)


def quota_rounds(doing: str, text: str) -> list[float]:
    """The waits of the stalled rounds mqctl reported (nothing accepted in the round)."""
    pattern = rf"{doing}: controller mutation quota exceeded(?:; 0 of 1 accepted)?, retrying (?:1 )?in (\d+\.\d)s"
    return [float(wait) for wait in re.findall(pattern, text)]


@pytest.mark.sasl
def test_the_quota_retry_gives_up_after_its_stalled_rounds(
    throttled_user: Project, sasl_admin: AdminClient, open_edges: OpenEdges
) -> None:
    """While another client of mqctl's user keeps the controller mutation quota used up, every round
    of a create is rejected. The batched create retries after each throttle time the broker gives and
    gives up after QUOTA_STALLS rounds in a row that got nothing accepted, reporting the broker's
    error for the topic, instead of retrying for ever. Nothing is created."""
    project = throttled_user
    config = load_config(project.root, project.env)
    name = f"{project.env}.order.late.v1"
    said: list[str] = []
    topics = TopicAdmin(open_edges(config.environment, notify=said.append))
    with quota_hog(config.environment, f"{project.env}.order.hog.v1") as hog_errors:
        started = time.monotonic()
        outcome = topics.create([TopicCreate(name, partitions=1, replication_factor=1)])
        elapsed = time.monotonic() - started
    assert hog_errors == []
    assert outcome[name] is not None and outcome[name].startswith("THROTTLING_QUOTA_EXCEEDED"), outcome
    waits = quota_rounds("create topics", "\n".join(said))
    assert len(waits) == QUOTA_STALLS - 1 and all(w > 0 for w in waits), said  # no wait after the last round
    assert elapsed >= sum(waits)  # each throttle time was waited out
    assert elapsed < 120, f"gave up only after {elapsed:.0f} s"
    assert not [t for t in sasl_admin.list_topics(timeout=10).topics if t.startswith(project.env + ".")]


@pytest.mark.sasl
def test_an_apply_lock_the_quota_keeps_refusing_fails_the_apply_cleanly(
    throttled_user: Project, sasl_admin: AdminClient
) -> None:
    """The lock topic's create is a controller mutation too: refused QUOTA_STALLS times in a row, the
    apply stops before planning, with the broker's reason, and nothing is changed."""
    project = throttled_user
    config = load_config(project.root, project.env)
    project.write("topics/a.yaml", "topics:\n  - {name: order.late.v1, partitions: 1, replication_factor: 1}\n")
    with quota_hog(config.environment, f"{project.env}.order.hog.v1") as hog_errors:
        result = project.run("apply", "--env", project.env, "--auto-approve")
    assert hog_errors == []
    assert result.exit_code == 1
    assert len(quota_rounds("take the apply lock", result.stdout)) == QUOTA_STALLS - 1, result.stdout
    assert f"take the apply lock __mqctl-lock-{project.env}: THROTTLING_QUOTA_EXCEEDED" in result.stderr
    assert "Plan:" not in result.stdout  # stopped before planning
    assert not [t for t in sasl_admin.list_topics(timeout=10).topics if project.env in t]


# ---------------------------------------------------------------------------------------------
# authorization


def _as_alice(tmp_path: Path, env: str) -> Project:
    tmp_path.mkdir()
    (tmp_path / "mqctl.yaml").write_text(config_text(env, SASL_BOOTSTRAP, sasl_security("alice", "alice-secret")))
    return Project(tmp_path, env)


@pytest.mark.sasl
def test_missing_acls_are_reported_as_authorization_not_as_missing_topics(
    tmp_path: Path, secure_project: Project, sasl_admin: AdminClient
) -> None:
    env = secure_project.env
    hidden = f"{env}.order.t0.v1"
    sasl_admin.create_topics([NewTopic(hidden, 1, 1)])[hidden].result(timeout=30)  # exists; alice can't see it
    alice = _as_alice(tmp_path / "alice", env)
    alice.write("topics/a.yaml", topics_spec(2))

    plan = alice.run("plan", "--env", env)
    assert plan.exit_code == 1
    assert f"{hidden}: the cluster would refuse this change: TOPIC_AUTHORIZATION_FAILED" in plan.stdout
    assert "User:alice is not authorized" in plan.stdout
    assert "may look missing" in plan.stdout
    assert "Traceback" not in plan.output

    apply = alice.run("apply", "--env", env, "--auto-approve")
    assert apply.exit_code == 1
    assert "take the apply lock" in apply.stderr and "TOPIC_AUTHORIZATION_FAILED" in apply.stderr
    assert "User:alice is not authorized" in apply.stderr


# ---------------------------------------------------------------------------------------------
# the apply lock


@pytest.mark.kafka
def test_second_apply_is_refused_while_the_lock_is_held(project: Project, dev_admin: AdminClient) -> None:
    project.write("topics/a.yaml", topics_spec(2))
    env = Environment(project.env, DEV_BOOTSTRAP)
    holder = ApplyLock(env).acquire("mqctl apply (the other one)")
    try:
        refused = project.run("apply", "--env", project.env, "--auto-approve")
        assert refused.exit_code == 1
        assert f"environment {project.env} is locked by {holder.holder} (pid {holder.pid}" in refused.stderr
        assert f"since {holder.since}" in refused.stderr
        assert f"mqctl lock break --env {project.env}" in refused.stderr
        assert not [t for t in dev_admin.list_topics(timeout=10).topics if t.startswith(project.env + ".")]

        status = project.run("lock", "status", "--env", project.env)
        assert status.exit_code == 2 and "`mqctl apply (the other one)`" in status.stdout
        broken = project.run("lock", "break", "--env", project.env)
        assert broken.exit_code == 0 and "broke the lock" in broken.stdout
    finally:
        ApplyLock(env).break_()

    applied = project.run("apply", "--env", project.env, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert project.run("lock", "status", "--env", project.env).stdout.endswith("is not locked\n")


@pytest.mark.kafka
def test_racing_lock_takers_get_exactly_one_lock() -> None:
    env = Environment(unique_env(), DEV_BOOTSTRAP)

    def take(i: int) -> str:
        try:
            return ApplyLock(env).acquire(f"racer {i}").token
        except MqctlError as exc:
            assert "is locked by" in exc.message
            return ""

    try:
        with ThreadPoolExecutor(6) as pool:
            tokens = [t for t in pool.map(take, range(6)) if t]
        assert len(tokens) == 1
        held = ApplyLock(env).holder()
        assert held is not None and held.token == tokens[0]
    finally:
        ApplyLock(env).break_()


@pytest.mark.kafka
def test_a_broken_lock_taken_by_another_is_not_released_by_the_first() -> None:
    env = Environment(unique_env(), DEV_BOOTSTRAP)
    lock = ApplyLock(env)
    first = lock.acquire("first")
    try:
        lock.break_()
        second = lock.acquire("second")
        assert lock.release(first) is False
        held = lock.holder()
        assert held is not None and held.token == second.token
        assert lock.release(second) is True
        assert eventually(lambda: lock.holder() is None)
    finally:
        lock.break_()


@pytest.mark.kafka
def test_an_apply_whose_lock_was_broken_says_so_and_leaves_the_new_lock() -> None:
    env = Environment(unique_env(), DEV_BOOTSTRAP)
    said: list[str] = []
    try:
        with holding(env, "mqctl apply (slow)", said.append):
            ApplyLock(env).break_()
            other = ApplyLock(env).acquire("mqctl apply (the next one)")
        assert said == [f"the apply lock of environment {env.name} was broken while this apply ran; it was left alone"]
        held = ApplyLock(env).holder()
        assert held is not None and held.token == other.token
    finally:
        ApplyLock(env).break_()


def lock_topic_shape(admin: AdminClient, topic: str) -> tuple[int, int, str]:
    """(partitions, replicas of partition 0, retention.ms) of the lock topic, read out of band."""
    found = partitions(admin, topic)
    return len(found), len(found[0].replicas), live_configs(admin, topic)["retention.ms"].value


@pytest.mark.kafka
def test_the_lock_on_the_four_broker_cluster_has_three_replicas_and_infinite_retention(
    dev_admin: AdminClient,
) -> None:
    env = Environment(unique_env(), DEV_BOOTSTRAP)
    lock = ApplyLock(env)
    me = lock.acquire("mqctl apply (shape)")
    try:
        assert len(dev_admin.list_topics(timeout=10).brokers) == 4  # min(3, 4) = 3
        assert lock_topic_shape(dev_admin, f"__mqctl-lock-{env.name}") == (1, 3, "-1")
        held = lock.holder()
        assert held is not None and held.token == me.token and held.command == "mqctl apply (shape)"
    finally:
        assert lock.release(me) is True
    assert eventually(lambda: f"__mqctl-lock-{env.name}" not in dev_admin.list_topics(timeout=10).topics)


@pytest.mark.sasl
def test_the_lock_on_a_one_broker_cluster_has_one_replica_and_infinite_retention(
    secure_project: Project, sasl_admin: AdminClient
) -> None:
    env = load_config(secure_project.root, secure_project.env).environment
    lock = ApplyLock(env)
    me = lock.acquire("mqctl apply (shape)")
    try:
        assert len(sasl_admin.list_topics(timeout=10).brokers) == 1  # min(3, 1) = 1
        assert lock_topic_shape(sasl_admin, f"__mqctl-lock-{env.name}") == (1, 1, "-1")
    finally:
        assert lock.release(me) is True


@pytest.mark.sasl
def test_an_undelivered_holder_record_fails_the_apply_and_releases_the_lock(
    secure_project: Project, sasl_proxy: KafkaProxy, sasl_admin: AdminClient
) -> None:
    """The proxy swallows every Produce request: the lock topic is created, its holder record never
    reaches the broker. The apply fails saying so, changes nothing, and deletes the lock it took."""
    env = secure_project.env
    lock_name = f"__mqctl-lock-{env}"
    text = config_text(env, sasl_proxy.bootstrap, sasl_security()).replace("timeout_seconds: 15", "timeout_seconds: 5")
    (secure_project.root / "mqctl.yaml").write_text(text)
    secure_project.write("topics/a.yaml", topics_spec(2))
    sasl_proxy.drop.add(PRODUCE)
    try:
        applied = secure_project.run("apply", "--env", env, "--auto-approve")
        assert applied.exit_code == 1, applied.output
        assert f"took the lock {lock_name} but could not record the holder in it: " in applied.stderr
        assert sasl_proxy.sent["Produce"] >= 1  # the record was sent (and swallowed)
        assert sasl_proxy.sent["CreateTopics"] == 1 and sasl_proxy.sent["DeleteTopics"] == 1  # lock taken, released
        assert eventually(lambda: lock_name not in sasl_admin.list_topics(timeout=10).topics)
        assert listed(sasl_admin, env) == set()  # nothing of the plan was applied
    finally:
        if lock_name in sasl_admin.list_topics(timeout=10).topics:  # directly, not through the proxy
            sasl_admin.delete_topics([lock_name])[lock_name].result(timeout=30)


# ---------------------------------------------------------------------------------------------
# a broker stopped during an apply


def _cluster(command: str, node: int) -> None:
    subprocess.run([str(ROOT / "scripts" / "local-cluster.sh"), command, str(node)], check=True, timeout=120)


def _brokers(admin: AdminClient) -> int:
    try:
        return len(admin.describe_cluster(request_timeout=5).result(timeout=10).nodes)
    except KafkaException:
        return 0


def retention(topic: str) -> str | None:
    """retention.ms as the live brokers report it, through a new client each time: a long-lived
    client keeps sending to the broker it last knew, which may be the stopped one (seen in CI)."""
    admin = AdminClient({"bootstrap.servers": DEV_BOOTSTRAP, "logger": QUIET})
    try:
        (future,) = admin.describe_configs([ConfigResource(ResourceType.TOPIC, topic)], request_timeout=5).values()
        return str(future.result(timeout=10)["retention.ms"].value)
    except (KafkaException, TimeoutError):
        return None


@contextmanager
def node_stopped(admin: AdminClient, node: int) -> Iterator[None]:
    """kafka-N down for the block; always restarted, and the block ends only with every broker back
    (other tests share this cluster)."""
    before = _brokers(admin)
    _cluster("stop-node", node)
    try:
        assert eventually(lambda: _brokers(admin) < before, 60)  # one less, or 0 while the controller fails over
        yield
    finally:
        _cluster("start-node", node)
        assert eventually(lambda: _brokers(admin) == before, 120), f"kafka-{node} did not come back"
        assert eventually(lambda: preferred_leaders_elected(admin), 60), f"kafka-{node} did not lead again"


@pytest.mark.kafka
def test_apply_with_a_broker_down_reports_what_is_left_and_converges_once_it_is_back(
    project: Project, dev_admin: AdminClient
) -> None:
    existing = topics_spec(3, rf=3, extra=", config: {min.insync.replicas: 2}")
    project.write("topics/a.yaml", existing)
    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
    grown = existing.replace("{min.insync.replicas: 2}", "{min.insync.replicas: 2, retention.ms: 3600000}")
    new_topic = "  - {name: order.new.v1, partitions: 2, replication_factor: 4}\n"

    with node_stopped(dev_admin, 3):
        project.write("topics/a.yaml", grown + new_topic)
        refused = project.run("apply", "--env", project.env, "--auto-approve")
        # a new RF 4 topic cannot be placed on the 3 brokers left of 4: the plan says which and
        # why, and nothing is half done
        assert refused.exit_code == 1
        assert "order.new.v1: replication factor 4 needs at least that many brokers; the cluster has 3" in (
            refused.stdout
        )
        assert "Traceback" not in refused.output

        # RF 3 / min ISR 2 topics still take their changes with one broker of three down
        project.write("topics/a.yaml", grown)
        partial = project.run("apply", "--env", project.env, "--auto-approve")
        assert partial.exit_code == 0, partial.output
        assert "Apply complete: 3 done, 0 failed." in partial.stdout
        for i in range(3):
            assert eventually(lambda i=i: retention(f"{project.env}.order.t{i}.v1") == "3600000")

    project.write("topics/a.yaml", grown + new_topic)
    converged = project.run("apply", "--env", project.env, "--auto-approve")
    assert converged.exit_code == 0, converged.output
    assert "Apply complete: 1 done, 0 failed." in converged.stdout
    assert all(len(p.replicas) == 4 for p in partitions(dev_admin, f"{project.env}.order.new.v1").values())
    assert project.run("plan", "--env", project.env).exit_code == 0


@pytest.mark.kafka
def test_a_broker_stopped_between_plan_and_execution_completes_or_says_what_is_left(
    project: Project, dev_admin: AdminClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan is made with all 4 brokers; kafka-3 stops after the confirmation, before the changes run.
    RF 3 / min ISR 2 topics still take their changes. The new RF 3 topic is created too (on the 3
    brokers left) unless the stopped node was the active
    controller and the create timed out during the failover: then exactly that topic is reported as
    not done. Either way the re-run, once kafka-3 is back, converges."""
    existing = topics_spec(2, rf=3, extra=", config: {min.insync.replicas: 2}")
    project.write("topics/a.yaml", existing)
    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
    grown = existing.replace("{min.insync.replicas: 2}", "{min.insync.replicas: 2, retention.ms: 7200000}")
    project.write("topics/a.yaml", grown + "  - {name: order.new.v1, partitions: 2, replication_factor: 3}\n")
    new_topic = f"{project.env}.order.new.v1"

    with ExitStack() as stack:

        def broker_dies_after_confirmation(auto_approve: bool) -> bool:
            stack.enter_context(node_stopped(dev_admin, 3))
            return True

        monkeypatch.setattr("mqctl.cli.specs._confirm", broker_dies_after_confirmation)
        result = project.run("apply", "--env", project.env)
        monkeypatch.undo()
        assert "Traceback" not in result.output
        for i in range(2):
            assert f"✓ updated topic {project.env}.order.t{i}.v1" in result.stdout, result.output
            assert eventually(lambda i=i: retention(f"{project.env}.order.t{i}.v1") == "7200000")
        if result.exit_code == 0:
            assert "Apply complete: 3 done, 0 failed." in result.stdout
        else:
            assert f"✗ topic {new_topic} not created: " in result.stdout, result.output
            assert "Apply incomplete: 2 done, 1 failed." in result.stdout

    # kafka-3 is back: a re-run finishes whatever was left and the environment matches the specs
    rerun = project.run("apply", "--env", project.env, "--auto-approve")
    assert rerun.exit_code == 0, rerun.output
    assert eventually(
        lambda: all(set(p.isrs) == set(p.replicas) for p in partitions(dev_admin, new_topic).values()), 60
    )
    assert project.run("plan", "--env", project.env).exit_code == 0



@pytest.mark.kafka
def test_a_broker_that_does_not_answer_is_left_out_of_the_users_snapshot(
    dev_admin: AdminClient, open_edges: OpenEdges, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The users snapshot asks every broker; one listed by the cluster but not reachable (a restart
    in progress) is named and left out, and the users are as the other brokers list them."""
    from mqctl.kafka.admin import BrokerInfo, KafkaAdmin
    from mqctl.kinds.users.admin import UserAdmin
    from mqctl.kinds.users.changes import LiveUsers

    name = f"{unique_env()}-svc"
    upsert = UserScramCredentialUpsertion(name, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), b"pw")
    for future in dev_admin.alter_user_scram_credentials([upsert]).values():
        future.result(timeout=15)
    notes: list[str] = []

    def snapshot() -> LiveUsers:
        return UserAdmin(open_edges(Environment(unique_env(), DEV_BOOTSTRAP), notes.append)).snapshot()

    try:
        assert eventually(lambda: name in snapshot() and name not in snapshot().unlisted_by)  # every broker has it
        real = KafkaAdmin.brokers
        monkeypatch.setattr(KafkaAdmin, "brokers", lambda self: (*real(self), BrokerInfo(99, "127.0.0.1", 1, None)))
        live = snapshot()
        assert live[name] == {"SCRAM-SHA-512": 8192} and name not in live.unlisted_by
        assert [note for note in notes if note.startswith("broker 99 did not list its SCRAM users")], notes
    finally:
        deletion = UserScramCredentialDeletion(name, ScramMechanism.SCRAM_SHA_512)
        for future in dev_admin.alter_user_scram_credentials([deletion]).values():
            future.result(timeout=15)
