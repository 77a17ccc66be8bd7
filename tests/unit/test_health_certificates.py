"""cluster health's broker certificate check (mqctl.health.broker_certificates) on certificates the
test makes with `cryptography`: one far from expiry, one within certificate_warning_days, an expired
one a broker still presented, a broker the clients cannot use, one that did not answer, and an
environment without TLS. The read itself (mqctl.kafka.certificates.probe_brokers) is checked against
small TLS servers in test_tls_probe.py and the real listener in tests/integration/test_tls_health.py."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from rich.console import Console

from mqctl.health import HealthSnapshot, Status, assess, broker_certificates
from mqctl.kafka.certificates import CertificateInfo, Probe, read_certificate
from mqctl.live import LogDir
from mqctl.render.health import render_markdown_text, render_text

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
CA_KEY = ec.generate_private_key(ec.SECP256R1())


def certificate(folder: Path, name: str, expires_in: timedelta) -> CertificateInfo:
    """A broker certificate signed by the test CA, valid since 300 days before NOW until NOW +
    `expires_in`, as a PEM file read back the way mqctl reads certificates."""
    key = ec.generate_private_key(ec.SECP256R1())
    ca = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=300)).not_valid_after(NOW + expires_in)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(CA_KEY, hashes.SHA256())
    )  # fmt: skip
    path = folder / f"{name}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return read_certificate(str(path))


def snap(certificates: dict[int, Probe] | None) -> HealthSnapshot:
    """A healthy cluster but for the certificates."""
    return HealthSnapshot({1: "dc-a"}, (), {}, (LogDir(1, "/data", None, 1000, 900),), None, None, certificates)


def test_certificates_far_from_expiry_are_ok_with_one_row_per_broker(tmp_path: Path) -> None:
    one = certificate(tmp_path, "broker-1", timedelta(days=200))
    two = certificate(tmp_path, "broker-2", timedelta(days=30))  # exactly the window: not within it
    check = broker_certificates(snap({2: Probe("b2:9093", two), 1: Probe("b1:9093", one)}), 30, NOW)
    assert (check.status, check.rows, check.note) == (Status.OK, True, "warning within 30 day(s) of expiry")
    assert check.items[0] == {
        "broker": 1, "address": "b1:9093", "subject": "CN=broker-1", "issuer": "CN=test CA",
        "not_after": "2027-06-20T12:00:00+00:00", "days_left": 200.0, "expiring": False, "error": None,
    }  # fmt: skip
    assert [row["broker"] for row in check.items] == [1, 2] and check.items[1]["days_left"] == 30.0


def test_a_certificate_within_the_warning_days_is_a_problem(tmp_path: Path) -> None:
    soon = certificate(tmp_path, "broker-2", timedelta(days=12, hours=12))
    probes = {1: Probe("b1:9093", certificate(tmp_path, "broker-1", timedelta(days=200))), 2: Probe("b2:9093", soon)}
    check = broker_certificates(snap(probes), 30, NOW)
    assert check.status is Status.PROBLEMS
    assert [(row["broker"], row["days_left"], row["expiring"]) for row in check.items] == [
        (1, 200.0, False), (2, 12.5, True)]  # fmt: skip
    assert broker_certificates(snap(probes), 12, NOW).status is Status.OK  # the window is the setting's
    report = assess("prod", snap(probes), certificate_days=30, now=NOW)
    assert report.status is Status.PROBLEMS and report.checks[-1].check == "broker_certificates"


def test_an_expired_certificate_and_a_broker_the_clients_cannot_use_are_problems(tmp_path: Path) -> None:
    expired = certificate(tmp_path, "broker-1", timedelta(days=-3))
    said = "the broker at b1:9093 presents a certificate that expired on 2026-11-29 12:00 UTC (…)"
    refused = "the broker at b2:9093 refused mqctl's client certificate CN=mqctl (…)"
    check = broker_certificates(snap({1: Probe("b1:9093", expired, said), 2: Probe("b2:9093", problem=refused)}),
                                30, NOW)  # fmt: skip
    assert check.status is Status.PROBLEMS
    first, second = check.items
    assert (first["subject"], first["days_left"], first["expiring"], first["error"]) == ("CN=broker-1", -3.0, True,
                                                                                         said)  # fmt: skip
    assert (second["subject"], second["days_left"], second["expiring"], second["error"]) == (None, None, False, refused)


def test_a_broker_that_does_not_answer_leaves_the_check_unread_unless_another_is_a_problem(tmp_path: Path) -> None:
    good = Probe("b1:9093", certificate(tmp_path, "broker-1", timedelta(days=200)))
    check = broker_certificates(snap({1: good, 2: Probe("b2:9093")}), 30, NOW)
    assert check.status is Status.ERROR
    assert check.note == "warning within 30 day(s) of expiry; 1 broker(s) did not answer a TLS connection"
    assert check.items[1]["error"] == "no TLS connection (refused, or no answer in time)"
    assert assess("prod", snap({1: good, 2: Probe("b2:9093")}), now=NOW).status is Status.ERROR
    soon = Probe("b1:9093", certificate(tmp_path, "broker-3", timedelta(days=2)))
    assert broker_certificates(snap({1: soon, 2: Probe("b2:9093")}), 30, NOW).status is Status.PROBLEMS


def test_without_tls_the_check_is_skipped() -> None:
    report = assess("prod", snap(None))
    assert report.status is Status.OK
    assert report.to_dict()["checks"][-1] == {"check": "broker_certificates", "status": "skipped", "items": [],
                                              "note": "the environment does not connect over TLS"}  # fmt: skip


def test_the_renderers_show_each_broker_and_the_expiring_one(tmp_path: Path) -> None:
    probes = {1: Probe("b1:9093", certificate(tmp_path, "broker-1", timedelta(days=200))),
              2: Probe("b2:9093", certificate(tmp_path, "[bold]broker-2", timedelta(days=5)))}  # fmt: skip
    report = assess("prod", snap(probes), certificate_days=30, now=NOW)
    body = json.loads(json.dumps(report.to_dict()))
    assert body["format_version"] == 1 and body["status"] == "problems"
    assert [row["expiring"] for row in body["checks"][-1]["items"]] == [False, True]
    buffer = io.StringIO()
    render_text(Console(file=buffer, width=300, no_color=True), report)
    text = buffer.getvalue()
    assert "✗ broker_certificates" in text and "Problems: broker_certificates." in text
    assert "broker 2  address b2:9093  subject CN=[bold]broker-2  issuer CN=test CA" in text
    assert "days left 5.0  expiring True  error -" in text
    markdown = render_markdown_text(report)
    assert "| ❌ broker_certificates | problems | 2 |" in markdown and "#### broker_certificates" in markdown
