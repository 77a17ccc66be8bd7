"""MirrorMaker 2 from the example specs, against the real worker and both local clusters.

The specs are the repository's own connectors/mirror.yaml and acls/mirror.yaml with the test's
names put in (each replaced text must be there, so the example cannot drift from what is proven):
the source environment `<env>` on the 3-node cluster runs the connectors; the DR environment
`<env>dr` on the SASL node holds the copies, the mirror user and its ACLs. MirrorMaker logs in there
as that user, so the example's ACLs are proven sufficient too.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    CONNECT_URL,
    DEV_BOOTSTRAP,
    SASL_BOOTSTRAP,
    Project,
    all_acls,
    consume,
    delete_acls,
    delete_connectors,
    delete_topics,
    sasl_admin_config,
    unique_env,
)

pytestmark = [pytest.mark.kafka, pytest.mark.sasl]

REPO = Path(__file__).resolve().parents[3]
MESSAGES = 10


def example(path: str, replacements: dict[str, str]) -> str:
    text = (REPO / path).read_text()
    for old, new in replacements.items():
        assert old in text, f"{path} no longer holds {old!r}: update this test with the example"
        text = text.replace(old, new)
    return text


def topics(admin: Any) -> set[str]:
    return set(admin.list_topics(timeout=10).topics)


def delete_user(admin: Any, user: str) -> None:
    from confluent_kafka.admin import ScramMechanism, UserScramCredentialDeletion

    for future in admin.alter_user_scram_credentials(
        [UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)]
    ).values():
        with contextlib.suppress(Exception):
            future.result()


@pytest.fixture
def mirror(tmp_path: Path, dev_admin: Any, sasl_admin: Any, connect_worker: Any) -> Iterator[Project]:
    """Two environments in one project (`<env>` with the worker, `<env>dr` on the SASL node) and
    everything they and MirrorMaker create removed afterwards, on both clusters."""
    env = unique_env()
    dr, user = f"{env}dr", f"{env}-mm"
    had_heartbeats = "heartbeats" in topics(dev_admin)
    (tmp_path / "mqctl.yaml").write_text(
        "environments:\n"
        f"  {env}:\n    bootstrap_servers: {DEV_BOOTSTRAP}\n    timeout_seconds: 15\n"
        f"    connect:\n      url: {CONNECT_URL}\n"
        f"  {dr}:\n    bootstrap_servers: {SASL_BOOTSTRAP}\n    timeout_seconds: 15\n"
        "    security:\n      protocol: SASL_PLAINTEXT\n      sasl_mechanism: SCRAM-SHA-512\n"
        "      username: admin\n      password: ${KAFKA_ADMIN_PASSWORD}\n"
        "    overrides:\n      max_replication_factor: 1\n"
        f'    policy:\n      protected_topics: ["{env}.*", "heartbeats", "checkpoints.internal"]\n'
    )
    yield Project(tmp_path, env)
    delete_connectors(connect_worker, env + ".")
    mine = [t for t in topics(dev_admin) if t.startswith(env + ".") or t == f"mm2-offset-syncs.{env}tgt.internal"]
    delete_topics(dev_admin, mine + ([] if had_heartbeats else ["heartbeats"]))
    delete_topics(sasl_admin, [t for t in topics(sasl_admin) if t.startswith(dr + ".")])
    delete_acls(sasl_admin, [b for b in all_acls(sasl_admin) if b.principal == f"User:{user}"])
    for admin in (dev_admin, sasl_admin):
        delete_user(admin, user)


def test_mirrormaker_copies_orders_to_the_dr_cluster_with_checkpoints_and_heartbeats(
    mirror: Project, dev_admin: Any, sasl_admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from confluent_kafka import Producer

    env = mirror.env
    dr, user, variable = f"{env}dr", f"{env}-mm", f"{env.upper()}_MM_PASSWORD"
    password = f"mm-{uuid.uuid4().hex}"
    monkeypatch.setenv(variable, password)
    mirror.write("topics/orders.yaml", "topics:\n  - {name: order.created.v1, partitions: 2, replication_factor: 3}\n")
    mirror.write("users/mirror.yaml", f"users:\n  - {{name: {user}, password: '${{{variable}}}'}}\n")
    mirror.write("acls/mirror.yaml", example("acls/mirror.yaml", {
        "principal: User:mirror-maker": f"principal: User:{user}",
        "name: dev.": f"name: {env}.",
    }))
    mirror.write("connectors/mirror.yaml", example("connectors/mirror.yaml", {
        "source.cluster.alias: secure": f"source.cluster.alias: {dr}",
        "target.cluster.alias: dr": f"target.cluster.alias: {env}tgt",
        'username="mirror-maker"': f'username="{user}"',
        "MIRROR_MAKER_PASSWORD": variable,
        "refresh.topics.interval.seconds: 60": "refresh.topics.interval.seconds: 5",
        "refresh.groups.interval.seconds: 60": "refresh.groups.interval.seconds: 5",
        "emit.checkpoints.interval.seconds: 10": "emit.checkpoints.interval.seconds: 1",
    }))
    outputs = []
    for name in (dr, env):  # the DR side first: the mirror user must exist before MirrorMaker logs in
        outputs.append(mirror.run("apply", "--env", name, "--auto-approve", "--no-color"))
        assert outputs[-1].exit_code == 0, outputs[-1].output
    assert f"+ connector {env}.mirror-source" in outputs[-1].output

    producer = Producer({"bootstrap.servers": DEV_BOOTSTRAP})
    sent = [f"order-{i}".encode() for i in range(MESSAGES)]
    for i, value in enumerate(sent):
        producer.produce(f"{env}.order.created.v1", key=f"user-{i % 3}".encode(), value=value)
    assert producer.flush(15) == 0
    group = f"{env}.order-processor-group"
    processed = consume({"bootstrap.servers": DEV_BOOTSTRAP}, f"{env}.order.created.v1", MESSAGES, group=group)
    assert len(processed) == MESSAGES

    dr_client = sasl_admin_config()
    copies = consume(dr_client, f"{dr}.{env}.order.created.v1", MESSAGES, seconds=90)
    assert sorted(m.value() for m in copies) == sorted(sent)
    checkpoints = consume(dr_client, f"{dr}.checkpoints.internal", 1, seconds=90)
    assert checkpoints, "no checkpoint reached the DR cluster"
    assert group.encode() in checkpoints[0].key()  # a checkpoint of the group's offsets
    assert consume(dr_client, f"{dr}.heartbeats", 1, seconds=60), "no heartbeat was copied"

    status = mirror.run("connectors", "status", "--env", env, "--no-color")
    assert status.exit_code == 0, status.output
    for name in (env, dr):  # converged: the copies are protected on the DR side, not deleted
        outputs.append(mirror.run("plan", "--env", name, "--no-color"))
        assert outputs[-1].exit_code == 0, outputs[-1].output
    assert f"{dr}.{env}.order.created.v1 is not in the specs but is protected" in outputs[-1].output
    assert "has no connect:" in outputs[-1].output  # the DR environment runs no connectors itself
    for result in [*outputs, status]:
        assert password not in result.output
