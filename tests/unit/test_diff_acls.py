"""The ACL and user diffs on plain data: set difference, managed scope, credentials, secrets."""

from __future__ import annotations

import json

from mqctl.config import Secret
from mqctl.diagnostics import Severity
from mqctl.diff.acls import AclCreate, AclDelete, LiveAcls, diff_acls, in_scope
from mqctl.diff.users import UserCreate, UserDelete, UserUpdate, diff_users
from mqctl.plan import Action, Plan, TopicCreate, TopicDelete
from mqctl.spec.model import AclBinding, AclSpec, Source, UserSpec

PREFIX = "prod."
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


def acl(principal: str = "User:alice", name: str = "prod.orders.v1", op: str = "WRITE", kind: str = "topic",
        pattern: str = "literal", permission: str = "allow") -> AclBinding:
    return AclBinding(principal, kind, name, pattern, op, permission)


def specs(*bindings: AclBinding) -> list[AclSpec]:
    return [AclSpec(b, Source("acls/a.yaml", 3)) for b in bindings]


def live(*bindings: AclBinding) -> LiveAcls:
    return LiveAcls(frozenset(bindings), AUTHORIZER)


def test_missing_bindings_are_created_and_present_ones_left() -> None:
    changes, problems = diff_acls(specs(acl(), acl(op="DESCRIBE")), live(acl()), PREFIX, frozenset({"User:alice"}))
    assert problems == []
    (change,) = changes
    assert isinstance(change, AclCreate) and change.binding == acl(op="DESCRIBE")
    assert change.name == "allow User:alice DESCRIBE on topic:prod.orders.v1"
    assert change.to_dict()["binding"]["operation"] == "DESCRIBE"
    assert not change.destructive


def test_matching_sets_give_no_changes_whatever_the_order() -> None:
    wanted = [acl(op=op) for op in ("WRITE", "DESCRIBE", "READ")]
    assert diff_acls(specs(*wanted), live(*reversed(wanted)), PREFIX, frozenset()) == ([], [])


def test_undeclared_bindings_in_scope_are_deleted_outside_scope_never() -> None:
    ours_by_name = acl("User:someone", "prod.orders.v1", "READ")
    ours_by_prefix = acl("User:someone", "prod.", "READ", pattern="prefixed")
    ours_group = acl("User:someone", "prod.g", "READ", kind="group")
    ours_by_principal = acl("User:alice", "other.thing", "READ")
    theirs = [
        acl("User:someone", "staging.orders.v1", "READ"),
        acl("User:someone", "prod", "READ", pattern="prefixed"),  # broader than our prefix: not ours
        acl("User:someone", "kafka-cluster", "ALTER", kind="cluster"),
        acl("User:someone", "*", "READ"),
    ]
    changes, _ = diff_acls([], live(ours_by_name, ours_by_prefix, ours_group, ours_by_principal, *theirs),
                           PREFIX, frozenset({"User:alice"}))
    assert all(isinstance(c, AclDelete) and c.destructive for c in changes)
    assert {c.binding for c in changes if isinstance(c, AclDelete)} == {
        ours_by_name, ours_by_prefix, ours_group, ours_by_principal
    }


def test_scope_rules() -> None:
    assert in_scope(acl("User:x", "prod.a", kind="transactional_id"), PREFIX, frozenset())
    assert not in_scope(acl("User:x", "production.a"), PREFIX, frozenset())
    assert in_scope(acl("User:x", "kafka-cluster", kind="cluster"), PREFIX, frozenset({"User:x"}))


def test_removing_a_deny_is_called_out() -> None:
    (change,), _ = diff_acls([], live(acl(permission="deny")), PREFIX, frozenset())
    assert change.all_risks == ("removes a deny: User:alice may gain WRITE access",)


def test_no_authorizer_means_a_warning_and_no_changes() -> None:
    changes, problems = diff_acls(specs(acl()), LiveAcls(frozenset(), ""), PREFIX, frozenset())
    assert changes == []
    (problem,) = problems
    assert problem.severity is Severity.WARNING and "no authorizer" in problem.message


def test_acl_changes_run_after_topic_and_user_creates_and_before_deletes() -> None:
    b = acl()
    plan = Plan.build("prod", [
        TopicDelete("prod.t"), AclDelete(str(b), binding=b), AclCreate(str(b), binding=b), TopicCreate("prod.t"),
        UserCreate("svc"), UserDelete("old"),
    ])
    assert [type(c).__name__ for c in plan.changes] == [
        "TopicCreate", "UserCreate", "AclCreate", "AclDelete", "UserDelete", "TopicDelete"
    ]


def user(name: str = "svc", mechanisms: tuple[str, ...] = ("SCRAM-SHA-512",), iterations: int = 8192,
         rotate: bool = False) -> UserSpec:
    return UserSpec(name, "SVC_PASSWORD", mechanisms, iterations, Source("users/a.yaml", 2), rotate)


ENV = {"SVC_PASSWORD": "s3cret-value"}


def test_missing_user_is_created_and_the_password_stays_secret() -> None:
    (change,), problems = diff_users([user()], {}, (), ENV)
    assert problems == []
    assert isinstance(change, UserCreate) and change.action is Action.CREATE
    assert change.set_mechanisms == ("SCRAM-SHA-512",) and change.iterations == 8192
    assert change.password == Secret("s3cret-value")
    assert [(d.field, d.before, d.after) for d in change.diffs] == [
        ("SCRAM-SHA-512", None, "8192 iterations, password set from $SVC_PASSWORD")
    ]
    shown = json.dumps(Plan.build("prod", [change]).to_dict()) + repr(change) + str(change)
    assert "s3cret-value" not in shown


def test_current_user_gives_no_change_and_rotate_re_sets_the_password() -> None:
    current = {"svc": {"SCRAM-SHA-512": 8192}}
    assert diff_users([user()], current, (), ENV) == ([], [])
    (change,), _ = diff_users([user(rotate=True)], current, (), ENV)
    assert isinstance(change, UserUpdate) and change.set_mechanisms == ("SCRAM-SHA-512",)
    assert change.diffs[0].before == "8192 iterations"


def test_iteration_change_and_undeclared_mechanism() -> None:
    current = {"svc": {"SCRAM-SHA-512": 4096, "SCRAM-SHA-256": 4096}}
    (change,), _ = diff_users([user()], current, (), ENV)
    assert isinstance(change, UserUpdate)
    assert (change.set_mechanisms, change.remove_mechanisms) == (("SCRAM-SHA-512",), ("SCRAM-SHA-256",))
    assert change.destructive and "using SCRAM-SHA-256 are refused" in change.all_risks[0]


def test_unset_or_empty_password_variable_is_an_error_naming_it() -> None:
    for environ in ({}, {"SVC_PASSWORD": ""}):
        changes, (problem,) = diff_users([user()], {}, (), environ)
        assert changes == []
        assert (problem.file, problem.line, problem.key) == ("users/a.yaml", 2, "password")
        assert "SVC_PASSWORD" in problem.message


def test_only_managed_undeclared_users_are_deleted_never_the_connecting_one() -> None:
    current = {"svc": {"SCRAM-SHA-512": 8192}, "svc-old": {"SCRAM-SHA-512": 4096}, "alice": {"SCRAM-SHA-512": 4096},
               "svc-admin": {"SCRAM-SHA-512": 4096}}
    changes, problems = diff_users([user()], current, ("svc*",), ENV, connected_as="svc-admin")
    (change,) = changes
    assert isinstance(change, UserDelete) and change.name == "svc-old"
    assert change.remove_mechanisms == ("SCRAM-SHA-512",) and change.destructive
    (problem,) = problems
    assert problem.severity is Severity.WARNING and "svc-admin" in problem.message
