"""The local cluster that `make cluster-up` starts is the one the rest of the suite relies on.

Checks the topology (3 nodes on racks dc-a/dc-b/dc-c and a 4th, broker-only, on dc-a; RF 3 / min ISR 2
writable with acks=all),
the SASL/ACL node (admin in, wrong password out, alice without ACLs refused), the registry, and
`mqctl cluster info` on both environments plus its failure on an unreachable bootstrap.
"""

from __future__ import annotations

import os
import socket
import struct
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mqctl.cli import app
from tests.conftest import REGISTRY_URL, SASL_BOOTSTRAP, Project, eventually, sasl_admin_config

REPO_ROOT = Path(__file__).resolve().parents[2]
QUIET = {"log_level": 0, "reconnect.backoff.max.ms": 1000}


def _topic(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}"


def _wait_for_metadata(admin: Any, topic: str) -> Any:
    """A new topic reaches every broker's metadata cache shortly after CreateTopics returns."""
    deadline = time.monotonic() + 15
    while True:
        meta = admin.list_topics(topic, timeout=10).topics[topic]
        if meta.error is None or time.monotonic() > deadline:
            return meta
        time.sleep(0.2)


def _cli(*args: str) -> Any:
    """Run mqctl in-process from the repository root (its mqctl.yaml has `dev` and `secure`)."""
    cwd = Path.cwd()
    os.chdir(REPO_ROOT)
    try:
        return CliRunner().invoke(app, list(args), catch_exceptions=False)
    finally:
        os.chdir(cwd)


@pytest.mark.kafka
def test_main_cluster_has_three_racks_and_a_fourth_broker_in_dc_a(dev_admin: Any) -> None:
    desc = dev_admin.describe_cluster(request_timeout=10).result(timeout=15)
    racks = {node.id: node.rack for node in desc.nodes}
    assert racks == {1: "dc-a", 2: "dc-b", 3: "dc-c", 4: "dc-a"}
    assert {(node.host, node.port) for node in desc.nodes} == {
        ("127.0.0.1", 19092), ("127.0.0.1", 29092), ("127.0.0.1", 39092), ("127.0.0.1", 59092)
    }
    assert desc.controller is not None


def _min_isr(admin: Any, resource: Any) -> str | None:
    from confluent_kafka import KafkaException

    try:
        return str(admin.describe_configs([resource])[resource].result(timeout=15)["min.insync.replicas"].value)
    except KafkaException:  # a broker that has not learnt of the new topic yet
        return None


@pytest.mark.kafka
def test_rf3_min_isr2_topic_takes_acks_all_writes(dev_admin: Any) -> None:
    from confluent_kafka import Producer
    from confluent_kafka.admin import ConfigResource, NewTopic

    name = _topic("localcluster")
    futures = dev_admin.create_topics(
        [NewTopic(name, num_partitions=3, replication_factor=3, config={"min.insync.replicas": "2"})],
        operation_timeout=30,
    )
    futures[name].result(timeout=40)
    try:
        meta = _wait_for_metadata(dev_admin, name)
        assert len(meta.partitions) == 3
        racks = {node.id: node.rack for node in dev_admin.describe_cluster(request_timeout=10).result(timeout=15).nodes}
        for partition in meta.partitions.values():  # one replica per rack (dc-a is kafka-1 or kafka-4)
            assert len({racks[replica] for replica in partition.replicas}) == 3
        resource = ConfigResource(ConfigResource.Type.TOPIC, name)
        assert eventually(lambda: _min_isr(dev_admin, resource) == "2")  # any broker may answer, lagging

        delivered: list[Any] = []
        producer = Producer({"bootstrap.servers": "127.0.0.1:19092", "acks": "all",
                             "enable.idempotence": True, **QUIET})
        for i in range(30):
            producer.produce(name, key=str(i).encode(), value=b"v",
                             on_delivery=lambda err, msg: delivered.append(err or msg))
        assert producer.flush(30) == 0
        errors = [d for d in delivered if not hasattr(d, "offset")]
        assert errors == []
        assert len(delivered) == 30
    finally:
        dev_admin.delete_topics([name], operation_timeout=30)[name].result(timeout=40)


@pytest.mark.sasl
def test_sasl_node_authenticates_admin_and_refuses_wrong_password(sasl_admin: Any) -> None:
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient

    desc = sasl_admin.describe_cluster(request_timeout=10).result(timeout=15)
    assert len(desc.nodes) == 1
    assert (desc.nodes[0].host, desc.nodes[0].port) == ("127.0.0.1", 49092)

    # librdkafka reports the refused login through error_cb; the request itself times out waiting
    # for a broker it never gets
    errors: list[Any] = []
    wrong = AdminClient(
        {**sasl_admin_config("admin", "not-the-password"), **QUIET, "error_cb": errors.append}
    )
    with pytest.raises(KafkaException) as refused:
        wrong.describe_cluster(request_timeout=2).result(timeout=10)  # a refused login: never answered
    assert refused.value.args[0].code() == KafkaError._TIMED_OUT
    wrong.poll(1)  # serves error_cb
    assert any(
        e.code() == KafkaError._AUTHENTICATION and "invalid credentials with SASL mechanism SCRAM-SHA-512" in e.str()
        for e in errors
    ), errors


@pytest.mark.sasl
def test_plain_mechanism_works_for_the_same_users(sasl_admin: Any) -> None:
    from confluent_kafka.admin import AdminClient

    plain = AdminClient({**sasl_admin_config(), "sasl.mechanism": "PLAIN", **QUIET})
    desc = plain.describe_cluster(request_timeout=10).result(timeout=15)
    assert len(desc.nodes) == 1


@pytest.mark.sasl
def test_alice_without_acls_is_refused(sasl_admin: Any) -> None:
    from confluent_kafka import KafkaError, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    name = _topic("localcluster")
    sasl_admin.create_topics([NewTopic(name, 1, 1)], operation_timeout=30)[name].result(timeout=40)
    try:
        # alice authenticates (SCRAM user created at format time) ...
        alice_admin = AdminClient({**sasl_admin_config("alice", "alice-secret"), **QUIET})
        desc = alice_admin.describe_cluster(request_timeout=10).result(timeout=15)
        assert len(desc.nodes) == 1
        # ... but sees no topic and may not write to one
        assert name not in alice_admin.list_topics(timeout=10).topics
        results: list[Any] = []
        producer = Producer({**sasl_admin_config("alice", "alice-secret"), "acks": "all",
                             "message.timeout.ms": 10000, **QUIET})
        producer.produce(name, b"x", on_delivery=lambda err, msg: results.append(err))
        producer.flush(15)
        assert len(results) == 1
        assert results[0] is not None and results[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, results
        # the super user sees it, so the refusal above is the authorizer's doing
        assert name in sasl_admin.list_topics(timeout=10).topics
    finally:
        sasl_admin.delete_topics([name], operation_timeout=30)[name].result(timeout=40)


def _unauthenticated_metadata(port: int) -> bytes:
    """The first bytes answering a Metadata v0 request sent straight away, without a SASL handshake
    (b"": the connection was closed instead). The connection itself must be accepted."""
    header = struct.pack(">hhih", 3, 0, 7, 1) + b"t"  # api key, version, correlation id 7, client id
    body = struct.pack(">i", 0)  # no topic names: all of them
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.settimeout(10)
        sock.sendall(struct.pack(">i", len(header + body)) + header + body)
        return sock.recv(8)


def _login_errors(user: str, password: str) -> list[Any]:
    """librdkafka's authentication errors while logging in to the controller port with SASL PLAIN."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient

    errors: list[Any] = []
    client = AdminClient({**sasl_admin_config(user, password), "bootstrap.servers": "127.0.0.1:49093",
                          "sasl.mechanism": "PLAIN", **QUIET, "error_cb": errors.append})
    with pytest.raises(KafkaException):  # a controller serves no client metadata, whoever logs in
        client.describe_cluster(request_timeout=3).result(timeout=8)
    client.poll(1)  # serves error_cb
    return [e for e in errors if e.code() == KafkaError._AUTHENTICATION]


@pytest.mark.sasl
def test_controller_listener_needs_credentials() -> None:
    """The SASL node's controller port accepts connections, but closes one that sends a request
    without authenticating first, and refuses every login but admin's."""
    assert struct.unpack(">ii", _unauthenticated_metadata(19092))[1] == 7  # a PLAINTEXT broker answers it
    assert _unauthenticated_metadata(49093) == b""  # the controller hangs up instead
    refused = _login_errors("alice", "alice-secret")
    assert refused and all("Invalid username or password" in e.str() for e in refused), refused
    assert _login_errors("admin", os.environ["KAFKA_ADMIN_PASSWORD"]) == []


@pytest.mark.registry
def test_registry_answers_confluent_api() -> None:
    with urllib.request.urlopen(f"{REGISTRY_URL}/subjects", timeout=10) as resp:
        assert resp.status == 200
        assert resp.read().strip().startswith(b"[")


@pytest.mark.kafka
def test_cluster_info_dev_lists_four_brokers(dev_admin: Any) -> None:
    res = _cli("cluster", "info", "--env", "dev", "--no-color")
    assert res.exit_code == 0, res.output
    assert "4 broker(s)" in res.stdout
    for port, rack in (("19092", "dc-a"), ("29092", "dc-b"), ("39092", "dc-c"), ("59092", "dc-a")):
        assert f"127.0.0.1:{port}" in res.stdout
        assert rack in res.stdout


@pytest.mark.sasl
def test_cluster_info_secure_uses_env_password_and_never_prints_it(
    sasl_admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = os.environ["KAFKA_ADMIN_PASSWORD"]
    monkeypatch.setenv("KAFKA_ADMIN_PASSWORD", password)
    res = _cli("cluster", "info", "--env", "secure", "--no-color")
    assert res.exit_code == 0, res.output
    assert "1 broker(s)" in res.stdout
    assert SASL_BOOTSTRAP in res.stdout
    assert password not in res.output

    as_json = _cli("cluster", "info", "--env", "secure", "-o", "json")
    assert as_json.exit_code == 0, as_json.output
    assert password not in as_json.output


@pytest.mark.sasl
def test_cluster_info_secure_wrong_password_fails_cleanly(
    sasl_admin: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # the repository's mqctl.yaml with a shorter timeout, so the refused login costs 5 s, not 15
    config = (REPO_ROOT / "mqctl.yaml").read_text()
    (tmp_path / "mqctl.yaml").write_text(config.replace("timeout_seconds: 15", "timeout_seconds: 5"))
    monkeypatch.setenv("KAFKA_ADMIN_PASSWORD", "wrong-password-1234")
    res = _cli("cluster", "info", "--env", "secure", "--root", str(tmp_path), "--no-color")
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    assert "authentication to environment 'secure' failed" in res.output  # said as such, not "unreachable"
    assert "wrong-password-1234" not in res.output


def test_cluster_info_unreachable_bootstrap_fails_fast(offline_project: Project) -> None:
    """Nothing listens on 127.0.0.1:1: exit 1 with a message, no traceback, within the default 15 s."""
    start = time.monotonic()
    res = offline_project.run("cluster", "info", "--env", offline_project.env, "--no-color")
    elapsed = time.monotonic() - start
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert "cannot reach Kafka environment" in res.output and "127.0.0.1:1" in res.output
    assert elapsed <= 15, f"took {elapsed:.1f} s with timeout_seconds: 15"


def test_a_listener_that_never_answers_fails_within_the_timeout(offline_project: Project) -> None:
    """A port that accepts connections and then says nothing (a hung broker): bounded by the timeout."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        config = offline_project.root / "mqctl.yaml"
        text = config.read_text().replace("127.0.0.1:1", f"127.0.0.1:{port}")
        config.write_text(text.replace("timeout_seconds: 15", "timeout_seconds: 3"))
        start = time.monotonic()
        res = offline_project.run("cluster", "info", "--env", offline_project.env, "--no-color")
        elapsed = time.monotonic() - start
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert f"127.0.0.1:{port}" in res.output and "no answer within 3s" in res.output
    assert elapsed <= 3 + 5, f"took {elapsed:.1f} s with timeout_seconds: 3"
