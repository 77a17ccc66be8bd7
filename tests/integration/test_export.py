"""Adopting a cluster: export what an environment holds, and the plan from the export is empty.

Everything is made out of band first (AdminClient, the registry's own client), the way a cluster
looks before mqctl. Exports from the shared 3-broker cluster declare its dynamic broker config too,
so those round trips hold the broker-config tests' lock: no such test changes it between the export
and the plan (the export itself only reads).
"""

from __future__ import annotations

import fcntl
import json
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient

from tests.conftest import ADMIN_PASSWORD, Project, all_acls, delete_acls, eventually, purge_subjects

pytestmark = pytest.mark.kafka


@pytest.fixture
def steady_broker_config() -> Iterator[None]:
    """The lock tests/integration/test_broker_config.py holds while it changes broker config."""
    with open(Path(tempfile.gettempdir()) / "mqctl-broker-config-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def seed(admin: AdminClient, env: str) -> None:
    """Topics made by hand, the way a cluster looks before mqctl: some with overrides, some without."""
    topics = [
        NewTopic(f"{env}.order.created.v1", 3, 3, config={"retention.ms": "604800000", "min.insync.replicas": "2"}),
        NewTopic(f"{env}.order.status.v1", 2, 2, config={"cleanup.policy": "compact,delete", "segment.ms": "3600000"}),
        NewTopic(f"{env}.payment.events.v1", 1, 1),
        NewTopic(f"{env}.payment.audit.v1", 1, 2, config={"max.message.bytes": "2097152", "retention.ms": "1234"}),
    ]
    for future in admin.create_topics(topics, operation_timeout=30).values():
        future.result(timeout=30)
    names = {t.topic for t in topics}
    assert eventually(lambda: names <= set(admin.list_topics(timeout=10).topics))


def test_export_then_plan_is_empty(project: Project, dev_admin: AdminClient, steady_broker_config: None) -> None:
    seed(dev_admin, project.env)
    result = project.run("export", "--env", project.env, "--out", "adopted")
    assert result.exit_code == 0, result.output
    out = project.root / "adopted"
    assert sorted(p.name for p in (out / "topics").iterdir()) == ["order.yaml", "payment.yaml"]
    order = (out / "topics" / "order.yaml").read_text()
    assert order.startswith("# yaml-language-server: $schema=../.mqctl/schemas/topics.schema.json\n")
    assert (out / ".mqctl" / "schemas" / "topics.schema.json").is_file()
    assert (out / "mqctl.yaml").read_text() == (project.root / "mqctl.yaml").read_text()
    created = yaml.safe_load(order)["topics"][0]
    assert created == {
        "name": "order.created.v1",
        "partitions": 3,
        "replication_factor": 3,
        "config": {"min.insync.replicas": 2, "retention.ms": "7d"},  # only overrides, readable
    }
    plain = yaml.safe_load((out / "topics" / "payment.yaml").read_text())["topics"]
    assert {"name": "payment.events.v1", "partitions": 1, "replication_factor": 1} in plain

    adopted = Project(out, project.env)
    assert adopted.run("validate", "--env", project.env).exit_code == 0
    plan = adopted.run("plan", "--env", project.env)
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.stdout


def test_export_selection_and_no_clobbering(project: Project, dev_admin: AdminClient) -> None:
    seed(dev_admin, project.env)
    selection = ("--include", "order.*", "--exclude", "*.status.*")
    result = project.run("export", "--env", project.env, "--out", "adopted", *selection)
    assert result.exit_code == 0, result.output
    assert [p.name for p in (project.root / "adopted" / "topics").iterdir()] == ["order.yaml"]
    assert [t["name"] for t in yaml.safe_load((project.root / "adopted/topics/order.yaml").read_text())["topics"]] == [
        "order.created.v1"
    ]
    assert f"{project.env}.order.status.v1" in result.stdout  # told: a plan would delete what was left out

    again = project.run("export", "--env", project.env, "--out", "adopted")
    assert again.exit_code == 1
    assert "would overwrite topics/order.yaml" in again.stderr
    assert project.run("export", "--env", project.env, "--out", "adopted", "--force").exit_code == 0



def round_trip(project: Project, *export_args: str) -> Project:
    """Export into adopted/, then plan there with the same mqctl.yaml: exit 0, no changes."""
    result = project.run("export", "--env", project.env, "--out", "adopted", *export_args)
    assert result.exit_code == 0, result.output
    adopted = Project(project.root / "adopted", project.env)
    plan = adopted.run("plan", "--env", project.env)
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.stdout
    return adopted


# ACLs and SCRAM users, on the SASL node


def _binding(kind: ResourceType, name: str, principal: str, op: AclOperation, **how: Any) -> AclBinding:
    pattern = how.get("pattern", ResourcePatternType.LITERAL)
    permission = how.get("permission", AclPermissionType.ALLOW)
    return AclBinding(kind, name, pattern, principal, how.get("host", "*"), op, permission)


def _seed_access(admin: Any, env: str) -> dict[str, str]:
    """Three SCRAM users (one owned only through policy.managed_users) and their grants; -> user ->
    password."""
    passwords = {f"{env}-{role}": "pw-" + secrets.token_hex(12) for role in ("orders", "payments", "batch")}
    mechanisms = {
        f"{env}-orders": [(ScramMechanism.SCRAM_SHA_512, 8192)],
        f"{env}-payments": [(ScramMechanism.SCRAM_SHA_256, 4096), (ScramMechanism.SCRAM_SHA_512, 4096)],
        f"{env}-batch": [(ScramMechanism.SCRAM_SHA_512, 4096)],
    }
    for mechanism in (ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512):  # a user once per request
        upserts = [
            UserScramCredentialUpsertion(user, ScramCredentialInfo(m, n), passwords[user].encode())
            for user, creds in mechanisms.items()
            for m, n in creds
            if m == mechanism
        ]
        for future in admin.alter_user_scram_credentials(upserts, request_timeout=10).values():
            future.result(timeout=15)
    orders, payments = f"User:{env}-orders", f"User:{env}-payments"
    topic, group, tx = ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID
    prefixed = ResourcePatternType.PREFIXED
    acls = [
        _binding(topic, f"{env}.orders.v1", orders, AclOperation.WRITE),
        _binding(topic, f"{env}.orders.v1", orders, AclOperation.DESCRIBE),
        _binding(topic, f"{env}.payments.v1", orders, AclOperation.READ),
        _binding(topic, f"{env}.payments.v1", orders, AclOperation.DESCRIBE),
        _binding(group, f"{env}.orders-group", orders, AclOperation.READ),
        _binding(topic, f"{env}.payments.", payments, AclOperation.WRITE, pattern=prefixed),
        _binding(topic, f"{env}.payments.", payments, AclOperation.DESCRIBE, pattern=prefixed),
        _binding(tx, f"{env}.payments-tx", payments, AclOperation.WRITE, pattern=prefixed),
        _binding(tx, f"{env}.payments-tx", payments, AclOperation.DESCRIBE, pattern=prefixed),
        _binding(ResourceType.BROKER, "kafka-cluster", payments, AclOperation.IDEMPOTENT_WRITE),
        _binding(topic, f"{env}.orders.v1", f"User:{env}-intruder", AclOperation.READ,
                 permission=AclPermissionType.DENY, host="10.1.2.3"),
    ]  # fmt: skip
    for future in admin.create_acls(acls, request_timeout=10).values():
        future.result(timeout=15)
    return passwords


@pytest.fixture
def seeded_access(secure_project: Project, sasl_admin: Any) -> Iterator[dict[str, str]]:
    """The seeded users and grants, all removed afterwards."""
    env = secure_project.env
    with open(secure_project.root / "mqctl.yaml", "a") as config:
        config.write(f'    policy:\n      managed_users: ["{env}-batch"]\n')
    passwords = _seed_access(sasl_admin, env)
    yield passwords
    delete_acls(sasl_admin, [b for b in all_acls(sasl_admin) if env in b.name or env in b.principal])
    _delete_users(sasl_admin, set(passwords))


def _delete_users(admin: Any, names: set[str]) -> None:
    existing = admin.describe_user_scram_credentials(request_timeout=10).result(timeout=15)
    for mechanism in (ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512):  # a user once per request
        gone = [
            UserScramCredentialDeletion(user, mechanism)
            for user, description in existing.items()
            if user in names and any(i.mechanism == mechanism for i in description.scram_credential_infos)
        ]
        if gone:
            for future in admin.alter_user_scram_credentials(gone, request_timeout=10).values():
                future.result(timeout=15)


@pytest.mark.sasl
def test_acls_and_users_round_trip_without_passwords(
    secure_project: Project, seeded_access: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = secure_project.env
    variables = {f"{env.upper()}_{role.upper()}_PASSWORD": f"{env}-{role}" for role in ("orders", "payments", "batch")}
    for variable in variables:
        monkeypatch.delenv(variable, raising=False)
    result = secure_project.run("export", "--env", env, "--out", "adopted")
    assert result.exit_code == 0, result.output
    assert "set before plan/apply: " + ", ".join(sorted(variables)) in " ".join(result.stdout.split())
    out = secure_project.root / "adopted"
    written = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    for secret in [ADMIN_PASSWORD, *seeded_access.values()]:
        assert secret not in result.output and secret not in written
    assert yaml.safe_load((out / "users" / "users.yaml").read_text())["users"] == [
        {"name": f"{env}-batch", "password": f"${{{env.upper()}_BATCH_PASSWORD}}", "mechanisms": ["SCRAM-SHA-512"],
         "iterations": 4096},
        {"name": f"{env}-orders", "password": f"${{{env.upper()}_ORDERS_PASSWORD}}",
         "mechanisms": ["SCRAM-SHA-512"], "iterations": 8192},
        {"name": f"{env}-payments", "password": f"${{{env.upper()}_PAYMENTS_PASSWORD}}",
         "mechanisms": ["SCRAM-SHA-256", "SCRAM-SHA-512"], "iterations": 4096},
    ]  # fmt: skip
    assert yaml.safe_load((out / "acls" / "acls.yaml").read_text())["acls"] == [
        {"principal": f"User:{env}-intruder", "resource_type": "topic", "name": "orders.v1", "operations": ["READ"],
         "permission": "deny", "host": "10.1.2.3"},
        {"principal": f"User:{env}-orders", "role": "consumer", "topics": ["payments.v1"], "group": "orders-group"},
        {"principal": f"User:{env}-orders", "role": "producer", "topics": ["orders.v1"]},
        {"principal": f"User:{env}-payments", "role": "transactional-producer", "topics": ["payments."],
         "transactional_id": "payments-tx", "pattern_type": "prefixed"},
        {"principal": f"User:{env}-payments", "resource_type": "cluster", "operations": ["IDEMPOTENT_WRITE"]},
    ]  # fmt: skip

    adopted = Project(out, env)
    unset = adopted.run("plan", "--env", env)
    assert unset.exit_code == 1 and f"{env.upper()}_ORDERS_PASSWORD is not set" in unset.output
    for variable, user in variables.items():
        monkeypatch.setenv(variable, seeded_access[user])
    plan = adopted.run("plan", "--env", env)
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.stdout


# schema-registry subjects, on the shared registry

HEADER = {"type": "record", "name": "Header", "namespace": "shop", "fields": [{"name": "id", "type": "string"}]}
ORDER = {"type": "record", "name": "Order", "namespace": "shop", "fields": [{"name": "header", "type": "shop.Header"}]}
PAYMENT = 'syntax = "proto3";\npackage shop;\n\nmessage Payment {\n  string id = 1;\n  int64 cents = 2;\n}\n'
ENVELOPE = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}


@pytest.fixture
def subjects(project: Project, registry: SchemaRegistryClient) -> Iterator[str]:
    """An Avro subject with its own level referenced at an older version, JSON Schema and Protobuf
    subjects; -> the environment prefix. Purged afterwards."""
    prefix = project.env + "."
    header, order = f"{prefix}shop.header", f"{prefix}order.created.v1-value"
    registry.register_schema(header, Schema(json.dumps(HEADER), "AVRO"))
    registry.set_compatibility(header, "FULL")
    registry.register_schema(order, Schema(json.dumps(ORDER), "AVRO", [SchemaReference("shop.Header", header, 1)]))
    newer = {**HEADER, "fields": [*HEADER["fields"], {"name": "trace", "type": ["null", "string"], "default": None}]}
    registry.register_schema(header, Schema(json.dumps(newer), "AVRO"))  # order still references version 1
    registry.register_schema(f"{prefix}payment.v1-value", Schema(PAYMENT, "PROTOBUF"))
    registry.register_schema(f"{prefix}envelope", Schema(json.dumps(ENVELOPE), "JSON"))
    yield prefix
    purge_subjects(registry, prefix)


@pytest.mark.registry
def test_subjects_round_trip(project: Project, subjects: str, steady_broker_config: None) -> None:
    adopted = round_trip(project)
    folder = adopted.root / "schemas"
    assert sorted(p.name for p in folder.iterdir()) == [
        "envelope.schema.json", "order.created.v1-value.avsc", "payment.v1-value.proto", "shop.header.avsc",
        "subjects.yaml",
    ]  # fmt: skip
    entries = {e["subject"]: e for e in yaml.safe_load((folder / "subjects.yaml").read_text())["subjects"]}
    assert entries["shop.header"] == {
        "subject": "shop.header", "type": "AVRO", "file": "shop.header.avsc", "compatibility": "FULL"
    }  # fmt: skip
    assert entries["order.created.v1-value"]["references"] == [
        {"name": "shop.Header", "subject": "shop.header", "version": 1}
    ]
    assert json.loads((folder / "envelope.schema.json").read_text()) == ENVELOPE
    assert "message Payment" in (folder / "payment.v1-value.proto").read_text()
