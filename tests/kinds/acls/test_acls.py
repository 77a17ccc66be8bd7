"""ACLs and SCRAM users against the real authorizer of the local SASL node.

mqctl connects as the super user admin (password from KAFKA_ADMIN_PASSWORD); the service users are
created by mqctl from users/*.yaml, with random names and passwords per test, and every user and
binding a test creates is removed in teardown.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramMechanism,
    UserScramCredentialDeletion,
)

from tests.conftest import ADMIN_PASSWORD, Project, Result, all_acls, delete_acls, sasl_admin_config

pytestmark = pytest.mark.sasl
QUIET = logging.getLogger("tests.librdkafka")  # refused logins are expected here, not noise for stderr
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False

TOPIC = "orders.created.v1"



@dataclass
class Users:
    """Random SCRAM users for one test: name -> (env var, password)."""

    env: str
    passwords: dict[str, tuple[str, str]]

    def name(self, role: str) -> str:
        return f"{self.env}-{role}"

    def password(self, role: str) -> str:
        return self.passwords[self.name(role)][1]

    def spec(self) -> str:
        return "users:\n" + "".join(
            f"  - name: {name}\n    password: ${{{var}}}\n" for name, (var, _) in self.passwords.items()
        )


@pytest.fixture
def users(secure_project: Project, sasl_admin: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Users]:
    """Three users (producer, consumer, nobody) with passwords in the environment; afterwards every
    ACL of theirs or under the test's prefix is deleted, and the users with them."""
    env = secure_project.env
    passwords = {}
    for role in ("producer", "consumer", "nobody"):
        var = f"MQCTL_TEST_{role.upper()}_PASSWORD"
        passwords[f"{env}-{role}"] = (var, "pw-" + secrets.token_hex(12))
        monkeypatch.setenv(var, passwords[f"{env}-{role}"][1])
    yield Users(env, passwords)
    ours = [b for b in all_acls(sasl_admin) if env in b.name or env in b.principal]
    delete_acls(sasl_admin, ours)
    existing = sasl_admin.describe_user_scram_credentials(request_timeout=10).result(timeout=15)
    gone = [UserScramCredentialDeletion(n, ScramMechanism.SCRAM_SHA_512) for n in passwords if n in existing]
    if gone:
        for future in sasl_admin.alter_user_scram_credentials(gone, request_timeout=10).values():
            future.result(timeout=15)


def _client(user: str, password: str, **extra: Any) -> dict[str, Any]:
    return {**sasl_admin_config(user, password), "logger": QUIET, **extra}


def authenticates(user: str, password: str, refused_for: float = 3.0) -> bool:
    """Whether the broker accepts `user`'s SCRAM login. librdkafka reports a refusal via error_cb
    and keeps retrying; a refusal counts once it has lasted `refused_for` seconds (a credential just
    set may take a moment to reach the node), not after the whole 15 s a metadata request may wait."""
    errors: list[KafkaError] = []
    admin = AdminClient(_client(user, password, error_cb=errors.append, logger=QUIET))
    deadline = time.monotonic() + 15
    refused_since: float | None = None
    while True:
        try:
            admin.list_topics(timeout=1)  # a metadata request: any authenticated user may send it
            return True
        except KafkaException:
            admin.poll(0.1)  # serves error_cb, which carries the reason
            now = time.monotonic()
            if any(e.code() == KafkaError._AUTHENTICATION for e in errors):
                refused_since = refused_since if refused_since is not None else now
                if now - refused_since >= refused_for:
                    return False
            if now > deadline:
                raise


def produce(user: str, password: str, topic: str) -> KafkaError | None:
    """Produce one message as `user`; the delivery error, or None when it was written."""
    errors: list[KafkaError | None] = []
    producer = Producer(_client(user, password, **{"message.timeout.ms": 10000}))
    producer.produce(topic, b"hello", on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(30)
    return errors[0] if errors else KafkaError(KafkaError._MSG_TIMED_OUT)


def consume(user: str, password: str, topic: str, group: str) -> bytes | KafkaError:
    """The first message `user` reads from `topic` as `group`, or the error the broker gives."""
    consumer = Consumer(_client(user, password, **{"group.id": group, "auto.offset.reset": "earliest"}))
    consumer.subscribe([topic])
    try:
        for _ in range(60):
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                return msg.error()  # type: ignore[no-any-return]
            return msg.value()  # type: ignore[no-any-return]
        return KafkaError(KafkaError._TIMED_OUT)
    finally:
        consumer.close()


def write_specs(project: Project, users: Users, producer_grant: bool = True) -> None:
    project.write("topics/orders.yaml", f"topics:\n  - name: {TOPIC}\n    partitions: 1\n    replication_factor: 1\n")
    acls = "acls:\n"
    if producer_grant:
        acls += f"  - principal: User:{users.name('producer')}\n    role: producer\n    topics: [{TOPIC}]\n"
    acls += (
        f"  - principal: User:{users.name('consumer')}\n    role: consumer\n    topics: [{TOPIC}]\n"
        "    group: order-processor-group\n"
    )
    project.write("acls/services.yaml", acls)
    project.write("users/services.yaml", users.spec())


def no_secrets(result: Result, users: Users) -> None:
    for secret in [ADMIN_PASSWORD, *(pw for _, pw in users.passwords.values())]:
        assert secret not in result.output


def test_grants_are_enforced_and_revoked_and_secrets_never_shown(secure_project: Project, users: Users) -> None:
    env, topic = secure_project.env, f"{secure_project.env}.{TOPIC}"
    write_specs(secure_project, users)

    planned = secure_project.run("plan", "--env", env, "-o", "json")
    assert planned.exit_code == 2, planned.output
    no_secrets(planned, users)
    plan = json.loads(planned.stdout)
    user_changes = [c for c in plan["changes"] if c["resource_type"] == "user"]
    assert {c["name"] for c in user_changes} == set(users.passwords)
    assert all("password set from $MQCTL_TEST_" in c["diffs"][0]["after"] for c in user_changes)

    applied = secure_project.run("apply", "--env", env, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    no_secrets(applied, users)
    again = secure_project.run("plan", "--env", env)
    assert again.exit_code == 0, again.output  # idempotent: nothing left to do

    # the declared users authenticate; WRITE is enforced per principal
    assert all(authenticates(name, pw) for name, (_, pw) in users.passwords.items())
    assert produce(users.name("producer"), users.password("producer"), topic) is None
    refused = produce(users.name("nobody"), users.password("nobody"), topic)
    assert refused is not None and refused.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    # a consumer reads with its own group only
    reader, password = users.name("consumer"), users.password("consumer")
    assert consume(reader, password, topic, f"{env}.order-processor-group") == b"hello"
    other = consume(reader, password, topic, f"{env}.someone-elses-group")
    assert isinstance(other, KafkaError) and other.code() == KafkaError.GROUP_AUTHORIZATION_FAILED

    # revoke: without --allow-delete the grant stays, with it the producer is refused
    write_specs(secure_project, users, producer_grant=False)
    held = secure_project.run("apply", "--env", env, "--auto-approve")
    assert held.exit_code == 2 and "needs --allow-delete" in held.output, held.output  # left undone: exit 2
    assert produce(users.name("producer"), users.password("producer"), topic) is None
    revoked = secure_project.run("apply", "--env", env, "--auto-approve", "--allow-delete")
    assert revoked.exit_code == 0, revoked.output
    assert "deleted acl allow User:" in revoked.output
    refused = produce(users.name("producer"), users.password("producer"), topic)
    assert refused is not None and refused.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_bindings_outside_the_scope_survive_allow_delete(
    secure_project: Project, users: Users, sasl_admin: Any
) -> None:
    env = secure_project.env
    outsider = f"User:{env}-outsider"
    foreign = AclBinding(ResourceType.TOPIC, f"x{env}.orders", ResourcePatternType.PREFIXED, outsider, "*",
                         AclOperation.READ, AclPermissionType.ALLOW)
    stray = AclBinding(ResourceType.TOPIC, f"{env}.stray.v1", ResourcePatternType.LITERAL, outsider, "*",
                       AclOperation.WRITE, AclPermissionType.ALLOW)
    for future in sasl_admin.create_acls([foreign, stray], request_timeout=10).values():
        future.result(timeout=15)
    write_specs(secure_project, users)

    result = secure_project.run("apply", "--env", secure_project.env, "--auto-approve", "--allow-delete")
    assert result.exit_code == 0, result.output
    left = {(b.name, b.principal) for b in all_acls(sasl_admin)}
    assert (foreign.name, outsider) in left  # another prefix: never ours
    assert (stray.name, outsider) not in left  # under our prefix and undeclared: deleted
    assert secure_project.run("plan", "--env", env).exit_code == 0


def test_unset_password_variable_fails_plan_naming_it_but_validate_needs_none(
    secure_project: Project, users: Users, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_specs(secure_project, users)
    monkeypatch.delenv("MQCTL_TEST_NOBODY_PASSWORD")
    assert secure_project.run("validate").exit_code == 0
    result = secure_project.run("plan", "--env", secure_project.env)
    assert result.exit_code == 1
    assert "users/services.yaml:" in result.output and "MQCTL_TEST_NOBODY_PASSWORD is not set" in result.output


def test_rotate_re_sets_the_password(secure_project: Project, users: Users, monkeypatch: pytest.MonkeyPatch) -> None:
    env, name = secure_project.env, users.name("producer")
    write_specs(secure_project, users)
    assert secure_project.run("apply", "--env", env, "--auto-approve").exit_code == 0
    old, new = users.password("producer"), "pw-" + uuid.uuid4().hex
    monkeypatch.setenv("MQCTL_TEST_PRODUCER_PASSWORD", new)
    assert secure_project.run("plan", "--env", env).exit_code == 0  # Kafka cannot see a new secret
    ref = "${MQCTL_TEST_PRODUCER_PASSWORD}\n"
    spec = users.spec().replace(ref, ref + "    rotate: true\n")
    secure_project.write("users/services.yaml", spec)
    result = secure_project.run("apply", "--env", env, "--auto-approve")
    assert result.exit_code == 0 and f"updated user {name}" in result.output, result.output
    assert new not in result.output and old not in result.output
    topic = f"{env}.{TOPIC}"
    assert produce(name, new, topic) is None
    assert authenticates(name, new) and not authenticates(name, old)


def test_a_user_with_two_mechanisms_is_created_and_can_log_in(secure_project: Project, users: Users) -> None:
    """Kafka refuses two alterations of one user in one request: mqctl must send them apart."""
    env, name = secure_project.env, users.name("producer")
    spec = users.spec().replace(
        "${MQCTL_TEST_PRODUCER_PASSWORD}\n",
        "${MQCTL_TEST_PRODUCER_PASSWORD}\n    mechanisms: [SCRAM-SHA-256, SCRAM-SHA-512]\n",
    )
    assert "SCRAM-SHA-256" in spec
    secure_project.write("users/services.yaml", spec)
    result = secure_project.run("apply", "--env", env, "--auto-approve")
    assert result.exit_code == 0, result.output
    assert f"created user {name}" in result.output
    assert authenticates(name, users.password("producer"))  # the node offers SCRAM-SHA-512
    assert secure_project.run("plan", "--env", env).exit_code == 0


def _admin_credentials(admin: Any) -> list[tuple[str, int]]:
    described = admin.describe_user_scram_credentials(["admin"], request_timeout=10)["admin"].result(timeout=15)
    return sorted((info.mechanism.name, info.iterations) for info in described.scram_credential_infos)


def test_a_spec_cannot_lock_mqctl_out(secure_project: Project, sasl_admin: Any,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """mqctl connects as admin. users/ re-declaring admin with another password, and acls/ taking
    admin's principal into scope (so its undeclared grants would be revoked), are refused by
    validate, plan and apply; admin logs in as before, with the same credential and grants
    (issue 12, item 4; unit tests: tests/unit/test_security_principal.py)."""
    from confluent_kafka.admin import ScramCredentialInfo, UserScramCredentialUpsertion

    env = secure_project.env
    other = "not-the-admin-password-" + secrets.token_hex(8)
    monkeypatch.setenv("OTHER_ADMIN_PASSWORD", other)
    before = _admin_credentials(sasl_admin)
    held = AclBinding(ResourceType.TOPIC, f"{env}.held.v1", ResourcePatternType.LITERAL, "User:admin", "*",
                      AclOperation.DESCRIBE, AclPermissionType.ALLOW)
    for future in sasl_admin.create_acls([held], request_timeout=10).values():
        future.result(timeout=15)
    try:
        secure_project.write("users/u.yaml", "users:\n  - name: admin\n    password: ${OTHER_ADMIN_PASSWORD}\n")
        for args in (("validate",), ("plan", "--env", env), ("apply", "--env", env, "--auto-approve")):
            result = secure_project.run(*args)
            assert result.exit_code == 1, result.output
            assert f"users/u.yaml:3: users[0].password: admin is the user mqctl connects to environment {env} as" in (
                result.output)
            assert other not in result.output and ADMIN_PASSWORD not in result.output

        secure_project.write("users/u.yaml", "users: []\n")
        secure_project.write("acls/a.yaml", "acls:\n  - principal: User:admin\n    resource_type: topic\n"
                                            "    name: other.v1\n    operations: [READ]\n")
        assert secure_project.run("validate").exit_code == 0  # only the live grants tell: plan's job
        for args in (("plan", "--env", env), ("apply", "--env", env, "--auto-approve", "--allow-delete")):
            result = secure_project.run(*args)
            assert result.exit_code == 1, result.output
            assert f"the plan would revoke allow User:admin DESCRIBE on topic:{env}.held.v1" in result.output
        left = {(b.name, b.principal, b.operation) for b in all_acls(sasl_admin)}
        assert (held.name, "User:admin", AclOperation.DESCRIBE) in left
        assert (f"{env}.other.v1", "User:admin", AclOperation.READ) not in left  # nothing applied
        assert authenticates("admin", ADMIN_PASSWORD) and not authenticates("admin", other)
        assert _admin_credentials(sasl_admin) == before
    finally:
        if not authenticates("admin", ADMIN_PASSWORD):  # never expected: put the shared node's admin back
            restore = AdminClient(_client("admin", other))
            info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, dict(before).get("SCRAM_SHA_512", 4096))
            upsert = UserScramCredentialUpsertion("admin", info, ADMIN_PASSWORD.encode())
            for future in restore.alter_user_scram_credentials([upsert], request_timeout=10).values():
                future.result(timeout=15)
        delete_acls(sasl_admin, [b for b in all_acls(sasl_admin) if env in b.name])
