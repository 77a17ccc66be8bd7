"""ACL specs offline: role expansion, environment prefixes and every rule, each bad input
naming its file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mqctl.diagnostics import Severity
from mqctl.kind import DesiredState
from mqctl.kinds.acls.model import AclBinding
from mqctl.kinds.acls.roles import OPERATIONS
from tests.conftest import error_keys as errors
from tests.conftest import load_files as load


def bindings(desired: DesiredState) -> set[tuple[str, str, str, str, str]]:
    return {
        (b.principal, b.resource_type, b.name, b.pattern_type, b.operation)
        for b in (spec.binding for spec in desired.items["acls"])
    }


def test_roles_expand_to_exact_bindings_with_env_prefixed_names(tmp_path: Path) -> None:
    desired, problems = load(
        tmp_path,
        {
            "acls/a.yaml": """\
                acls:
                  - principal: User:order-service
                    role: producer
                    topics: [order.lifecycle.v1]
                  - principal: User:order-processor
                    role: consumer
                    topics: [order.lifecycle.v1]
                    group: order-processor-group
                  - principal: User:payments
                    role: transactional-producer
                    topics: [payment.events.v1]
                    transactional_id: payment-tx
                """
        },
    )
    assert problems == []
    assert bindings(desired) == {
        ("User:order-service", "topic", "prod.order.lifecycle.v1", "literal", "WRITE"),
        ("User:order-service", "topic", "prod.order.lifecycle.v1", "literal", "DESCRIBE"),
        ("User:order-processor", "topic", "prod.order.lifecycle.v1", "literal", "READ"),
        ("User:order-processor", "topic", "prod.order.lifecycle.v1", "literal", "DESCRIBE"),
        ("User:order-processor", "group", "prod.order-processor-group", "literal", "READ"),
        ("User:payments", "topic", "prod.payment.events.v1", "literal", "WRITE"),
        ("User:payments", "topic", "prod.payment.events.v1", "literal", "DESCRIBE"),
        ("User:payments", "transactional_id", "prod.payment-tx", "literal", "WRITE"),
        ("User:payments", "transactional_id", "prod.payment-tx", "literal", "DESCRIBE"),
    }
    assert {spec.source.line for spec in desired.items["acls"]} == {2, 5, 9}


def test_explicit_bindings_defaults_wildcard_prefixed_and_cluster(tmp_path: Path) -> None:
    desired, problems = load(
        tmp_path,
        {
            "acls/a.yaml": """\
                acls:
                  - principal: User:alice
                    resource_type: topic
                    name: order.
                    pattern_type: prefixed
                    operations: [READ]
                    permission: deny
                    host: 10.0.0.1
                  - principal: User:alice
                    resource_type: topic
                    name: "*"
                    operations: [DESCRIBE]
                  - principal: User:alice
                    resource_type: cluster
                    operations: [IDEMPOTENT_WRITE]
                """
        },
    )
    (wide,) = problems  # a grant on every topic of the cluster is built, and warned (issue 12)
    assert (wide.severity, wide.line, wide.key) == (Severity.WARNING, 9, "acls[1]")
    assert wide.message.startswith("grants on every topic of the cluster ('*')")
    assert {spec.binding for spec in desired.items["acls"]} == {
        AclBinding("User:alice", "topic", "prod.order.", "prefixed", "READ", "deny", "10.0.0.1"),
        AclBinding("User:alice", "topic", "*", "literal", "DESCRIBE"),
        AclBinding("User:alice", "cluster", "kafka-cluster", "literal", "IDEMPOTENT_WRITE"),
    }


def test_overlapping_roles_merge_but_repeated_declarations_are_errors(tmp_path: Path) -> None:
    desired, problems = load(
        tmp_path,
        {
            "acls/a.yaml": """\
                acls:
                  - principal: User:svc
                    role: producer
                    topics: [a.b.v1]
                  - principal: User:svc
                    role: consumer
                    topics: [a.b.v1]
                    group: g
                  - principal: User:svc
                    role: producer
                    topics: [a.b.v1]
                """,
            "acls/b.yaml": """\
                acls:
                  - principal: User:x
                    resource_type: group
                    name: g
                    operations: [READ]
                  - principal: User:x
                    resource_type: group
                    name: g
                    operations: [READ, DESCRIBE]
                """,
        },
    )
    assert len([s for s in desired.items["acls"] if s.binding.operation == "DESCRIBE"]) == 2  # svc topic, x group
    assert sorted(errors(problems)) == [
        ("acls/a.yaml", 9, "acls[2]"),
        ("acls/a.yaml", 9, "acls[2]"),
        ("acls/b.yaml", 6, "acls[1]"),
    ]
    assert "already declared at acls/b.yaml:2" in next(p for p in problems if p.file == "acls/b.yaml").message


BAD_CASES = [
    ("principal: alice\n    resource_type: topic\n    name: t\n    operations: [READ]", "acls[0].principal",
     "not a principal"),
    ("principal: User:a\n    resource_type: group\n    name: g\n    operations: [WRITE]",
     "acls[0].operations[0]", "WRITE is not an operation on a group"),
    ("principal: User:a\n    resource_type: cluster\n    operations: [READ]", "acls[0].operations[0]",
     "READ is not an operation on a cluster"),
    ("principal: User:a\n    resource_type: transactional_id\n    name: t\n    operations: [READ]",
     "acls[0].operations[0]", "READ is not an operation on a transactional_id"),
    ("principal: User:a\n    resource_type: cluster\n    name: other\n    operations: [ALTER]", "acls[0].name",
     "always named kafka-cluster"),
    ("principal: User:a\n    resource_type: topic\n    operations: [READ]", "acls[0]", "needs name:"),
    ("principal: User:a\n    resource_type: topic\n    name: t", "acls[0]", "needs either role: or operations:"),
    ("principal: User:a\n    resource_type: topic\n    name: t\n    operations: [READ]\n    host: example.com",
     "acls[0].host", "IP address"),
    ("principal: User:a\n    resource_type: topic\n    name: '*'\n    pattern_type: prefixed\n"
     "    operations: [READ]", "acls[0].name", "wildcard only with pattern_type literal"),
    ("principal: User:a\n    resource_type: topic\n    name: bad/name\n    operations: [READ]", "acls[0].name",
     "characters Kafka does not allow"),
    ("principal: User:a\n    resource_type: group\n    name: ''\n    operations: [READ]", "acls[0].name",
     "it needs pattern_type: prefixed"),
    ("principal: User:a\n    role: consumer\n    topics: [t]", "acls[0]", "needs group:"),
    ("principal: User:a\n    role: producer\n    topics: [t]\n    group: g", "acls[0].group", "uses no group"),
    ("principal: User:a\n    role: producer", "acls[0]", "needs topics:"),
    ("principal: User:a\n    role: producer\n    topics: [t]\n    operations: [READ]", "acls[0].operations",
     "for explicit bindings"),
    ("principal: User:a\n    resource_type: topic\n    name: t\n    operations: [READ]\n    topics: [x]",
     "acls[0].topics", "only used with role:"),
    ("principal: User:a\n    role: admin\n    topics: [t]", "acls[0].role", "is not one of"),
    ("principal: User:a\n    resource_type: broker\n    name: t\n    operations: [READ]", "acls[0].resource_type",
     "is not one of"),
    ("principal: User:a\n    resource_type: topic\n    name: t\n    operations: [READ, READ]",
     "acls[0].operations", "non-unique"),
    ("principal: User:a\n    resource_type: topic\n    name: t\n    operations: [READ]\n    colour: red", "acls[0]",
     "colour"),
]


@pytest.mark.parametrize(("entry", "key", "message"), BAD_CASES)
def test_each_bad_acl_entry_names_file_line_and_key(tmp_path: Path, entry: str, key: str, message: str) -> None:
    desired, problems = load(tmp_path, {"acls/bad.yaml": f"acls:\n  - {entry}\n"})
    assert desired.items["acls"] == ()
    matching = [p for p in problems if p.key == key and message in p.message]
    assert matching, problems
    assert matching[0].file == "acls/bad.yaml" and matching[0].line is not None


def test_all_errors_of_a_spec_set_are_collected_and_good_entries_kept(tmp_path: Path) -> None:
    desired, problems = load(
        tmp_path,
        {
            "acls/a.yaml": """\
                acls:
                  - principal: nobody
                    role: producer
                    topics: [t]
                  - principal: User:ok
                    role: producer
                    topics: [t]
                """,
            "acls/b.yaml": "acls:\n  - principal: User:b\n    resource_type: group\n    name: g\n"
            "    operations: [WRITE]\n",
            "users/u.yaml": "users:\n  - name: svc\n    password: hunter2\n",
        },
    )
    assert sorted(errors(problems)) == [
        ("acls/a.yaml", 2, "acls[0].principal"),
        ("acls/b.yaml", 5, "acls[0].operations[0]"),
        ("users/u.yaml", 3, "users[0].password"),
    ]
    assert {s.binding.principal for s in desired.items["acls"]} == {"User:ok"}


def test_operation_matrix_follows_kafka() -> None:
    assert "WRITE" not in OPERATIONS["group"] and "READ" not in OPERATIONS["cluster"]
    assert OPERATIONS["transactional_id"] == {"DESCRIBE", "WRITE", "ALL"}
    assert all("ALL" in ops for ops in OPERATIONS.values())


def test_grants_on_topics_no_spec_declares_are_warned_once_per_entry(tmp_path: Path) -> None:
    _, problems = load(
        tmp_path,
        {
            "topics/order.yaml": """\
                topics:
                  - {name: order.created.v1, partitions: 3, replication_factor: 3}
                """,
            "acls/order.yaml": """\
                acls:
                  - principal: User:order-service
                    role: producer
                    topics: [order.created.v1, order.craeted.v1]
                  - principal: User:audit
                    role: consumer
                    topics: [order.]
                    pattern_type: prefixed
                    group: audit
                  - principal: User:billing
                    role: consumer
                    topics: [billing.]
                    pattern_type: prefixed
                    group: billing
                  - principal: User:ops
                    resource_type: topic
                    name: "*"
                    operations: [DESCRIBE]
                """,
        },
    )
    assert not errors(problems)
    warned = [(p.file, p.line, p.message) for p in problems if p.severity is Severity.WARNING]
    assert warned == [
        ("acls/order.yaml", 2, "User:order-service is granted access to topic 'order.craeted.v1', but no spec "
         "in topics/ declares one (a typo, or a topic managed elsewhere?)"),
        ("acls/order.yaml", 10, "User:billing is granted access to topics starting with 'billing.', but no spec "
         "in topics/ declares one (a typo, or a topic managed elsewhere?)"),
        ("acls/order.yaml", 15, "grants on every topic of the cluster ('*'), other environments' included; a "
         "prefixed name (pattern_type: prefixed) keeps it to this environment's"),
    ]  # fmt: skip


def test_without_a_topics_folder_acls_are_not_checked_against_topics(tmp_path: Path) -> None:
    _, problems = load(
        tmp_path,
        {"acls/a.yaml": "acls:\n  - {principal: User:a, role: producer, topics: [x.y.z.v1]}\n"},
    )
    assert problems == []


def test_an_empty_prefixed_name_grants_on_the_whole_environment(tmp_path: Path) -> None:
    desired, problems = load(
        tmp_path,
        {
            "acls/ops.yaml": """\
                acls:
                  - principal: User:ops
                    role: consumer
                    topics: [""]
                    group: ""
                    pattern_type: prefixed
                """
        },
    )
    assert problems == []
    assert bindings(desired) == {
        ("User:ops", "topic", "prod.", "prefixed", "READ"),
        ("User:ops", "topic", "prod.", "prefixed", "DESCRIBE"),
        ("User:ops", "group", "prod.", "prefixed", "READ"),
    }
