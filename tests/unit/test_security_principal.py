"""The principal mqctl connects as is protected from the specs (issue 12, item 4): users/ and acls/
cannot change the password or mechanisms of the SCRAM user mqctl logs in as, delete it, revoke its
grants or deny it what it needs, unless mqctl.yaml allows it for the environment; an error at
validate where the specs alone tell, and at plan where it takes the live state or the secret value.
Over-broad grants are warned. Every test here fails on the code before phase 2 of the security pass
(the SASL integration test is tests/kinds/users/test_users.py::test_a_spec_cannot_lock_mqctl_out)."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from mqctl.config import Environment, Policy, ProjectConfig, Secret, SecurityConfig
from mqctl.connecting import login
from mqctl.diagnostics import Diagnostic, Severity
from mqctl.kind import DesiredState
from mqctl.kinds import acls, users
from mqctl.kinds.acls.changes import AclDelete
from mqctl.kinds.acls.live import LiveAcls
from mqctl.kinds.acls.model import AclBinding, AclSpec
from mqctl.kinds.users.changes import LiveUsers, UserUpdate
from mqctl.kinds.users.spec import UserSpec
from mqctl.spec.loader import load_specs
from mqctl.spec.model import Source
from tests.conftest import Project

PASSWORD = "admin-pw-value"
SECURE = Environment("dev", "127.0.0.1:1", security=SecurityConfig(
    "SASL_PLAINTEXT", "SCRAM-SHA-512", "admin", Secret(PASSWORD), password_var="KAFKA_ADMIN_PASSWORD"))
ALLOWED = replace(SECURE, policy=Policy(allow_self_changes=True))


def load(root: Path, files: dict[str, str], env: Environment = SECURE) -> tuple[DesiredState, list[Diagnostic]]:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return load_specs(ProjectConfig(root, env))


def only(problems: list[Diagnostic], severity: Severity = Severity.ERROR) -> Diagnostic:
    found = [p for p in problems if p.severity is severity]
    assert len(found) == 1, problems
    return found[0]


# --- validate: what the specs alone tell -------------------------------------------------------


def test_another_password_variable_for_the_connecting_user_is_an_error(tmp_path: Path) -> None:
    desired, problems = load(tmp_path, {"users/u.yaml": "users:\n  - {name: admin, password: '${OTHER_PW}'}\n"})
    problem = only(problems)
    assert (problem.file, problem.line, problem.key) == ("users/u.yaml", 2, "users[0].password")
    assert "admin is the user mqctl connects to environment dev as" in problem.message
    assert "${OTHER_PW}" in problem.message and "${KAFKA_ADMIN_PASSWORD}" in problem.message
    assert "policy.allow_self_changes: true for environment dev" in problem.message
    assert desired.of(users.KIND) == ()


def test_dropping_the_mechanism_mqctl_logs_in_with_is_an_error(tmp_path: Path) -> None:
    text = "users:\n  - {name: admin, password: '${KAFKA_ADMIN_PASSWORD}', mechanisms: [SCRAM-SHA-256]}\n"
    _, problems = load(tmp_path, {"users/u.yaml": text})
    problem = only(problems)
    assert problem.key == "users[0].mechanisms"
    assert "Keep SCRAM-SHA-512 in mechanisms" in problem.message


def test_the_connecting_user_with_its_own_password_variable_may_be_declared(tmp_path: Path) -> None:
    text = "users:\n  - {name: admin, password: '${KAFKA_ADMIN_PASSWORD}', iterations: 8192}\n"
    desired, problems = load(tmp_path, {"users/u.yaml": text})
    assert problems == []
    assert [u.name for u in desired.of(users.KIND)] == ["admin"]


def test_mqctl_yaml_may_allow_self_changes(tmp_path: Path) -> None:
    files = {"users/u.yaml": "users:\n  - {name: admin, password: '${OTHER_PW}', mechanisms: [SCRAM-SHA-256]}\n",
             "acls/a.yaml": "acls:\n  - {principal: 'User:admin', resource_type: cluster, operations: [ALTER], "
                            "permission: deny}\n"}
    desired, problems = load(tmp_path, files, ALLOWED)
    assert problems == []
    assert len(desired.of(users.KIND)) == len(desired.of(acls.KIND)) == 1


@pytest.mark.parametrize(
    ("entry", "refused"),
    [
        ("{principal: 'User:admin', resource_type: cluster, operations: [ALTER], permission: deny}", True),
        ("{principal: 'User:*', resource_type: topic, name: x.y.v1, operations: [DESCRIBE], permission: deny}", True),
        ("{principal: 'User:*', resource_type: group, name: g, operations: [ALL], permission: deny}", True),
        ("{principal: 'User:admin', resource_type: topic, name: '*', operations: [WRITE], permission: deny}", True),
        ("{principal: 'User:admin', role: consumer, topics: [x.y.v1], group: g}", False),
        ("{principal: 'User:*', resource_type: topic, name: x.y.v1, operations: [READ], permission: deny}", False),
        ("{principal: 'User:bob', resource_type: cluster, operations: [ALL], permission: deny}", False),
    ],
)
def test_a_deny_that_takes_what_mqctl_needs_is_an_error(tmp_path: Path, entry: str, refused: bool) -> None:
    desired, problems = load(tmp_path, {"acls/a.yaml": f"acls:\n  - {entry}\n"})
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if not refused:
        assert errors == []
        return
    (problem,) = errors
    assert (problem.file, problem.line, problem.key) == ("acls/a.yaml", 2, "acls[0]")
    assert "User:admin mqctl connects to environment dev as" in problem.message
    assert desired.of(acls.KIND) == ()


@pytest.mark.parametrize(
    ("entry", "warned"),
    [
        ("{principal: 'User:*', resource_type: topic, name: x.y.v1, operations: [ALL]}", "grants ALL to User:*"),
        ("{principal: 'User:bob', resource_type: group, name: '*', operations: [READ]}",
         "grants on every group of the cluster ('*')"),
        ("{principal: 'User:bob', role: consumer, topics: ['*'], group: g}", "grants on every topic of the cluster"),
    ],
)
def test_over_broad_grants_are_warned(tmp_path: Path, entry: str, warned: str) -> None:
    desired, problems = load(tmp_path, {"acls/a.yaml": f"acls:\n  - {entry}\n"})
    problem = only(problems, Severity.WARNING)
    assert (problem.line, problem.key) == (2, "acls[0]")
    assert problem.message.startswith(warned)
    assert desired.of(acls.KIND)  # a warning: the grant is still built


def test_every_user_of_the_cluster_as_managed_users_is_warned(tmp_path: Path) -> None:
    env = replace(SECURE, policy=Policy(managed_users=("svc-*", "*")))
    _, problems = load(tmp_path, {"users/u.yaml": "users: []\n"}, env)
    problem = only(problems, Severity.WARNING)
    assert (problem.file, problem.key) == ("mqctl.yaml", "environments.dev.policy.managed_users")
    assert "'*' makes every SCRAM user of the cluster this environment's" in problem.message


def test_validate_refuses_it_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "mqctl.yaml").write_text(textwrap.dedent("""\
        environments:
          secure:
            bootstrap_servers: 127.0.0.1:1
            security: {protocol: SASL_PLAINTEXT, sasl_mechanism: SCRAM-SHA-512, username: admin,
                       password: '${KAFKA_ADMIN_PASSWORD}'}
        """))
    load(tmp_path, {"users/u.yaml": "users:\n  - {name: admin, password: '${OTHER_PW}'}\n"})
    result = Project(tmp_path, "secure").run("validate")
    assert result.exit_code == 1
    assert "users/u.yaml:2: users[0].password: admin is the user mqctl connects to environment secure as" in (
        result.output)


# --- plan: what takes the live state or the secret value ----------------------------------------


def user(name: str = "admin", var: str = "ADMIN_PW", mechanisms: tuple[str, ...] = ("SCRAM-SHA-512",),
         rotate: bool = False) -> UserSpec:
    return UserSpec(name, var, mechanisms, 8192, Source("users/u.yaml", 2), rotate)


def desired_users(*specs: UserSpec) -> DesiredState:
    return DesiredState("dev", frozenset({"users"}), {"users": specs})


def test_plan_refuses_another_password_value_even_from_a_variable_validate_cannot_judge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    literal = replace(SECURE, security=replace(SECURE.security, password_var=None))  # mqctl.yaml has a literal
    monkeypatch.setenv("ADMIN_PW", "another-password")
    changes, problems = users.KIND.diff(desired_users(user()), LiveUsers({"admin": {"SCRAM-SHA-512": 4096}}), literal)
    assert changes == []
    problem = only(problems)
    assert (problem.file, problem.line, problem.key) == ("users/u.yaml", 2, "password")
    assert "$ADMIN_PW holds another password than the one mqctl.yaml connects with" in problem.message
    assert "another-password" not in problem.message and PASSWORD not in problem.message


def test_plan_lets_the_same_password_be_set_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_PW", PASSWORD)
    live = LiveUsers({"admin": {"SCRAM-SHA-512": 8192}})
    (change,), problems = users.KIND.diff(desired_users(user(rotate=True)), live, SECURE)
    assert problems == [] and isinstance(change, UserUpdate)


def test_plan_refuses_removing_the_login_mechanism_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_PW", PASSWORD)
    live = LiveUsers({"admin": {"SCRAM-SHA-512": 8192, "SCRAM-SHA-256": 8192}})
    spec = user(mechanisms=("SCRAM-SHA-256",))
    changes, problems = users.KIND.diff(desired_users(spec), live, SECURE)
    assert changes == [] and only(problems).key == "mechanisms"
    (change,), problems = users.KIND.diff(desired_users(spec), live, ALLOWED)
    assert problems == [] and isinstance(change, UserUpdate) and change.remove_mechanisms == ("SCRAM-SHA-512",)


def test_plan_never_deletes_the_connecting_user_unless_allowed() -> None:
    owning = replace(SECURE, policy=Policy(managed_users=("*",)))
    changes, problems = users.KIND.diff(desired_users(), LiveUsers({"admin": {"SCRAM-SHA-512": 4096}}), owning)
    assert changes == []
    assert "it is the user mqctl connects as, so it is kept" in only(problems, Severity.WARNING).message
    allowed = replace(owning, policy=Policy(managed_users=("*",), allow_self_changes=True))
    (change,), _ = users.KIND.diff(desired_users(), LiveUsers({"admin": {"SCRAM-SHA-512": 4096}}), allowed)
    assert change.name == "admin"


def test_plan_refuses_revoking_a_grant_of_the_connecting_principal() -> None:
    own = AclBinding("User:admin", "cluster", "kafka-cluster", "literal", "ALTER")
    declared = AclSpec(AclBinding("User:admin", "topic", "dev.x.y.v1", "literal", "READ"), Source("acls/a.yaml", 2))
    other = AclBinding("User:bob", "topic", "dev.x.y.v1", "literal", "READ")
    live = LiveAcls(frozenset({own, declared.binding, other}), "StandardAuthorizer")
    desired = DesiredState("dev", frozenset({"acls"}), {"acls": (declared,)})
    changes, problems = acls.KIND.diff(desired, live, SECURE)
    assert [c.name for c in changes] == [str(other)]  # bob's grant in the environment's prefix goes
    problem = only(problems)
    assert f"the plan would revoke {own}" in problem.message and "lock itself out" in problem.message
    changes, problems = acls.KIND.diff(desired, live, ALLOWED)
    assert problems == [] and {c.name for c in changes if isinstance(c, AclDelete)} == {str(own), str(other)}


def test_the_principal_is_known_for_sasl_and_plaintext_only() -> None:
    assert login(SECURE).principal == "User:admin" and login(SECURE).scram_user == "admin"
    assert login(Environment("dev", "h:1")).principal == "User:ANONYMOUS"
    plain = Environment("dev", "h:1", security=SecurityConfig("SASL_SSL", "PLAIN", "svc", Secret("x")))
    assert (login(plain).principal, login(plain).scram_user) == ("User:svc", None)
    assert login(Environment("dev", "h:1", security=SecurityConfig("SSL"))).principal is None
