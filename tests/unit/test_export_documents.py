"""Export, pure part: live snapshots become spec documents that read back to the same state.

Every kind is checked the strong way too: the exported files are loaded by the real spec loader
(JSON Schemas and all rules) and planned against the snapshot they came from; the plan is empty.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mqctl.config import DEFAULT_NAMING_PATTERN, Environment, Policy, ProjectConfig, SecurityConfig
from mqctl.exporting import Export, ExportContext, Selection, config_value, merge, schema_comment
from mqctl.kind import Snapshots
from mqctl.kinds import KINDS, managed
from mqctl.kinds.acls import KIND as ACLS
from mqctl.kinds.acls.live import LiveAcls
from mqctl.kinds.acls.model import AclBinding
from mqctl.kinds.brokers.live import LiveBrokerConfigs
from mqctl.kinds.groups.live import LiveGroup, LiveGroups
from mqctl.kinds.quotas.model import LiveQuotas, QuotaEntity
from mqctl.kinds.schemas.live import LiveSubject, RegistryState
from mqctl.kinds.schemas.model import SubjectReference
from mqctl.kinds.topics.live import LiveTopic, LiveTopics
from mqctl.kinds.users.changes import LiveUsers
from mqctl.kinds.users.export import password_variables
from mqctl.live import LiveConfig
from mqctl.spec.loader import load_specs
from mqctl.workflows.export import write_files
from mqctl.workflows.plan import compute_plan

ENV = Environment("dev", "127.0.0.1:1")
EVERYTHING = Selection()
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


def topic(name: str, partitions: int = 2, rf: int = 3, **overrides: str) -> LiveTopic:
    configs = {k.replace("_", "."): LiveConfig(v, "DYNAMIC_TOPIC_CONFIG") for k, v in overrides.items()}
    configs["segment.bytes"] = LiveConfig("1073741824", "DEFAULT_CONFIG")
    configs["min.insync.replicas"] = configs.get("min.insync.replicas", LiveConfig("1", "STATIC_BROKER_CONFIG"))
    return LiveTopic(name, partitions, tuple(tuple(range(rf)) for _ in range(partitions)), configs)


def snapshots(
    topics: tuple[LiveTopic, ...] = (),
    acls: tuple[AclBinding, ...] = (),
    users: dict[str, dict[str, int]] | None = None,
    subjects: tuple[LiveSubject, ...] = (),
    brokers: LiveBrokerConfigs | None = None,
    groups: LiveGroups | None = None,
    quotas: LiveQuotas | None = None,
) -> Snapshots:
    return Snapshots({
        "topics": LiveTopics((1, 2, 3), {t.name: t for t in topics}, frozenset(t.name for t in topics)),
        "acls": LiveAcls(frozenset(acls), AUTHORIZER),
        "users": LiveUsers(users or {}),
        "schemas": RegistryState({s.name: s for s in subjects}),
        "brokers": brokers or LiveBrokerConfigs({}, {1: {}, 2: {}, 3: {}}),
        "groups": groups or LiveGroups({}, {}),
        "connectors": {},  # exported in tests/kinds/connectors/test_connector_export.py
        "quotas": quotas or LiveQuotas({}),
    })


def run(live: Snapshots, select: Selection = EVERYTHING, env: Environment = ENV) -> Export:
    ctx = ExportContext(env, re.compile(DEFAULT_NAMING_PATTERN), select)
    return merge([kind.export(live, ctx) for kind in KINDS])


def export(live: Snapshots, select: Selection = EVERYTHING, env: Environment = ENV) -> dict[str, Any]:
    result = run(live, select, env)
    return {f.path: f.text for f in result.files} | {"left_out": result.left_out, "notes": result.notes}


def round_trip(
    tmp_path: Path, live: Snapshots, env: Environment = ENV, select: Selection = EVERYTHING,
    warned: tuple[str, ...] = (),
) -> None:
    """Write the export, load it with the real loader, plan it against the same snapshots: no
    problem but the warnings expected (keys of what the live state really grants), no change."""
    write_files(tmp_path, run(live, select, env).files, force=False)
    desired, problems = load_specs(ProjectConfig(tmp_path, env))
    assert [(p.severity.value, p.key) for p in problems] == [("warning", key) for key in warned]
    plan = compute_plan(desired, live, env, managed(desired.folders))
    assert list(plan.changes) == []
    assert list(plan.diagnostics) == []




# topics


def test_one_file_per_domain_only_overrides_names_without_env(tmp_path: Path) -> None:
    live = snapshots(
        topics=(
            topic("dev.order.created.v1", retention_ms="604800000", cleanup_policy="compact,delete"),
            topic("dev.payment.events.v1", partitions=1, rf=1),
        )
    )
    out = export(live)
    order = str(out["topics/order.yaml"])
    assert order.startswith("# yaml-language-server: $schema=../.mqctl/schemas/topics.schema.json\n")
    assert yaml.safe_load(order) == {
        "topics": [
            {
                "name": "order.created.v1",
                "partitions": 2,
                "replication_factor": 3,
                "config": {"cleanup.policy": "compact,delete", "retention.ms": "7d"},
            }
        ]
    }
    assert yaml.safe_load(str(out["topics/payment.yaml"])) == {
        "topics": [{"name": "payment.events.v1", "partitions": 1, "replication_factor": 1}]
    }
    round_trip(tmp_path, live)


def test_selection_leaves_out_and_reports() -> None:
    out = export(
        snapshots(topics=(topic("dev.order.created.v1"), topic("dev.order.dlq.v1"))),
        select=Selection(exclude=("*.dlq.*",)),
    )
    assert out["left_out"] == ["dev.order.dlq.v1"]
    assert "dlq" not in str(out["topics/order.yaml"])


def test_names_breaking_the_naming_rule_are_exported_with_a_note() -> None:
    out = export(snapshots(topics=(topic("dev.Legacy_Orders"),)))
    assert "topics/Legacy_Orders.yaml" in out
    assert out["notes"] == ["dev.Legacy_Orders breaks the naming rule of mqctl.yaml; validate will reject it"]


def test_config_values_read_back_exactly() -> None:
    assert config_value("retention.ms", "604800000") == "7d"
    assert config_value("retention.ms", "1234") == 1234
    assert config_value("retention.ms", "-1") == -1
    assert config_value("max.message.bytes", "2097152") == 2097152
    assert config_value("min.cleanable.dirty.ratio", "0.3") == "0.3"


def test_schema_comment_follows_the_depth_of_the_file() -> None:
    assert schema_comment("topics/a/b.yaml", "topics") == (
        "# yaml-language-server: $schema=../../.mqctl/schemas/topics.schema.json\n"
    )


def test_kinds_with_nothing_live_write_nothing() -> None:
    assert run(snapshots()).files == []


# ACLs and users


def allow(principal: str, kind: str, name: str, *ops: str, pattern: str = "literal") -> list[AclBinding]:
    return [AclBinding(principal, kind, name, pattern, op) for op in ops]


SERVICE = (
    *allow("User:order-service", "topic", "dev.order.created.v1", "WRITE", "DESCRIBE"),
    *allow("User:order-service", "topic", "dev.payment.success.v1", "READ", "DESCRIBE"),
    *allow("User:order-service", "topic", "dev.order.created.v1", "READ"),  # consumes what it produces
    *allow("User:order-service", "group", "dev.order-processor-group", "READ"),
    *allow("User:payment-service", "topic", "dev.payment.", "WRITE", "DESCRIBE", pattern="prefixed"),
    *allow("User:payment-service", "transactional_id", "dev.payment-service", "WRITE", "DESCRIBE", pattern="prefixed"),
    *allow("User:payment-service", "cluster", "kafka-cluster", "IDEMPOTENT_WRITE"),
    AclBinding("User:intruder", "topic", "dev.payment.events.v1", "literal", "READ", "deny", "10.0.0.7"),
    *allow("User:order-service", "topic", "*", "DESCRIBE"),  # the wildcard, of a principal it declares
)
OTHERS = (
    *allow("User:staging-service", "topic", "staging.order.created.v1", "READ"),  # another environment
    *allow("User:*", "topic", "*", "DESCRIBE"),  # a wildcard of a principal nobody here declares
)
USERS = {
    "order-service": {"SCRAM-SHA-512": 8192},
    "payment-service": {"SCRAM-SHA-256": 4096, "SCRAM-SHA-512": 4096},
    "staging-service": {"SCRAM-SHA-512": 8192},
    "admin": {"SCRAM-SHA-512": 4096},
}
VARIABLES = {"ORDER_SERVICE_PASSWORD": "x" * 12, "PAYMENT_SERVICE_PASSWORD": "y" * 12}


def test_acls_fold_into_roles_only_where_exact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    live = snapshots(acls=SERVICE + OTHERS, users=USERS)
    out = export(live)
    assert yaml.safe_load(str(out["acls/acls.yaml"]))["acls"] == [
        {"principal": "User:intruder", "resource_type": "topic", "name": "payment.events.v1",
         "operations": ["READ"], "permission": "deny", "host": "10.0.0.7"},
        {"principal": "User:order-service", "role": "consumer", "topics": ["order.created.v1", "payment.success.v1"],
         "group": "order-processor-group"},
        {"principal": "User:order-service", "role": "producer", "topics": ["order.created.v1"]},
        {"principal": "User:order-service", "resource_type": "topic", "name": "*", "operations": ["DESCRIBE"]},
        {"principal": "User:payment-service", "role": "transactional-producer", "topics": ["payment."],
         "transactional_id": "payment-service", "pattern_type": "prefixed"},
        {"principal": "User:payment-service", "resource_type": "cluster", "operations": ["IDEMPOTENT_WRITE"]},
    ]  # fmt: skip
    assert "staging" not in str(out["acls/acls.yaml"]) and "User:*" not in str(out["acls/acls.yaml"])
    for name, value in VARIABLES.items():
        monkeypatch.setenv(name, value)
    round_trip(tmp_path, live, warned=("acls[3]",))  # the '*' grant is exported as it is, and warned about


def test_users_have_password_variables_never_passwords() -> None:
    result = run(snapshots(acls=SERVICE, users=USERS))
    users = yaml.safe_load(next(f.text for f in result.files if f.path == "users/users.yaml"))["users"]
    assert users == [
        {"name": "order-service", "password": "${ORDER_SERVICE_PASSWORD}", "mechanisms": ["SCRAM-SHA-512"],
         "iterations": 8192},
        {"name": "payment-service", "password": "${PAYMENT_SERVICE_PASSWORD}",
         "mechanisms": ["SCRAM-SHA-256", "SCRAM-SHA-512"], "iterations": 4096},
    ]  # fmt: skip: the users that grant in dev; not staging's, not admin
    assert result.variables == ["ORDER_SERVICE_PASSWORD", "PAYMENT_SERVICE_PASSWORD"]


def test_managed_users_are_exported_but_never_the_user_mqctl_connects_as() -> None:
    env = Environment("dev", "127.0.0.1:1", security=SecurityConfig(username="admin"),
                      policy=Policy(managed_users=("*-service", "admin")))  # fmt: skip
    live = snapshots(users={"batch-service": {"SCRAM-SHA-512": 4096, "SCRAM-SHA-256": 8192}, "admin": {}})
    result = run(live, env=env)
    users = yaml.safe_load(result.files[0].text)["users"]
    assert users == [{"name": "batch-service", "password": "${BATCH_SERVICE_PASSWORD}",
                      "mechanisms": ["SCRAM-SHA-256", "SCRAM-SHA-512"], "iterations": 8192}]  # fmt: skip
    assert result.notes == [
        "user admin is the user mqctl connects as; its credentials stay in mqctl.yaml",
        "user batch-service: its mechanisms have different iterations ({'SCRAM-SHA-256': 8192, "
        "'SCRAM-SHA-512': 4096}); users/ declares one count (8192), so a plan re-sets the others from "
        "$BATCH_SERVICE_PASSWORD",
    ]


def test_a_plan_from_the_export_needs_the_variables_but_never_compares_passwords(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = snapshots(acls=SERVICE, users=USERS)
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    write_files(tmp_path, run(live).files, force=False)
    desired, _ = load_specs(ProjectConfig(tmp_path, ENV))
    unset = compute_plan(desired, live, ENV, managed(desired.folders))
    assert {d.message for d in unset.errors} == {
        "environment variable ORDER_SERVICE_PASSWORD is not set (the password of user order-service)",
        "environment variable PAYMENT_SERVICE_PASSWORD is not set (the password of user payment-service)",
    }
    for name in VARIABLES:
        monkeypatch.setenv(name, "any value at all")  # Kafka cannot tell: the plan is empty
    assert list(compute_plan(desired, live, ENV, managed(desired.folders)).changes) == []


def test_bindings_no_entry_can_declare_are_left_out_with_a_note() -> None:
    live = snapshots(
        acls=(
            *allow("User:ops", "topic", "dev.", "ALL", pattern="prefixed"),  # everything in dev: name ""
            *allow("User:ops", "topic", "__mqctl-lock-dev", "ALL"),  # a declared principal, not a dev. name: not ours
            *allow("User:ops", "topic", "dev.order.created.v1", "READ"),
            *allow("Group:ops", "topic", "dev.order.created.v1", "READ"),
        )
    )
    out = export(live)
    assert yaml.safe_load(str(out["acls/acls.yaml"]))["acls"] == [
        {"principal": "User:ops", "resource_type": "topic", "name": "", "operations": ["ALL"],
         "pattern_type": "prefixed"},
        {"principal": "User:ops", "resource_type": "topic", "name": "order.created.v1", "operations": ["READ"]},
    ]  # fmt: skip
    assert out["notes"] == [
        "allow Group:ops READ on topic:dev.order.created.v1 is in this environment's scope but not exported "
        "(principal 'Group:ops' is not User:<name>); a plan deletes it",
    ]


def test_an_environment_wide_prefixed_grant_is_written_as_an_empty_name(tmp_path: Path) -> None:
    live = snapshots(acls=allow("User:ops", "group", "dev.", "READ", pattern="prefixed"))
    write_files(tmp_path, run(live).files, force=False)
    desired, problems = load_specs(ProjectConfig(tmp_path, ENV))
    assert problems == []
    assert [s.binding for s in desired.items["acls"]] == list(live.of(ACLS).bindings)
    assert list(compute_plan(desired, live, ENV, managed(desired.folders)).changes) == []


def test_acl_selection_matches_resource_names_and_user_names() -> None:
    out = export(snapshots(acls=SERVICE, users=USERS), select=Selection(include=("order.*", "order-service")))
    entries = yaml.safe_load(str(out["acls/acls.yaml"]))["acls"]
    assert {n for e in entries for n in e.get("topics", [e.get("name")])} == {"order.created.v1"}
    assert [u["name"] for u in yaml.safe_load(str(out["users/users.yaml"]))["users"]] == ["order-service"]
    assert "allow User:order-service READ on topic:dev.payment.success.v1" in out["left_out"]


def test_password_variables_are_named_after_the_user_and_never_shared() -> None:
    assert password_variables(["order-service", "order.service", "9lives", "svc@corp"]) == {
        "9lives": "USER_9LIVES_PASSWORD",
        "order-service": "ORDER_SERVICE_PASSWORD",
        "order.service": "ORDER_SERVICE_2_PASSWORD",
        "svc@corp": "SVC_CORP_PASSWORD",
    }


# schema-registry subjects

HEADER = {"type": "record", "name": "Header", "namespace": "shop", "fields": [{"name": "id", "type": "string"}]}
ORDER = {"type": "record", "name": "Order", "namespace": "shop", "fields": [{"name": "header", "type": "shop.Header"}]}
PROTO = 'syntax = "proto3";\npackage shop;\n\nmessage Payment {\n  string id = 1;\n}\n'


def subject(name: str, schema: str, kind: str = "AVRO", version: int = 1, **fields: Any) -> LiveSubject:
    return LiveSubject(name, version, kind, schema, **fields)


def test_subjects_write_the_latest_schema_to_a_file_of_its_type(tmp_path: Path) -> None:
    live = snapshots(
        subjects=(
            subject("dev.shop.header", json.dumps(HEADER), version=3, compatibility="FULL"),
            subject("dev.order.created.v1-value", json.dumps(ORDER), version=2,
                    references=(SubjectReference("shop.Header", "dev.shop.header", 3),)),
            subject("dev.order.old-value", json.dumps(ORDER),
                    references=(SubjectReference("shop.Header", "dev.shop.header", 1),)),
            subject("dev.payment.v1-value", PROTO, "PROTOBUF", compatibility="NONE"),
            subject("dev.envelope", json.dumps({"type": "object"}), "JSON",
                    references=(SubjectReference("common.json", "shared.common", 4),)),
        )
    )  # fmt: skip
    out = export(live)
    assert yaml.safe_load(str(out["schemas/subjects.yaml"]))["subjects"] == [
        {"subject": "envelope", "type": "JSON", "file": "envelope.schema.json",
         "references": [{"name": "common.json", "subject": "shared.common", "version": 4}]},
        {"subject": "order.created.v1-value", "type": "AVRO", "file": "order.created.v1-value.avsc",
         "references": [{"name": "shop.Header", "subject": "shop.header"}]},  # the latest: no version
        {"subject": "order.old-value", "type": "AVRO", "file": "order.old-value.avsc",
         "references": [{"name": "shop.Header", "subject": "shop.header", "version": 1}]},
        {"subject": "payment.v1-value", "type": "PROTOBUF", "file": "payment.v1-value.proto", "compatibility": "NONE"},
        {"subject": "shop.header", "type": "AVRO", "file": "shop.header.avsc", "compatibility": "FULL"},
    ]  # fmt: skip
    assert json.loads(str(out["schemas/shop.header.avsc"])) == HEADER
    assert out["schemas/payment.v1-value.proto"] == PROTO
    round_trip(tmp_path, live)


def test_subjects_that_cannot_be_declared_or_are_excluded_are_reported() -> None:
    live = snapshots(
        subjects=(
            subject("dev.a", json.dumps(HEADER)),
            subject("dev.b", json.dumps(ORDER), references=(SubjectReference("shop.Header", "a", 1),)),
            subject("dev.c", "x", "XML"),
        )
    )
    out = export(live, select=Selection(exclude=("c",)))
    assert out["left_out"] == ["dev.c"]
    assert out["notes"] == [
        "subject dev.b is not exported: its reference to a would read as the exported subject of that short "
        "name; a plan deletes it"
    ]
    assert [s["subject"] for s in yaml.safe_load(str(out["schemas/subjects.yaml"]))["subjects"]] == ["a"]


# broker config

BROKER_CONFIGS = LiveBrokerConfigs(
    {
        "log.retention.ms": LiveConfig("604800000", "DYNAMIC_DEFAULT_BROKER_CONFIG"),
        "min.insync.replicas": LiveConfig("2", "DYNAMIC_DEFAULT_BROKER_CONFIG"),
        "log.cleaner.min.cleanable.ratio": LiveConfig("0.3", "DYNAMIC_DEFAULT_BROKER_CONFIG"),
    },
    {
        1: {
            "log.cleaner.threads": LiveConfig("2", "DYNAMIC_BROKER_CONFIG"),
            "leader.replication.throttled.rate": LiveConfig("1000", "DYNAMIC_BROKER_CONFIG"),  # a reassignment's
            "listener.name.sasl.ssl.key.password": LiveConfig(None, "DYNAMIC_BROKER_CONFIG", sensitive=True),
            "num.partitions": LiveConfig("1", "STATIC_BROKER_CONFIG"),
        },
        2: {"num.partitions": LiveConfig("1", "STATIC_BROKER_CONFIG")},
    },
)


def test_brokers_export_dynamic_non_sensitive_configs_for_this_environment_only(tmp_path: Path) -> None:
    out = export(snapshots(brokers=BROKER_CONFIGS))
    assert yaml.safe_load(str(out["brokers/cluster.yaml"])) == {
        "brokers": {
            "environments": ["dev"],
            "cluster_defaults": {"log.cleaner.min.cleanable.ratio": "0.3", "log.retention.ms": "7d",
                                 "min.insync.replicas": 2},
            "per_broker": {1: {"log.cleaner.threads": 2}},
        }
    }  # fmt: skip
    assert "password" not in str(out["brokers/cluster.yaml"])
    assert out["notes"] == [
        "broker 1: listener.name.sasl.ssl.key.password is not exported (sensitive, its value cannot be read); "
        "plans warn about it as drift",
        "brokers/cluster.yaml declares the cluster-wide broker config for environment dev only: keep it in one "
        "environment per cluster",
    ]


def test_brokers_round_trip_and_selection(tmp_path: Path) -> None:
    configs = LiveBrokerConfigs(BROKER_CONFIGS.cluster_default, {1: {"log.cleaner.threads": BROKER_CONFIGS.brokers[1]
                                ["log.cleaner.threads"]}, 2: {}})  # fmt: skip
    round_trip(tmp_path, snapshots(brokers=configs))
    out = export(snapshots(brokers=configs), select=Selection(exclude=("broker *",)))
    assert out["left_out"] == ["broker 1"]
    assert "per_broker" not in yaml.safe_load(str(out["brokers/cluster.yaml"]))["brokers"]


# groups


def test_groups_round_trip_with_their_configs_and_committed_topics(tmp_path: Path) -> None:
    live = LiveGroups(
        groups={
            "dev.order-processor-group": LiveGroup("dev.order-processor-group", "Stable", "consumer"),
            "dev.idle-group": LiveGroup("dev.idle-group", "Empty", "classic"),
            "dev.mqctl.probe.v1": LiveGroup("dev.mqctl.probe.v1", "Empty", "classic"),
        },
        configs={"dev.order-processor-group": {"consumer.session.timeout.ms": "45000"},
                 "dev.configured-only": {"consumer.heartbeat.interval.ms": "6000"}},
        committed_topics={"dev.order-processor-group": frozenset({"dev.order.created.v1", "prod.order.created.v1"})},
    )
    out = export(snapshots(groups=live))
    assert yaml.safe_load(str(out["groups/groups.yaml"])) == {"groups": [
        {"name": "configured-only", "topics": [], "config": {"consumer.heartbeat.interval.ms": "6s"}},
        {"name": "idle-group", "topics": []},
        {"name": "order-processor-group", "topics": ["order.created.v1"],
         "config": {"consumer.session.timeout.ms": "45s"}},
    ]}
    assert any("prod.order.created.v1" in note for note in out["notes"])
    round_trip(tmp_path, snapshots(groups=live))


def test_quotas_in_scope_round_trip_and_the_rest_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDER_SERVICE_PASSWORD", "x")
    env = Environment("dev", "127.0.0.1:1", policy=Policy(managed_users=("*-service",)))
    entities = {
        QuotaEntity.of({"user": "order-service"}): {"producer_byte_rate": 10485760.0, "request_percentage": 12.5},
        QuotaEntity.of({"user": "order-service", "client-id": "dev.web"}): {"consumer_byte_rate": 1000.0},
        QuotaEntity.of({"user": None, "client-id": "dev.batch"}): {"controller_mutation_rate": 2.0},
        QuotaEntity.of({"client-id": "staging.web"}): {"request_percentage": 5.0},  # another environment's
        QuotaEntity.of({"user": None}): {"producer_byte_rate": 1.0},  # cluster-wide: not this env's
        QuotaEntity.of({"user": "order-service", "client-id": "odd id"}): {"consumer_byte_rate": 1.0},
    }
    live = snapshots(users={"order-service": {"SCRAM-SHA-512": 8192}}, quotas=LiveQuotas(entities))
    result = run(live, env=env)
    (quotas,) = [f for f in result.files if f.path == "quotas/quotas.yaml"]
    assert yaml.safe_load(quotas.text)["quotas"] == [
        {"user": "default", "client_id": "batch", "controller_mutation_rate": 2},
        {"user": "order-service", "producer_byte_rate": 10485760, "request_percentage": 12.5},
        {"user": "order-service", "client_id": "web", "consumer_byte_rate": 1000},
    ]
    assert [n for n in result.notes if n.startswith("quota")] == [
        "quota user=order-service, client-id=odd id is in this environment's scope but not exported (client id "
        "'odd id' is not <env>.<client_id> of this environment); a plan deletes it"
    ]
    round_trip(tmp_path, snapshots(users={"order-service": {"SCRAM-SHA-512": 8192}},
                                   quotas=LiveQuotas({k: v for k, v in entities.items() if "odd" not in str(k)})),
               env)  # fmt: skip
