"""The ACL diff on plain data: set difference and managed scope."""

from __future__ import annotations

from mqctl.diagnostics import Severity
from mqctl.kinds.acls.changes import AclCreate, AclDelete
from mqctl.kinds.acls.diff import diff_acls, in_scope
from mqctl.kinds.acls.live import LiveAcls
from mqctl.kinds.acls.model import AclBinding, AclSpec
from mqctl.spec.model import Source

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
    ours_by_principal = acl("User:alice", "kafka-cluster", "IDEMPOTENT_WRITE", kind="cluster")
    ours_wildcard = acl("User:alice", "*", "DESCRIBE")
    theirs = [
        acl("User:alice", "staging.orders.v1", "READ"),  # a declared principal, another env's name
        acl("User:alice", "legacy-orders", "READ"),
        acl("User:someone", "staging.orders.v1", "READ"),
        acl("User:someone", "prod", "READ", pattern="prefixed"),  # broader than our prefix: not ours
        acl("User:someone", "kafka-cluster", "ALTER", kind="cluster"),
        acl("User:someone", "*", "READ"),
    ]
    ours = (ours_by_name, ours_by_prefix, ours_group, ours_by_principal, ours_wildcard)
    changes, _ = diff_acls([], live(*ours, *theirs), PREFIX, frozenset({"User:alice"}))
    assert all(isinstance(c, AclDelete) and c.destructive for c in changes)
    assert {c.binding for c in changes if isinstance(c, AclDelete)} == set(ours)


def test_scope_rules() -> None:
    assert in_scope(acl("User:x", "prod.a", kind="transactional_id"), PREFIX, frozenset())
    assert not in_scope(acl("User:x", "production.a"), PREFIX, frozenset())
    assert in_scope(acl("User:x", "kafka-cluster", kind="cluster"), PREFIX, frozenset({"User:x"}))
    assert not in_scope(acl("User:x", "kafka-cluster", kind="cluster"), PREFIX, frozenset({"User:y"}))
    assert in_scope(acl("User:x", "*", kind="group"), PREFIX, frozenset({"User:x"}))
    assert not in_scope(acl("User:x", "*", kind="group"), PREFIX, frozenset())
    assert not in_scope(acl("User:x", "dev.a"), PREFIX, frozenset({"User:x"}))  # declared, but dev's name


def test_environments_sharing_a_cluster_and_principals_keep_their_own_grants() -> None:
    """secure and tls declare the same service user on one cluster: neither plans the other's grants away."""
    secure, tls = acl("User:order-service", "secure.orders"), acl("User:order-service", "tls.orders")
    declared = frozenset({"User:order-service"})
    assert diff_acls(specs(tls), live(secure, tls), "tls.", declared) == ([], [])
    assert diff_acls(specs(secure), live(secure, tls), "secure.", declared) == ([], [])


def test_removing_a_deny_is_called_out() -> None:
    (change,), _ = diff_acls([], live(acl(permission="deny")), PREFIX, frozenset())
    assert change.all_risks == ("removes a deny: User:alice may gain WRITE access",)


def test_no_authorizer_means_a_warning_and_no_changes() -> None:
    changes, problems = diff_acls(specs(acl()), LiveAcls(frozenset(), ""), PREFIX, frozenset())
    assert changes == []
    (problem,) = problems
    assert problem.severity is Severity.WARNING and "no authorizer" in problem.message


def test_no_authorizer_and_nothing_declared_is_nothing_to_say() -> None:
    assert diff_acls([], LiveAcls(frozenset(), ""), PREFIX, frozenset()) == ([], [])


def test_apply_waits_until_a_broker_has_a_created_binding_and_lacks_a_deleted_one() -> None:
    from mqctl.kinds.acls.admin import shows

    binding = acl()
    assert shows(AclCreate(str(binding), binding=binding), frozenset({binding}))
    assert not shows(AclCreate(str(binding), binding=binding), frozenset({acl(op="READ")}))
    assert shows(AclDelete(str(binding), binding=binding), frozenset())
    assert not shows(AclDelete(str(binding), binding=binding), frozenset({binding}))
