"""The SCRAM user diff on plain data: credentials, managed scope, secrets."""

from __future__ import annotations

import json

from mqctl.config import Secret
from mqctl.connecting import Login
from mqctl.diagnostics import Severity
from mqctl.kinds.users.changes import LiveUsers, UserCreate, UserDelete, UserUpdate
from mqctl.kinds.users.diff import diff_users
from mqctl.kinds.users.spec import UserSpec
from mqctl.plan import Action, Plan
from mqctl.spec.model import Source


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
    who = Login("prod", "User:svc-admin", "svc-admin", "SCRAM-SHA-512", "ADMIN_PASSWORD", Secret("x"))
    changes, problems = diff_users([user()], current, ("svc*",), ENV, who)
    (change,) = changes
    assert isinstance(change, UserDelete) and change.name == "svc-old"
    assert change.remove_mechanisms == ("SCRAM-SHA-512",) and change.destructive
    (problem,) = problems
    assert problem.severity is Severity.WARNING and "svc-admin" in problem.message


def test_apply_waits_for_what_each_change_leaves_on_a_broker() -> None:
    """What apply polls every broker for (kinds/users/admin.shows): the mechanisms set with their
    iterations, the removed ones gone; another iteration count is not shown yet."""
    from mqctl.kinds.users.admin import shows

    create = UserCreate("svc", set_mechanisms=("SCRAM-SHA-512",), iterations=8192)
    assert shows(create, {"svc": {"SCRAM-SHA-512": 8192}})
    assert not shows(create, {}) and not shows(create, {"svc": {"SCRAM-SHA-512": 4096}})
    drop = UserUpdate("svc", remove_mechanisms=("SCRAM-SHA-256",))
    assert shows(drop, {"svc": {"SCRAM-SHA-512": 8192}}) and not shows(drop, {"svc": {"SCRAM-SHA-256": 4096}})
    delete = UserDelete("svc", remove_mechanisms=("SCRAM-SHA-512",))
    assert shows(delete, {}) and not shows(delete, {"svc": {"SCRAM-SHA-512": 8192}})


def test_the_brokers_views_merge_into_every_credential_and_who_does_not_list_it() -> None:
    """A broker restarted on Kafka 4.1.1 lists none of the users that existed before its restart
    (seen here on brokers 2-4 of the local cluster): the snapshot asks every broker and keeps both."""
    full = {"svc": {"SCRAM-SHA-512": 8192}, "old": {"SCRAM-SHA-256": 4096}}
    live = LiveUsers.of_brokers({1: full, 2: {}, 3: full, 4: {"svc": {"SCRAM-SHA-512": 8192}}})
    assert dict(live) == full and len(live) == 2
    assert live.unlisted_by == {"svc": (2,), "old": (2, 4)}
    assert LiveUsers.of_brokers({1: full, 2: full}).unlisted_by == {}


def test_a_declared_user_some_brokers_do_not_list_is_set_again_and_says_which() -> None:
    live = LiveUsers.of_brokers({1: {"svc": {"SCRAM-SHA-512": 8192}}, 2: {}, 3: {}})
    (change,), problems = diff_users([user()], live, (), ENV, unlisted_by=live.unlisted_by)
    assert problems == [] and isinstance(change, UserUpdate)
    assert change.set_mechanisms == ("SCRAM-SHA-512",) and change.password == Secret("s3cret-value")
    assert [(d.before, d.after) for d in change.diffs] == [
        ("8192 iterations, not listed by broker(s) 2, 3", "8192 iterations, password set from $SVC_PASSWORD")
    ]
    assert diff_users([user()], live, (), ENV) == ([], [])  # listed by one broker: as before, nothing to do
