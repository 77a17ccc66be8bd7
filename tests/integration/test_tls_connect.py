"""Every command over the SASL node's TLS listeners, against the real broker: mutual TLS (client
certificate of the super user mqctl-admin), SASL_SSL with SCRAM-SHA-512 (admin) and SASL_SSL with
OAUTHBEARER (tokens from the local issuer for the OAuth client mqctl-admin).

validate, plan (saved), apply of the saved plan, plan again (converged), export, cluster info (text
and JSON: protocol, mechanism, principal, the broker's certificate), brokers check, lock status and
lock break run on each; no output of any of them, nor the plan file or the exported files, holds a
secret or a token. The repository's own `tls` and `oauth` environments, with
their files relative to the project root, are checked the same way.
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import ScramMechanism, UserScramCredentialDeletion
from typer.testing import CliRunner

from mqctl.cli import app
from tests.conftest import (
    ADMIN_PASSWORD,
    REPO_ROOT,
    SASL_SSL_BOOTSTRAP,
    SSL_BOOTSTRAP,
    TLS_DIR,
    Project,
    all_acls,
    assert_no_secrets,
    config_text,
    delete_acls,
    delete_prefixed,
    oauth_security,
    security_yaml,
    tls_security,
    unique_env,
)

pytestmark = pytest.mark.sasl
OAUTH_SECRET = "mqctl-admin-secret"
ONE_BROKER = "    overrides:\n      max_replication_factor: 1\n      max_partitions: 4\n"
PROTOCOLS = {
    "mtls": (SSL_BOOTSTRAP, lambda: tls_security("mqctl-admin"), "SSL, as the principal of client certificate "
                                                                 "CN=mqctl-admin"),
    "sasl-ssl-scram": (SASL_SSL_BOOTSTRAP, lambda: security_yaml(
        protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", username="admin", password="${KAFKA_ADMIN_PASSWORD}",
        ssl_ca_location=str(TLS_DIR / "ca.crt")), "SASL_SSL, SCRAM-SHA-512, as User:admin"),
    "sasl-ssl-oauthbearer": (SASL_SSL_BOOTSTRAP, lambda: oauth_security("mqctl-admin"),
                             "SASL_SSL, OAUTHBEARER, as the OAuth client mqctl-admin"),
}  # fmt: skip


@pytest.fixture
def user_password(monkeypatch: pytest.MonkeyPatch) -> str:
    password = "svc-" + secrets.token_hex(12)
    monkeypatch.setenv("MQCTL_TEST_SVC_PASSWORD", password)
    return password


@pytest.fixture(params=list(PROTOCOLS))
def tls_project(
    request: pytest.FixtureRequest, tmp_path: Path, tls_listeners: Path, sasl_admin: Any, oauth_secret: str
) -> Iterator[Project]:
    """A project on one TLS listener; its topics, ACLs and users are removed afterwards."""
    bootstrap, security, _ = PROTOCOLS[request.param]
    env = unique_env()
    (tmp_path / "mqctl.yaml").write_text(config_text(env, bootstrap, security(), ONE_BROKER))
    project = Project(tmp_path, env)
    yield project
    _remove(sasl_admin, env)


def _remove(admin: Any, env: str) -> None:
    """Every topic, ACL and SCRAM user of environment `env` on the SASL node."""
    delete_prefixed(admin, env + ".")
    delete_acls(admin, [b for b in all_acls(admin) if env in b.name or env in b.principal])
    users = admin.describe_user_scram_credentials(request_timeout=10).result(timeout=15)
    gone = [UserScramCredentialDeletion(name, ScramMechanism.SCRAM_SHA_512) for name in users if name.startswith(env)]
    for future in (admin.alter_user_scram_credentials(gone, request_timeout=10) if gone else {}).values():
        future.result(timeout=15)


def _specs(project: Project) -> None:
    env = project.env
    project.write("topics/orders.yaml", """\
        topics:
          - name: orders.created.v1
            partitions: 2
            replication_factor: 1
            retention: 1d
        """)
    project.write("acls/services.yaml", f"""\
        acls:
          - principal: User:{env}-svc
            role: producer
            topics: [orders.created.v1]
        """)
    project.write("users/services.yaml", f"""\
        users:
          - name: {env}-svc
            password: ${{MQCTL_TEST_SVC_PASSWORD}}
        """)


def test_every_command_works_over_the_protocol(
    tls_project: Project, request: pytest.FixtureRequest, sasl_admin: Any, user_password: str, tmp_path: Path
) -> None:
    project, env = tls_project, tls_project.env
    _, _, connected_as = PROTOCOLS[request.node.callspec.params["tls_project"]]
    _specs(project)
    assert project.run("validate", "--no-color").exit_code == 0

    saved = tmp_path / "plan.json"
    plan = project.run("plan", "--env", env, "--out", str(saved), "--no-color")
    assert plan.exit_code == 2, plan.output
    assert f"{env}.orders.created.v1" in plan.stdout and f"User:{env}-svc" in plan.stdout
    applied = project.run("apply", "--env", env, str(saved), "--auto-approve", "--no-color")
    assert applied.exit_code == 0, applied.output
    assert f"{env}.orders.created.v1" in sasl_admin.list_topics(timeout=10).topics
    assert f"{env}-svc" in sasl_admin.describe_user_scram_credentials(request_timeout=10).result(timeout=15)
    again = project.run("plan", "--env", env, "--no-color")
    assert again.exit_code == 0 and "No changes" in again.stdout, again.output

    exported = project.run("export", "--env", env, "--out", str(tmp_path / "adopted"), "--no-color")
    assert exported.exit_code == 0, exported.output
    assert "name: orders.created.v1" in (tmp_path / "adopted" / "topics" / "orders.yaml").read_text()
    assert f"principal: User:{env}-svc" in (tmp_path / "adopted" / "acls" / "acls.yaml").read_text()

    info = project.run("cluster", "info", "--env", env, "--no-color")
    assert info.exit_code == 0, info.output
    assert f"security     {connected_as}" in info.stdout
    assert "CN=localhost" in info.stdout and "issued by CN=mqctl local CA" in info.stdout
    assert "expires 20" in info.stdout and " UTC, in 3" in info.stdout  # a year-long certificate
    as_json = project.run("cluster", "info", "--env", env, "-o", "json")
    security = json.loads(as_json.stdout)["security"]
    assert security["protocol"] == connected_as.split(",")[0]
    assert security["broker_certificates"]["1"]["subject"] == "CN=localhost"
    assert security["broker_certificates"]["1"]["names"] == ["localhost", "127.0.0.1"]
    assert 300 < security["broker_certificates"]["1"]["days_left"] < 366

    checked = project.run("brokers", "check", "--env", env, "--no-color")
    assert checked.exit_code == 2, checked.output  # the one-node broker differs from the durable template
    assert "keys on 1 broker(s)" in checked.stdout and "≠ broker 1: 1 (static)" in checked.stdout
    locked = project.run("lock", "status", "--env", env, "--no-color")
    assert locked.exit_code == 0 and f"environment {env} is not locked" in locked.stdout, locked.output
    broken = project.run("lock", "break", "--env", env, "--no-color")
    assert broken.exit_code == 0 and "nothing to break" in broken.stdout, broken.output

    written = [saved.read_text(), *(path.read_text() for path in (tmp_path / "adopted").rglob("*.yaml"))]
    assert_no_secrets([*project.outputs, *written], ADMIN_PASSWORD, OAUTH_SECRET, user_password)


def test_an_encrypted_client_key_with_its_password_from_the_environment(
    tmp_path: Path, tls_listeners: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """order-service's encrypted key over mTLS; User:order-service has no ACLs, and DescribeCluster
    needs none."""
    monkeypatch.setenv("MQCTL_TEST_KEY_PASSWORD", "order-key-secret")
    env = unique_env()
    security = tls_security("order-service", ssl_key_location=str(tls_listeners / "order-service-encrypted.key"),
                            ssl_key_password="${MQCTL_TEST_KEY_PASSWORD}")  # fmt: skip
    (tmp_path / "mqctl.yaml").write_text(config_text(env, SSL_BOOTSTRAP, security))
    project = Project(tmp_path, env)
    info = project.run("cluster", "info", "--env", env, "--no-color")
    assert info.exit_code == 0, info.output
    assert "SSL, as the principal of client certificate CN=order-service" in info.stdout
    assert_no_secrets(project.outputs, "order-key-secret")


def test_the_repository_tls_and_oauth_environments(
    tmp_path: Path, tls_listeners: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repository's mqctl.yaml as it is, its certificates at .local-cluster/tls relative to the
    project root (here a link to the running cluster's), mqctl run from another directory with --root."""
    root = tmp_path / "repo"
    (root / ".local-cluster").mkdir(parents=True)
    (root / "mqctl.yaml").write_text((REPO_ROOT / "mqctl.yaml").read_text())
    (root / ".local-cluster" / "tls").symlink_to(tls_listeners)
    shutil.copytree(REPO_ROOT / "topics", root / "topics")  # a spec folder linking out is refused (issue 12)
    monkeypatch.setenv("MQCTL_OAUTH_CLIENT_SECRET", OAUTH_SECRET)
    monkeypatch.chdir(tmp_path)  # not the project root: the relative paths must still resolve
    outputs = []
    for env, connected_as in (("tls", "SSL, as the principal of client certificate CN=mqctl-admin"),
                              ("oauth", "SASL_SSL, OAUTHBEARER, as the OAuth client mqctl-admin")):  # fmt: skip
        info = CliRunner().invoke(app, ["cluster", "info", "--env", env, "--root", str(root), "--no-color"])
        assert info.exit_code == 0, info.output
        assert f"security     {connected_as}" in info.stdout
        plan = CliRunner().invoke(app, ["plan", "--env", env, "--root", str(root), "--no-color"])
        assert plan.exit_code == 2, plan.output  # the example topics would be created; nothing is applied
        assert f"{env}.order.lifecycle.v1" in plan.stdout
        outputs += [info.output, plan.output]
    assert_no_secrets(outputs, OAUTH_SECRET)
