"""mqctl's own TLS probe (mqctl.kafka.certificates) against small TLS servers on loopback whose
certificates the test makes: an expired broker certificate, one expiring within the warning window,
one for another host, one from an unknown CA, and a plaintext server. What the local cluster cannot
offer (an expired or soon-expiring broker certificate) is checked here; the real listeners are
probed in tests/integration/test_tls_failures.py."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mqctl.config import Environment, SecurityConfig
from mqctl.health import Check, HealthSnapshot, Status, broker_certificates
from mqctl.kafka.certificates import CertificateInfo, Probe, certificate_or_problem, diagnose, probe_brokers

NOW = datetime.now(UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _certificate(subject: str, issuer: str, key: ec.EllipticCurvePrivateKey, signer: ec.EllipticCurvePrivateKey,
                 days: tuple[int, int], names: list[x509.GeneralName] | None = None, ca: bool = False,
                 ) -> x509.Certificate:  # fmt: skip
    builder = (
        x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOW + timedelta(days=days[0])).not_valid_after(NOW + timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )  # fmt: skip
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(signer, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class Material:
    """A CA and broker certificates it signed, as PEM files in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        (folder / "ca.crt").write_bytes(_pem(_certificate("test CA", "test CA", self.ca_key, self.ca_key,
                                                          (-400, 400), ca=True)))  # fmt: skip

    def broker(self, name: str, days: tuple[int, int], names: list[x509.GeneralName]) -> Path:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(name, "test CA", key, self.ca_key, days, names)
        path = self.folder / f"{name}.pem"
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())  # fmt: skip
        path.write_bytes(_pem(cert) + key_pem)
        return path


LOCALHOST = [x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]


@contextmanager
def tls_server(chain: Path | None) -> Iterator[str]:
    """A server on a free loopback port that answers the first 4 bytes of a request with 4 bytes
    (what the probe's ApiVersions needs), over TLS with `chain`, or in plaintext when it is None."""
    context = None
    if chain is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)  # so that the loop sees `stop`
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                conn.settimeout(5)
                wrapped = context.wrap_socket(conn, server_side=True) if context else conn
                if wrapped.recv(4):
                    wrapped.sendall(b"\x00\x00\x00\x00")
            except OSError:
                pass
            finally:
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def tls_env(material: Material, bootstrap: str, **settings: object) -> Environment:
    security = SecurityConfig("SSL", ssl_ca_location=str(material.folder / "ca.crt"), **settings)  # type: ignore[arg-type]
    return Environment("prod", bootstrap, 5, security)


def read_certificates(security: SecurityConfig, brokers: dict[int, tuple[str, int]], timeout: float
                      ) -> dict[int, CertificateInfo | str]:  # fmt: skip
    """Each broker's certificate or why it was not read, as KafkaAdmin.broker_certificates reads them."""
    found = probe_brokers(security, brokers, timeout)
    return {broker: certificate_or_problem(one, timeout) for broker, one in found.items()}


def test_a_broker_certificate_expiring_soon_is_read_and_flagged(tmp_path: Path) -> None:
    material = Material(tmp_path)
    with tls_server(material.broker("broker-1", (-300, 12), LOCALHOST)) as bootstrap:
        env = tls_env(material, bootstrap)
        assert diagnose(env) is None  # nothing wrong yet
        host, port = bootstrap.split(":")
        found = read_certificates(env.security, {1: (host, int(port))}, 5)
        probes = probe_brokers(env.security, {1: (host, int(port))}, 5)
    cert = found[1]
    assert isinstance(cert, CertificateInfo)
    assert (cert.subject, cert.issuer, cert.names) == ("CN=broker-1", "CN=test CA", ("localhost", "127.0.0.1"))
    assert 11.9 < cert.days_left() <= 12
    assert health_of(probes, 30).status is Status.PROBLEMS and health_of(probes, 30).items[0]["expiring"]
    assert health_of(probes, 7).status is Status.OK


def test_an_expired_broker_certificate_is_named_with_its_date(tmp_path: Path) -> None:
    material = Material(tmp_path)
    with tls_server(material.broker("broker-1", (-300, -2), LOCALHOST)) as bootstrap:
        said = diagnose(tls_env(material, bootstrap))
        host, port = bootstrap.split(":")
        found = read_certificates(tls_env(material, bootstrap).security, {1: (host, int(port))}, 5)
    expired = (NOW - timedelta(days=2)).strftime("%Y-%m-%d")
    assert said is not None and said.startswith(f"the broker at {bootstrap} presents a certificate that expired "
                                                f"on {expired}")  # fmt: skip
    assert "(CN=broker-1, issued by CN=test CA; certificate verify failed)" in said
    assert found == {1: said}
    with tls_server(material.broker("broker-1", (-300, -2), LOCALHOST)) as bootstrap:
        host, port = bootstrap.split(":")
        probes = probe_brokers(tls_env(material, bootstrap).security, {1: (host, int(port))}, 5)
    (row,) = health_of(probes, 30).items  # the expired certificate is still read, beside the problem
    assert row["subject"] == "CN=broker-1" and -2.1 < row["days_left"] < -1.9 and row["expiring"]
    assert str(row["error"]).startswith("the broker at 127.0.0.1:") and "expired on" in str(row["error"])
    assert health_of(probes, 30).status is Status.PROBLEMS


def health_of(probes: dict[int, Probe], warn_days: int) -> Check:
    """cluster health's certificate check over these probes alone."""
    snap = HealthSnapshot({}, (), {}, (), None, certificates=probes)
    return broker_certificates(snap, warn_days)


def test_another_host_and_an_unknown_ca_are_told_apart(tmp_path: Path) -> None:
    material = Material(tmp_path)
    (tmp_path / "other").mkdir()
    other = Material(tmp_path / "other")  # a CA that signed nothing the server has
    with tls_server(material.broker("elsewhere", (-1, 300), [x509.DNSName("kafka.example.com")])) as bootstrap:
        said = diagnose(tls_env(material, bootstrap))
        assert said is not None and "presents a certificate for kafka.example.com (CN=elsewhere, issued by " \
            "CN=test CA), not for 127.0.0.1 (certificate verify failed: IP address mismatch" in said  # fmt: skip
        assert diagnose(tls_env(material, bootstrap, ssl_endpoint_identification=False)) is None
        untrusted = diagnose(tls_env(other, bootstrap))
    assert untrusted is not None and "that is not signed by a CA in ssl_ca_location" in untrusted
    assert "host" not in untrusted.split("(certificate verify failed")[1]


def test_plaintext_and_tls_mixed_up(tmp_path: Path) -> None:
    material = Material(tmp_path)
    with tls_server(None) as plaintext:
        said = diagnose(tls_env(material, plaintext))
    assert said is not None and said.startswith(f"{plaintext} does not speak TLS")
    with tls_server(material.broker("broker-1", (-1, 300), LOCALHOST)) as tls:
        said = diagnose(Environment("prod", tls, 5, SecurityConfig("PLAINTEXT")))
    assert said == (f"the listener at {tls} speaks TLS, and the environment's protocol does not use it: set "
                    "protocol SSL (or SASL_SSL) and ssl_ca_location")  # fmt: skip


def test_nothing_listening_is_no_tls_finding(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    env = tls_env(Material(tmp_path), f"127.0.0.1:{port}")
    assert diagnose(env) is None  # the clients' own "cannot reach" stands
    assert read_certificates(env.security, {1: ("127.0.0.1", port)}, 1) == {
        1: f"127.0.0.1:{port}: no TLS connection (refused, or no answer within 1s)"
    }
