"""What the apply lock asks of the principal's ACLs on its topic `__mqctl-lock-<env>`, on the SASL
node (docs/topic-mechanics.md): a SCRAM user of the test's own, allowed its environment's topics and
the cluster's DESCRIBE, and on the literal lock topic exactly the operations a case grants.

Each case creates its user and ACLs under the test's unique environment name and removes them, the
lock topic and the environment's topics afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

from mqctl.config import load_config
from mqctl.kafka.lock import ApplyLock
from tests.conftest import Project, eventually, sasl_user_project

pytestmark = pytest.mark.sasl

LOCK_OPERATIONS = {
    "CREATE": AclOperation.CREATE,
    "DESCRIBE": AclOperation.DESCRIBE,
    "READ": AclOperation.READ,
    "WRITE": AclOperation.WRITE,
    "DELETE": AclOperation.DELETE,
}
SPEC = "topics:\n  - {name: order.locked.v1, partitions: 1, replication_factor: 1}\n"


def _wait(futures: dict[object, object]) -> None:
    for future in futures.values():
        future.result(timeout=15)  # type: ignore[attr-defined]


@pytest.fixture
def lock_user(
    tmp_path: Path, sasl_admin: AdminClient, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[set[str]], Project]]:
    """`make(operations)`: a project on the SASL node as a fresh SCRAM user (sasl_user_project: ALL
    on its own environment's topics, DESCRIBE on the cluster) allowed `operations` on the literal
    lock topic."""
    with contextlib.ExitStack() as stack:

        def make(operations: set[str]) -> Project:
            def on_the_lock(env: str, principal: str) -> list[AclBinding]:
                lock, allow = f"__mqctl-lock-{env}", AclPermissionType.ALLOW
                return [AclBinding(ResourceType.TOPIC, lock, ResourcePatternType.LITERAL, principal, "*",
                                   LOCK_OPERATIONS[name], allow) for name in sorted(operations)]  # fmt: skip

            project = stack.enter_context(sasl_user_project(tmp_path, sasl_admin, monkeypatch, "lock", on_the_lock))
            config = tmp_path / "mqctl.yaml"
            config.write_text(config.read_text().replace("timeout_seconds: 15", "timeout_seconds: 5"))
            project.write("topics/a.yaml", SPEC)
            return project

        yield make


def topics(admin: AdminClient, env: str) -> set[str]:
    return {t for t in admin.list_topics(timeout=10).topics if t.startswith(env) or t == f"__mqctl-lock-{env}"}


def test_exactly_create_describe_read_write_and_delete_on_the_lock_topic_are_enough(
    lock_user: Callable[[set[str]], Project], sasl_admin: AdminClient
) -> None:
    project = lock_user(set(LOCK_OPERATIONS))
    applied = project.run("apply", "--env", project.env, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert eventually(lambda: topics(sasl_admin, project.env) == {f"{project.env}.order.locked.v1"})
    # the holder is readable while the lock is held, by this user
    lock = ApplyLock(load_config(project.root, project.env).environment)
    me = lock.acquire("mqctl apply (held)")
    try:
        status = project.run("lock", "status", "--env", project.env)
        assert status.exit_code == 2 and "`mqctl apply (held)`" in status.stdout, status.output
    finally:
        assert lock.release(me) is True
    assert project.run("lock", "status", "--env", project.env).exit_code == 0


def held_status(project: Project) -> tuple[int, str]:
    """`mqctl lock status` as the project's user while that user holds the lock (taken directly)."""
    lock = ApplyLock(load_config(project.root, project.env).environment)
    me = lock.acquire("mqctl apply (held)")
    try:
        status = project.run("lock", "status", "--env", project.env)
        refused = project.run("apply", "--env", project.env, "--auto-approve")
        assert refused.exit_code == 1 and f"environment {project.env} is locked by " in refused.stderr
        assert refused.stderr.count("locked by") == 1
        return status.exit_code, status.stdout + refused.stderr
    finally:
        assert lock.release(me) is True


def test_without_create_the_apply_is_refused_the_lock_and_changes_nothing(
    lock_user: Callable[[set[str]], Project], sasl_admin: AdminClient
) -> None:
    project = lock_user(set(LOCK_OPERATIONS) - {"CREATE"})
    applied = project.run("apply", "--env", project.env, "--auto-approve")
    assert applied.exit_code == 1
    assert applied.stderr.startswith(
        f"error: take the apply lock __mqctl-lock-{project.env}: TOPIC_AUTHORIZATION_FAILED: "
        f"User:lock-{project.env} is not authorized"
    ), applied.stderr
    assert "Traceback" not in applied.output and applied.stdout.strip() == ""
    assert topics(sasl_admin, project.env) == set()


def test_without_write_the_holder_is_not_recorded_and_the_apply_fails_releasing_the_lock(
    lock_user: Callable[[set[str]], Project], sasl_admin: AdminClient
) -> None:
    project = lock_user(set(LOCK_OPERATIONS) - {"WRITE"})
    applied = project.run("apply", "--env", project.env, "--auto-approve")
    assert applied.exit_code == 1
    assert applied.stderr == (
        f"error: took the lock __mqctl-lock-{project.env} but could not record the holder in it: "
        "Broker: Topic authorization failed\n"
    )
    assert eventually(lambda: topics(sasl_admin, project.env) == set())  # nothing applied, the lock gone


def test_without_delete_the_changes_are_made_and_the_release_fails_naming_lock_break(
    lock_user: Callable[[set[str]], Project], sasl_admin: AdminClient
) -> None:
    project = lock_user(set(LOCK_OPERATIONS) - {"DELETE"})
    lock = f"__mqctl-lock-{project.env}"
    applied = project.run("apply", "--env", project.env, "--auto-approve")
    assert applied.exit_code == 1
    # the apply's own report first, as for any apply: the failed release does not replace it
    assert f"✓ created topic {project.env}.order.locked.v1" in applied.stdout
    assert applied.stdout.rstrip().endswith("Apply complete: 1 done, 0 failed."), applied.stdout
    assert applied.stderr.startswith(
        f"error: release the apply lock {lock}: TOPIC_AUTHORIZATION_FAILED: User:lock-{project.env} is not authorized"
    ), applied.stderr
    assert applied.stderr.endswith(
        f"; the lock stays held: break it with `mqctl lock break --env {project.env}`, as a principal allowed "
        f"DELETE on {lock} (breaking deletes the topic too)\n"
    ), applied.stderr
    assert applied.stderr.count("error:") == 1
    assert topics(sasl_admin, project.env) == {f"{project.env}.order.locked.v1", lock}
    status = project.run("lock", "status", "--env", project.env)  # still held, by that apply
    assert status.exit_code == 2 and f"`mqctl apply --env {project.env}`" in status.stdout
    # what the message says: this principal cannot break it either
    broken = project.run("lock", "break", "--env", project.env)
    assert broken.exit_code == 1
    assert broken.stderr.startswith(f"error: break the apply lock {lock}: TOPIC_AUTHORIZATION_FAILED: "), broken.stderr
    assert broken.stderr.endswith(f"; breaking the lock needs DELETE on {lock}\n"), broken.stderr
    assert lock in topics(sasl_admin, project.env)
    # `apply --all-envs` reports the same way: the environment's summary, then the release error
    _wait(sasl_admin.delete_topics([lock], operation_timeout=30))  # broken by the admin, who may
    assert eventually(lambda: lock not in topics(sasl_admin, project.env))
    project.write("topics/b.yaml", SPEC.replace("order.locked.v1", "order.second.v1"))
    fleet = project.run("apply", "--all-envs", "--auto-approve")
    assert fleet.exit_code == 1, fleet.output
    after = fleet.stdout.split(f"✓ created topic {project.env}.order.second.v1\n", 1)[1]
    assert after.startswith(
        f"Apply complete: 1 done, 0 failed.\nerror: release the apply lock {lock}: TOPIC_AUTHORIZATION_FAILED: "
    ), fleet.stdout
    assert f"{project.env}: applied (exit 1)" in fleet.stdout


def test_without_read_applies_work_but_the_holder_of_a_held_lock_is_unknown(
    lock_user: Callable[[set[str]], Project], sasl_admin: AdminClient
) -> None:
    project = lock_user(set(LOCK_OPERATIONS) - {"READ"})
    applied = project.run("apply", "--env", project.env, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    code, said = held_status(project)
    assert code == 2
    assert said.count("is locked by (unknown: the lock record is unreadable)") == 2, said  # status and refusal


def test_without_describe_granted_on_its_own_everything_works_as_read_write_delete_imply_it(
    lock_user: Callable[[set[str]], Project], sasl_admin: AdminClient
) -> None:
    project = lock_user(set(LOCK_OPERATIONS) - {"DESCRIBE"})
    applied = project.run("apply", "--env", project.env, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    code, said = held_status(project)
    assert code == 2
    assert said.count("`mqctl apply (held)`") == 2, said  # the holder named by status and by the refusal
