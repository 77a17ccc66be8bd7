"""ACLs for certificate and OAuth principals, applied by mqctl over mutual TLS (as the super user
mqctl-admin) and enforced by the SASL node's authorizer.

`User:order-service` is both the principal mapped from the client certificate CN=order-service (mTLS
listener, `ssl.principal.mapping.rules`) and the `sub` of the tokens the local issuer gives the OAuth
client order-service (SASL_SSL OAUTHBEARER listener). The ACLs granted to it let it produce and
consume through either listener; analytics-service, granted nothing, is refused through both; once
mqctl deletes the grants, order-service is refused too.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, Producer

from tests.conftest import (
    SASL_SSL_BOOTSTRAP,
    SSL_BOOTSTRAP,
    TLS_DIR,
    TOKEN_URL,
    Project,
    all_acls,
    assert_no_secrets,
    config_text,
    delete_acls,
    delete_prefixed,
    tls_security,
    unique_env,
)

pytestmark = pytest.mark.sasl
QUIET = logging.getLogger("tests.acl-principals")  # refused clients are expected here, not noise
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False
TOPIC = "orders.created.v1"
GROUP = "order-processor-group"


def by_certificate(cn: str) -> dict[str, Any]:
    """A librdkafka client on the mTLS listener with client certificate CN=`cn`."""
    return {"bootstrap.servers": SSL_BOOTSTRAP, "security.protocol": "SSL", "ssl.ca.location": str(TLS_DIR / "ca.crt"),
            "ssl.certificate.location": str(TLS_DIR / f"{cn}.crt"), "ssl.key.location": str(TLS_DIR / f"{cn}.key"),
            "logger": QUIET}  # fmt: skip


def by_token(client: str) -> dict[str, Any]:
    """A librdkafka client on the SASL_SSL listener with the local issuer's tokens for `client`."""
    return {"bootstrap.servers": SASL_SSL_BOOTSTRAP, "security.protocol": "SASL_SSL",
            "ssl.ca.location": str(TLS_DIR / "ca.crt"), "sasl.mechanism": "OAUTHBEARER",
            "sasl.oauthbearer.method": "oidc", "sasl.oauthbearer.client.id": client,
            "sasl.oauthbearer.client.secret": f"{client}-secret", "sasl.oauthbearer.token.endpoint.url": TOKEN_URL,
            "sasl.oauthbearer.scope": "kafka", "logger": QUIET}  # fmt: skip


CONNECT: dict[str, Callable[[str], dict[str, Any]]] = {"certificate": by_certificate, "oauth": by_token}


def produce(conf: dict[str, Any], topic: str, value: bytes) -> KafkaError | None:
    """Produce one message; the delivery error, or None when it was written."""
    errors: list[KafkaError | None] = []
    producer = Producer({**conf, "message.timeout.ms": 10000})
    producer.produce(topic, value, on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(30)
    return errors[0] if errors else KafkaError(KafkaError._MSG_TIMED_OUT)


def consume(conf: dict[str, Any], topic: str, group: str) -> list[bytes] | KafkaError:
    """Every message of `topic` read from the beginning as `group` (until 3 s pass without one), or
    the error the broker gives."""
    consumer = Consumer({**conf, "group.id": group, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    values: list[bytes] = []
    try:
        idle = 0
        for _ in range(60):
            msg = consumer.poll(1.0)
            if msg is None:
                idle += 1
                if values and idle >= 3:
                    break
                continue
            if msg.error():
                return msg.error()  # type: ignore[no-any-return]
            values.append(msg.value())
            idle = 0
        return values
    finally:
        consumer.close()


@pytest.fixture
def mtls_project(tmp_path: Path, tls_listeners: Path, sasl_admin: Any) -> Iterator[Project]:
    """A project applied over mTLS as mqctl-admin; its topics and ACLs are removed afterwards."""
    env = unique_env()
    overrides = "    overrides:\n      max_replication_factor: 1\n"
    (tmp_path / "mqctl.yaml").write_text(config_text(env, SSL_BOOTSTRAP, tls_security("mqctl-admin"), overrides))
    yield Project(tmp_path, env)
    delete_acls(sasl_admin, [b for b in all_acls(sasl_admin) if env in b.name])
    delete_prefixed(sasl_admin, env + ".")


def write_specs(project: Project, grant: bool) -> None:
    project.write("topics/orders.yaml", f"topics:\n  - name: {TOPIC}\n    partitions: 1\n    replication_factor: 1\n")
    acls = f"""\
        acls:
          - principal: User:order-service    # CN=order-service, and the OAuth client order-service's sub
            role: producer
            topics: [{TOPIC}]
          - principal: User:order-service
            role: consumer
            group: {GROUP}
            topics: [{TOPIC}]
        """
    project.write("acls/services.yaml", acls if grant else "acls: []\n")


def test_certificate_and_oauth_principals_get_exactly_what_mqctl_granted(
    mtls_project: Project, sasl_admin: Any
) -> None:
    env = mtls_project.env
    topic, group = f"{env}.{TOPIC}", f"{env}.{GROUP}"
    write_specs(mtls_project, grant=True)
    plan = mtls_project.run("plan", "--env", env, "--no-color")
    assert plan.exit_code == 2 and "User:order-service" in plan.stdout, plan.output
    applied = mtls_project.run("apply", "--env", env, "--auto-approve", "--no-color")
    assert applied.exit_code == 0, applied.output
    granted = {(b.name, b.operation.name) for b in all_acls(sasl_admin) if b.principal == "User:order-service"}
    assert {(topic, "WRITE"), (topic, "READ"), (topic, "DESCRIBE"), (group, "READ")} <= granted

    for how, connect in CONNECT.items():
        value = f"via {how} {uuid.uuid4().hex}".encode()
        assert produce(connect("order-service"), topic, value) is None, how
        read = consume(connect("order-service"), topic, f"{group}")
        assert isinstance(read, list) and value in read, (how, read)
        refused = produce(connect("analytics-service"), topic, b"not allowed")
        assert refused is not None and refused.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, (how, refused)
        unread = consume(connect("analytics-service"), topic, f"{env}.analytics-group")
        assert isinstance(unread, KafkaError), (how, unread)
        assert unread.code() in (KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED)

    write_specs(mtls_project, grant=False)  # mqctl revokes: order-service is refused through both listeners
    revoked = mtls_project.run("apply", "--env", env, "--auto-approve", "--allow-delete", "--no-color")
    assert revoked.exit_code == 0 and "deleted acl allow User:order-service" in revoked.output, revoked.output
    for how, connect in CONNECT.items():
        refused = produce(connect("order-service"), topic, b"no longer allowed")
        assert refused is not None and refused.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, (how, refused)
    assert mtls_project.run("plan", "--env", env, "--no-color").exit_code == 0
    assert_no_secrets(mtls_project.outputs)
