"""`mqctl cluster health` over the SASL node's mutual-TLS listener: the broker_certificates check
shows the broker's real certificate and expiry, and flags it once certificate_warning_days reaches
past that expiry. Read-only: nothing is created on the cluster.

The SASL node has no broker.rack, so broker_racks is a problem in every run and the exit code is 2
either way: the tests tell the runs apart by the certificate check and the report's list of
problems, and the expiry by an independent read of the listener's certificate (Python's ssl)."""

from __future__ import annotations

import json
import ssl
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from tests.conftest import SSL_BOOTSTRAP, Project, config_text, tls_security, unique_env

pytestmark = pytest.mark.sasl


def listener_certificate() -> x509.Certificate:
    """The certificate the mTLS listener presents, read without mqctl."""
    host, port = SSL_BOOTSTRAP.rsplit(":", 1)
    return x509.load_pem_x509_certificate(ssl.get_server_certificate((host, int(port))).encode())


def tls_project(root: Path, **security: Any) -> Project:
    env = unique_env()
    (root / "mqctl.yaml").write_text(config_text(env, SSL_BOOTSTRAP, tls_security("mqctl-admin", **security)))
    return Project(root, env)


def certificates_check(project: Project, *args: str) -> tuple[int, dict[str, Any], str]:
    """Exit code, the JSON report's broker_certificates check, and the text report."""
    scope = ("--env", project.env, "--topics", f"{project.env}.*")
    result = project.run("cluster", "health", *scope, "-o", "json", *args)
    report = json.loads(result.stdout)
    assert report["format_version"] == 1
    (check,) = [c for c in report["checks"] if c["check"] == "broker_certificates"]
    assert report["checks"][-1] is check  # the check added last comes last
    text = project.run("cluster", "health", *scope, *args)
    assert text.exit_code == result.exit_code
    return result.exit_code, check, text.stdout


def test_health_over_mtls_shows_the_brokers_certificate_with_its_real_expiry(tmp_path: Path,
                                                                             tls_listeners: Path) -> None:  # fmt: skip
    cert = listener_certificate()
    project = tls_project(tmp_path)
    code, check, text = certificates_check(project)
    assert (code, check["status"], check["note"]) == (2, "ok", "warning within 30 day(s) of expiry")
    (row,) = check["items"]
    days = (cert.not_valid_after_utc - datetime.now(UTC)).total_seconds() / 86400
    assert row["address"] == SSL_BOOTSTRAP and row["subject"] == cert.subject.rfc4514_string() == "CN=localhost"
    assert row["issuer"] == cert.issuer.rfc4514_string()
    assert row["not_after"] == cert.not_valid_after_utc.isoformat()
    assert abs(row["days_left"] - days) < 0.2 and row["expiring"] is False and row["error"] is None
    assert f"not after {cert.not_valid_after_utc.isoformat()}" in text
    assert "Problems: broker_racks." in text  # the node has no rack; the certificate is not a problem

    from mqctl.workflows.health import HealthOptions, cluster_health

    report = cluster_health(project.root, project.env, HealthOptions((f"{project.env}.*",)))
    # DescribeCluster, metadata, no DescribeConfigs (no topic selected), DescribeLogDirs of the one
    # broker, DescribeQuorum, and the certificate's TLS connection with its ApiVersions
    assert report.requests == 1 + 1 + 0 + 1 + 1 + 1


def test_a_warning_window_past_the_expiry_makes_the_certificate_a_problem(tmp_path: Path,
                                                                          tls_listeners: Path) -> None:  # fmt: skip
    cert = listener_certificate()
    days = (cert.not_valid_after_utc - datetime.now(UTC)).total_seconds() / 86400
    window = int(days) + 30
    project = tls_project(tmp_path, certificate_warning_days=window)
    code, check, text = certificates_check(project)
    assert code == 2 and check["status"] == "problems"
    assert check["note"] == f"warning within {window} day(s) of expiry"
    (row,) = check["items"]
    assert row["expiring"] is True and row["not_after"] == cert.not_valid_after_utc.isoformat()
    assert "✗ broker_certificates" in text and "Problems: broker_racks, broker_certificates." in text
    markdown = project.run("cluster", "health", "--env", project.env, "--topics", f"{project.env}.*", "-o", "markdown")
    assert markdown.exit_code == 2 and "#### broker_certificates" in markdown.stdout
