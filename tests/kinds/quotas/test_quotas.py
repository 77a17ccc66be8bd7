"""Client quotas for real: plan/apply/remove on the 3-broker cluster read back by an independent
request, an IP connection-rate quota refusing connections, and on the SASL node a producer of the
quota'd user throttled to its byte rate next to an unthrottled one."""

from __future__ import annotations

import json
import os
import socket
import struct
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import (
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramMechanism,
    UserScramCredentialDeletion,
)
from kafka.protocol.admin import AlterClientQuotasRequest, DescribeClientQuotasRequest

from tests.conftest import (
    ADMIN_PASSWORD,
    SASL_BOOTSTRAP,
    Project,
    config_command,
    protocol_request,
)

Entity = tuple[tuple[str, str | None], ...]
QUOTA = 200 * 1024  # bytes/s the throttled producer gets


def described() -> dict[Entity, dict[str, float]]:
    """Every quota entity of the dev cluster, through a fresh kafka-python client (out of band)."""
    response = protocol_request(DescribeClientQuotasRequest(components=[], strict=False))
    return {
        tuple(sorted((e.entity_type, e.entity_name) for e in entry.entity)): {v.key: v.value for v in entry.values}
        for entry in response.entries
    }


def remove_quotas(entities: dict[Entity, dict[str, float]], node_request: Any = protocol_request) -> None:
    data = AlterClientQuotasRequest.EntryData
    entries = [
        data(entity=[data.EntityData(entity_type=t, entity_name=n) for t, n in entity],
             ops=[data.OpData(key=k, value=0.0, remove=True) for k in values])
        for entity, values in entities.items()
    ]  # fmt: skip
    if entries:
        node_request(AlterClientQuotasRequest(entries=entries, validate_only=False))


@pytest.fixture
def own_quotas(project: Project) -> Iterator[Project]:
    """Whatever the test leaves, every quota entity naming its environment is removed (quotas are
    cluster-wide; other engineers' entities are never touched)."""
    yield project
    remove_quotas({e: v for e, v in described().items() if any(n and project.env in n for _, n in e)})


@pytest.mark.kafka
def test_quotas_are_created_updated_and_removed_like_any_resource(own_quotas: Project) -> None:
    project, env = own_quotas, own_quotas.env
    svc = f"{env}-order-service"
    project.write("quotas/services.yaml", f"""\
        quotas:
          - user: {svc}
            producer_byte_rate: 10MiB
            consumer_byte_rate: 20MiB
            request_percentage: 50
          - user: {svc}
            client_id: web
            producer_byte_rate: 1MiB
          - user: {svc}
            client_id: default
            controller_mutation_rate: 2.5
        """)  # fmt: skip
    planned = project.run("plan", "--env", env, "-o", "json")
    assert planned.exit_code == 2, planned.output
    assert [(c["action"], c["name"]) for c in json.loads(planned.stdout)["changes"]] == [
        ("create", f"user={svc}"),
        ("create", f"user={svc}, client-id=<default>"),
        ("create", f"user={svc}, client-id={env}.web"),
    ]
    assert project.run("apply", "--env", env, "--auto-approve").exit_code == 0
    assert project.run("plan", "--env", env).exit_code == 0  # apply waited until the brokers show it
    live = described()
    assert live[(("user", svc),)] == {
        "producer_byte_rate": 10485760.0, "consumer_byte_rate": 20971520.0, "request_percentage": 50.0
    }
    assert live[(("client-id", f"{env}.web"), ("user", svc))] == {"producer_byte_rate": 1048576.0}
    assert live[(("client-id", None), ("user", svc))] == {"controller_mutation_rate": 2.5}

    project.write("quotas/services.yaml", f"""\
        quotas:
          - user: {svc}
            producer_byte_rate: 5MiB
            request_percentage: 50
          - user: {svc}
            client_id: web
            producer_byte_rate: 1MiB
        """)  # fmt: skip
    shown = project.run("plan", "--env", env)
    assert shown.exit_code == 2
    assert "producer_byte_rate  10485760 → 5242880" in shown.stdout
    assert f"- quota user={svc} [consumer_byte_rate]" in shown.stdout
    assert f"- quota user={svc}, client-id=<default>" in shown.stdout
    held = project.run("apply", "--env", env, "--auto-approve")
    assert held.exit_code == 2 and "2 skipped" in held.stdout
    assert described()[(("user", svc),)]["consumer_byte_rate"] == 20971520.0  # removals wait for the flag
    assert project.run("apply", "--env", env, "--auto-approve", "--allow-delete").exit_code == 0
    live = described()
    assert live[(("user", svc),)] == {"producer_byte_rate": 5242880.0, "request_percentage": 50.0}
    assert (("client-id", None), ("user", svc)) not in live
    assert project.run("plan", "--env", env).exit_code == 0


def _api_versions_round_trip(source: str, correlation: int) -> bool:
    """Connect from `source` (any 127/8 address is this host), send ApiVersions v0, read the
    answer's size; False when the broker resets the connection instead."""
    client_id = b"quota-test"
    body = struct.pack(">hhih", 18, 0, correlation, len(client_id)) + client_id
    with socket.socket() as sock:
        sock.settimeout(10)
        sock.bind((source, 0))
        try:
            sock.connect(("127.0.0.1", 19092))
            sock.sendall(struct.pack(">i", len(body)) + body)
            return len(sock.recv(4)) == 4
        except OSError:
            return False


@pytest.mark.kafka
def test_an_ip_quota_refuses_connections_over_its_rate_from_that_address_only(own_quotas: Project) -> None:
    """Kafka 4.1 takes IP connection-rate quotas through AlterClientQuotas (entity type ip). The
    quota is cluster-wide, so the test uses 127.0.0.2, an address nothing else connects from."""
    project, env = own_quotas, own_quotas.env
    project.write("quotas/ip.yaml", "quotas:\n  - {ip: 127.0.0.2, connection_creation_rate: 1}\n")
    try:
        assert project.run("apply", "--env", env, "--auto-approve").exit_code == 0
        assert described()[(("ip", "127.0.0.2"),)] == {"connection_creation_rate": 1.0}
        # the broker allows a burst of about one quota window (11 samples), then resets connections
        limited = [_api_versions_round_trip("127.0.0.2", i) for i in range(30)]
        free = [_api_versions_round_trip("127.0.0.3", i) for i in range(30)]
        assert limited.count(False) >= 5 and all(limited[:5])
        assert all(free)
        # cluster-wide entities are this environment's to remove only with policy.manage_cluster_quotas
        project.write("quotas/ip.yaml", "quotas: []\n")
        assert project.run("plan", "--env", env).exit_code == 0
        (project.root / "mqctl.yaml").write_text(
            (project.root / "mqctl.yaml").read_text() + "    policy:\n      manage_cluster_quotas: true\n"
        )
        plan = json.loads(project.run("plan", "--env", env, "-o", "json").stdout)
        assert ("delete", "ip=127.0.0.2") in [(c["action"], c["name"]) for c in plan["changes"]]
    finally:
        remove_quotas({(("ip", "127.0.0.2"),): {"connection_creation_rate": 1.0}})


# --- the SASL node: throttling for real ---------------------------------------------------------


@dataclass
class Produced:
    """What one producer saw: acknowledged bytes and throttle_cb events, each at its second since
    the start, and the largest broker throttle librdkafka's statistics reported (ms)."""

    seconds: float
    acked: list[tuple[float, int]] = field(default_factory=list)
    throttles: list[tuple[float, float]] = field(default_factory=list)  # (when, throttle ms)
    reported: int = 0

    @property
    def rate(self) -> float:
        return sum(size for _, size in self.acked) / self.seconds

    def cycle_rate(self, skip: float) -> tuple[float, float]:
        """(bytes/s, seconds measured) over whole throttle cycles after `skip`: the broker lets a
        throttled client through in steps and then holds it for seconds (a throttle of 1 s or
        more); from one such hold to the last, counting the steps acknowledged after the first."""
        holds = [at for at, ms in self.throttles if at >= skip and ms >= 1000]
        if len(holds) < 2:
            return 0.0, 0.0
        first, last = holds[0], holds[-1]
        acked = sum(size for at, size in self.acked if first + 0.5 < at <= last + 0.5)
        return acked / (last - first), last - first


def produce_for(user: str, password: str, topic: str, seconds: float) -> Produced:
    """Produce 10 kB records as fast as the client may for `seconds`."""
    stats: list[dict[str, Any]] = []
    produced = Produced(seconds)
    start = time.monotonic()
    producer = Producer({
        "bootstrap.servers": SASL_BOOTSTRAP, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": user, "sasl.password": password, "linger.ms": 5, "queue.buffering.max.kbytes": 1024,
        "statistics.interval.ms": 500, "stats_cb": lambda s: stats.append(json.loads(s)),
        "throttle_cb": lambda e: produced.throttles.append((time.monotonic() - start, e.throttle_time * 1000)),
    })  # fmt: skip
    payload = b"x" * 10_000

    def delivered(err: Any, msg: Any) -> None:
        if err is None and time.monotonic() - start < seconds:
            produced.acked.append((time.monotonic() - start, len(msg)))

    while time.monotonic() - start < seconds:
        try:
            producer.produce(topic, payload, on_delivery=delivered)
        except BufferError:
            producer.poll(0.05)
        producer.poll(0)
    producer.purge()
    producer.flush(10)
    produced.reported = max((b["throttle"]["max"] for s in stats for b in s["brokers"].values()), default=0)
    return produced


@pytest.fixture
def slow_user(secure_project: Project, sasl_admin: AdminClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A SCRAM user created by the test's own apply (users/), removed afterwards with its ACLs and quota."""
    user = f"{secure_project.env}-slow"
    monkeypatch.setenv("QUOTA_TEST_PASSWORD", uuid.uuid4().hex)
    yield user
    def sasl_request(request: Any) -> Any:
        from kafka.admin import KafkaAdminClient

        from mqctl.kafka.wire import exchange_addressed

        client = KafkaAdminClient(bootstrap_servers=[SASL_BOOTSTRAP], security_protocol="SASL_PLAINTEXT",
                                  sasl_mechanism="SCRAM-SHA-512", sasl_plain_username="admin",
                                  sasl_plain_password=ADMIN_PASSWORD, request_timeout_ms=15000)  # fmt: skip
        try:
            return exchange_addressed(client, [(request, None)], 15000)[0]
        finally:
            client.close()

    remove_quotas({(("user", user),): {"producer_byte_rate": 0.0}}, sasl_request)
    anything: Any = None
    for future in sasl_admin.delete_acls([AclBindingFilter(ResourceType.ANY, anything, ResourcePatternType.ANY,
                                          f"User:{user}", anything, AclOperation.ANY, AclPermissionType.ANY)]).values():
        future.result(timeout=15)  # fmt: skip
    delete = UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)
    for future in sasl_admin.alter_user_scram_credentials([delete]).values():
        try:
            future.result(timeout=15)
        except KafkaException as exc:  # never created, when the test failed before its apply did
            if exc.args[0].code() != KafkaError.RESOURCE_NOT_FOUND:
                raise


@pytest.mark.sasl
def test_a_producer_of_the_quotad_user_is_throttled_to_about_its_quota(secure_project: Project, slow_user: str) -> None:
    project, env = secure_project, secure_project.env
    project.write("users/a.yaml", f"users:\n  - name: {slow_user}\n    password: ${{QUOTA_TEST_PASSWORD}}\n")
    grant = f"{{principal: 'User:{slow_user}', role: producer, topics: [load.test.v1]}}"
    project.write("acls/a.yaml", f"acls:\n  - {grant}\n")
    project.write("topics/a.yaml", "topics:\n  - {name: load.test.v1, partitions: 1, replication_factor: 1}\n")
    project.write("quotas/a.yaml", f"quotas:\n  - {{user: {slow_user}, producer_byte_rate: 200KiB}}\n")
    applied = project.run("apply", "--env", env, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert f"created quota user={slow_user}" in applied.stdout

    # the broker's own tool reads the quota back
    shown = config_command("--describe", "--entity-type", "users", "--entity-name", slow_user)
    assert f"Quota configs for user-principal '{slow_user}' are producer_byte_rate=204800.0" in shown

    topic = f"{env}.load.test.v1"
    # A new client may send about ten seconds' worth of its quota at once (Kafka judges it as if it
    # had been quiet for 10 of the 11 one-second samples of its window); after that the broker lets
    # it through in steps of up to ~2 MB and holds it for seconds in between. So the first 10 s are
    # left out, and the rate is measured over whole hold-to-hold cycles after them (10 s or more; one
    # hold alone was seen to last 9.8 s, so 26 s after the first 10 gave only 8 s of whole cycles).
    slow = produce_for(slow_user, os.environ["QUOTA_TEST_PASSWORD"], topic, seconds=46)
    throttled, measured = slow.cycle_rate(skip=10)
    free = produce_for("admin", ADMIN_PASSWORD, topic, seconds=3)
    print(f"throttled {throttled:,.0f} B/s ({throttled / QUOTA:.2f}x the quota) over {measured:.1f} s of cycles, "
          f"statistics throttle max {slow.reported} ms, {len(slow.throttles)} throttle_cb events; "
          f"unthrottled {free.rate:,.0f} B/s")  # fmt: skip
    assert measured >= 10, f"broker holds after 10 s span less than 10 s: {slow.throttles}"
    assert 0.6 * QUOTA <= throttled <= 1.5 * QUOTA, f"{throttled:.0f} B/s against a quota of {QUOTA} B/s"
    assert free.rate >= 10 * throttled, f"unthrottled {free.rate:.0f} B/s, throttled {throttled:.0f} B/s"
    assert slow.reported > 0 and max(ms for _, ms in slow.throttles) > 0  # the broker said it throttled
    assert free.reported == 0 and free.throttles == []
