"""Saved plans on the real cluster: applied exactly, or refused with the reason and nothing applied."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

from mqctl.saved_plan import digest
from tests.conftest import ADMIN_PASSWORD, Project, all_acls, delete_acls, eventually, live_configs, partitions

pytestmark = pytest.mark.kafka

SPEC = """\
topics:
  - name: order.created.v1
    partitions: 2
    replication_factor: 2
    retention: 7d
  - name: payment.events.v1
    partitions: 1
    replication_factor: 1
"""


def topics_of(admin: AdminClient, env: str) -> set[str]:
    return {t for t in admin.list_topics(timeout=10).topics if t.startswith(env + ".")}


def save_plan(project: Project, *extra: str) -> Path:
    result = project.run("plan", "--env", project.env, "--out", "plan.json", *extra)
    assert result.exit_code == 2, result.output
    assert "Saved the plan to plan.json" in result.stderr
    return project.root / "plan.json"


def test_saved_plan_is_applied_exactly(project: Project, dev_admin: AdminClient) -> None:
    project.write("topics/a.yaml", SPEC)
    path = save_plan(project)
    saved = json.loads(path.read_text())
    assert saved["format_version"] == 1 and saved["environment"] == project.env
    assert [c["action"] for c in saved["changes"]] == ["create", "create"]
    assert set(saved["fingerprints"]) == {"changes", "specs", "live"}
    assert list(saved["fingerprints"]["specs"]["files"]) == ["topics/a.yaml"]

    result = project.run("apply", "--env", project.env, "plan.json")  # no prompt: it was reviewed
    assert result.exit_code == 0, result.output
    assert "Apply complete: 2 done, 0 failed." in result.stdout
    wanted = {f"{project.env}.order.created.v1", f"{project.env}.payment.events.v1"}
    assert eventually(lambda: topics_of(dev_admin, project.env) == wanted)
    assert project.run("plan", "--env", project.env).exit_code == 0


def test_saved_plan_is_refused_after_an_out_of_band_change(project: Project, dev_admin: AdminClient) -> None:
    project.write("topics/a.yaml", SPEC)
    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
    project.write("topics/a.yaml", SPEC.replace("7d", "14d"))
    save_plan(project)

    # Someone changes another topic of this environment by hand after the plan was reviewed.
    other = f"{project.env}.payment.events.v1"
    entry = ConfigEntry("segment.ms", "3600000", incremental_operation=AlterConfigOpType.SET)
    resource = ConfigResource(ResourceType.TOPIC, other, incremental_configs=[entry])
    dev_admin.incremental_alter_configs([resource])[resource].result(timeout=15)
    assert eventually(lambda: live_configs(dev_admin, other)["segment.ms"].value == "3600000")

    result = project.run("apply", "--env", project.env, "plan.json")
    assert result.exit_code == 1
    assert "refusing to apply plan.json; nothing was changed" in result.stderr
    assert f"topics[{other}] changed on the cluster" in result.stderr
    assert "Traceback" not in result.output
    assert live_configs(dev_admin, f"{project.env}.order.created.v1")["retention.ms"].value == "604800000"


def test_saved_plan_is_refused_after_a_spec_edit(project: Project, dev_admin: AdminClient) -> None:
    project.write("topics/a.yaml", SPEC)
    save_plan(project)
    project.write("topics/a.yaml", SPEC.replace("partitions: 2", "partitions: 4"))
    result = project.run("apply", "--env", project.env, "plan.json")
    assert result.exit_code == 1
    assert "spec file topics/a.yaml was edited" in result.stderr
    assert topics_of(dev_admin, project.env) == set()


def test_saved_plan_for_another_environment_is_refused(project: Project) -> None:
    project.write("topics/a.yaml", SPEC)
    path = save_plan(project)
    path.write_text(path.read_text().replace(f'"environment": "{project.env}"', '"environment": "prod"', 1))
    result = project.run("apply", "--env", project.env, "plan.json")
    assert result.exit_code == 1
    assert f"plan.json is a plan for environment prod, not {project.env}" in result.stderr


@pytest.mark.sasl
def test_saved_plan_never_holds_the_connection_password(secure_project: Project) -> None:
    secure_project.write("topics/a.yaml", SPEC)
    path = save_plan(secure_project)
    text = path.read_text()
    assert ADMIN_PASSWORD not in text
    assert "KAFKA_ADMIN_PASSWORD" not in text  # not even the variable's name: the settings are digested
    result = secure_project.run("apply", "--env", secure_project.env, "plan.json")
    assert result.exit_code == 0, result.output


def test_markdown_plan_for_a_pull_request(project: Project) -> None:
    project.write("topics/a.yaml", SPEC)
    result = project.run("plan", "--env", project.env, "-o", "markdown")
    assert result.exit_code == 2, result.output
    assert result.stdout.startswith(f"<!-- mqctl-plan:{project.env} -->\n")
    assert f"🟢 **create** topic `{project.env}.order.created.v1`" in result.stdout

    project.write("topics/a.yaml", SPEC.replace("partitions: 1", "partitions: 0"))
    failed = project.run("plan", "--env", project.env, "-o", "markdown")
    assert failed.exit_code == 1
    assert "#### ❌ Errors" in failed.stdout  # the comment still says why


def test_unknown_output_format_is_an_error_not_changes(project: Project) -> None:
    result = project.run("plan", "--env", project.env, "-o", "yaml")
    assert result.exit_code == 1
    assert "unknown output format 'yaml'; use one of: text, json, markdown" in result.stderr


@pytest.mark.sasl
def test_a_saved_plan_holds_no_secret_nor_a_digest_to_test_guesses_against(
    secure_project: Project, sasl_admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every secret of the test (mqctl's own password, the users' passwords) is searched for in the
    saved plan as itself, base64 and its md5/sha1/sha256/sha512 hex digests; the live digest of each
    SCRAM user is that of its mechanisms and iterations, nothing Kafka derives from the password
    (issue 12, item 2)."""
    from confluent_kafka.admin import ScramMechanism, UserScramCredentialDeletion

    env = secure_project.env
    users = {f"{env}-{role}": (f"MQCTL_TEST_{role.upper()}_PASSWORD", f"pw-{role}-" + secrets.token_hex(10))
             for role in ("writer", "reader")}
    for var, password in users.values():
        monkeypatch.setenv(var, password)
    spec = "users:\n" + "".join(f"  - name: {name}\n    password: ${{{var}}}\n" for name, (var, _) in users.items())
    secure_project.write("topics/a.yaml", SPEC)
    secure_project.write("users/u.yaml", spec)
    secure_project.write("acls/a.yaml", f"acls:\n  - principal: User:{env}-writer\n    role: producer\n"
                                        "    topics: [order.created.v1]\n")
    try:
        assert secure_project.run("apply", "--env", env, "--auto-approve").exit_code == 0
        secure_project.write("users/u.yaml", spec.replace("_PASSWORD}\n", "_PASSWORD}\n    rotate: true\n", 1))
        text = save_plan(secure_project).read_text()
        plan = json.loads(text)
        assert [c["name"] for c in plan["changes"]] == [f"{env}-writer"]  # the rotation: a password is set
        for secret in (ADMIN_PASSWORD, *(password for _, password in users.values())):
            data = secret.encode()
            forms = [secret, base64.b64encode(data).decode(),
                     *(hashlib.new(name, data).hexdigest() for name in ("md5", "sha1", "sha256", "sha512"))]
            assert not any(form in text for form in forms), secret
        for name in users:
            assert plan["fingerprints"]["live"][f"users[{name}]"] == digest({"SCRAM-SHA-512": 8192})
    finally:
        existing = sasl_admin.describe_user_scram_credentials(request_timeout=10).result(timeout=15)
        gone = [UserScramCredentialDeletion(name, ScramMechanism.SCRAM_SHA_512) for name in users if name in existing]
        if gone:
            for future in sasl_admin.alter_user_scram_credentials(gone, request_timeout=10).values():
                future.result(timeout=15)
        delete_acls(sasl_admin, [b for b in all_acls(sasl_admin) if env in b.name or env in b.principal])


def test_deletes_in_a_saved_plan_still_need_allow_delete(project: Project, dev_admin: AdminClient) -> None:
    project.write("topics/a.yaml", SPEC)
    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
    project.write("topics/a.yaml", SPEC.split("  - name: payment")[0])
    gone = f"{project.env}.payment.events.v1"
    save_plan(project)
    assert [c["action"] for c in json.loads((project.root / "plan.json").read_text())["changes"]] == ["delete"]

    held = project.run("apply", "--env", project.env, "plan.json")
    assert held.exit_code == 2, held.output  # planned changes left undone
    assert f"skipped delete of topic {gone} (needs --allow-delete)" in held.stdout
    assert "Apply incomplete: 0 done, 0 failed, 1 skipped." in held.stdout
    assert gone in topics_of(dev_admin, project.env)

    deleted = project.run("apply", "--env", project.env, "--allow-delete", "plan.json")  # the same reviewed plan
    assert deleted.exit_code == 0, deleted.output
    assert f"✓ deleted topic {gone}" in deleted.stdout
    assert eventually(lambda: gone not in topics_of(dev_admin, project.env))


def test_a_plan_with_errors_is_not_saved(project: Project, dev_admin: AdminClient) -> None:
    """Neither errors only the cluster knows (a partition decrease) nor spec errors (found before
    the cluster is asked) leave a plan file behind."""
    project.write("topics/a.yaml", SPEC)
    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
    project.write("topics/a.yaml", SPEC.replace("partitions: 2", "partitions: 1"))
    decrease = project.run("plan", "--env", project.env, "--out", "plan.json")
    assert decrease.exit_code == 1
    assert "partitions cannot decrease" in decrease.stdout
    assert "The plan has errors; it was not saved to plan.json." in decrease.stderr
    assert not (project.root / "plan.json").exists()

    project.write("topics/a.yaml", SPEC.replace("partitions: 2", "partitions: zero"))
    bad_spec = project.run("plan", "--env", project.env, "--out", "plan.json", "-o", "json")
    assert bad_spec.exit_code == 1
    assert json.loads(bad_spec.stdout)["errors"]  # the JSON document still says why
    assert not (project.root / "plan.json").exists()
    assert len(partitions(dev_admin, f"{project.env}.order.created.v1")) == 2


@pytest.mark.sasl
def test_a_plan_that_would_hold_a_secret_is_not_written(secure_project: Project, sasl_admin: AdminClient) -> None:
    """A hostile spec puts the environment's password in a label (labels are copied into the plan):
    the output is masked, and the saved plan is refused rather than written with it."""
    secure_project.write("topics/a.yaml", f"labels: {{owner: {ADMIN_PASSWORD}}}\n" + SPEC)
    result = secure_project.run("plan", "--env", secure_project.env, "--out", "plan.json")
    assert result.exit_code == 1
    assert "error: refusing to write plan.json: the plan would contain a secret" in result.stderr
    assert ADMIN_PASSWORD not in result.output
    assert not (secure_project.root / "plan.json").exists()
    assert topics_of(sasl_admin, secure_project.env) == set()
