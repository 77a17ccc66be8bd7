"""TLS material checked before any connection (mqctl.kafka.certificates), with real certificates and
keys made by scripts/local_tls.py: every bad key, password or certificate is one line naming the
setting, and no key ever makes OpenSSL prompt on the terminal."""

from __future__ import annotations

import os
import pty
import select
import signal
import ssl
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from mqctl.config import Environment, OAuthConfig, Secret, SecurityConfig
from mqctl.diagnostics import MqctlError
from mqctl.kafka.certificates import addresses, read_certificate, tls_context
from mqctl.kafka.connection import client_config, kafka_python_config, principal
from mqctl.kafka.oauth import ClientCredentials
from tests.conftest import KEY_PASSWORD


def mtls(material: Path, name: str = "order-service", key: str | None = None, **extra: object) -> SecurityConfig:
    settings: dict[str, object] = {
        "protocol": "SSL",
        "ssl_ca_location": str(material / "ca.crt"),
        "ssl_certificate_location": str(material / f"{name}.crt"),
        "ssl_key_location": str(material / (key or f"{name}.key")),
    }
    return SecurityConfig(**(settings | extra))  # type: ignore[arg-type]


def refusal(security: SecurityConfig) -> str:
    with pytest.raises(MqctlError) as caught:
        tls_context(security)
    return caught.value.message


def test_good_material_gives_a_verifying_context_with_the_client_certificate(tls_material: Path) -> None:
    context = tls_context(mtls(tls_material))
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2
    unchecked = tls_context(mtls(tls_material, ssl_endpoint_identification=False))
    assert not unchecked.check_hostname and unchecked.verify_mode is ssl.CERT_REQUIRED  # the chain still is


def test_an_encrypted_key_loads_with_its_password(tls_material: Path) -> None:
    security = mtls(tls_material, key="order-service-encrypted.key", ssl_key_password=Secret(KEY_PASSWORD))
    assert tls_context(security).verify_mode is ssl.CERT_REQUIRED


def test_an_encrypted_key_without_password_is_named_not_prompted_for(tls_material: Path) -> None:
    key = tls_material / "order-service-encrypted.key"
    assert refusal(mtls(tls_material, key=key.name)) == (
        f"ssl_key_location {key}: the key is encrypted and ssl_key_password is not set"
    )


def test_a_wrong_key_password_is_named_and_never_shown(tls_material: Path) -> None:
    key = tls_material / "order-service-encrypted.key"
    message = refusal(mtls(tls_material, key=key.name, ssl_key_password=Secret("not-the-key-password")))
    assert message == f"ssl_key_location {key}: ssl_key_password does not decrypt it"
    assert "not-the-key-password" not in message


def test_a_key_of_another_certificate_is_named(tls_material: Path) -> None:
    key = tls_material / "analytics-service.key"
    assert refusal(mtls(tls_material, key=key.name)) == (
        f"ssl_key_location {key}: it is not the private key of ssl_certificate_location (CN=order-service)"
    )


def test_a_file_that_is_no_key_is_named(tls_material: Path) -> None:
    assert refusal(mtls(tls_material, key="ca.crt")).startswith(
        f"ssl_key_location {tls_material / 'ca.crt'}: not a PEM private key"
    )


def test_an_expired_client_certificate_is_refused_before_connecting(tls_material: Path) -> None:
    cert = read_certificate(str(tls_material / "expired-client.crt"))
    message = refusal(mtls(tls_material, "expired-client"))
    assert message == (
        f"ssl_certificate_location {tls_material / 'expired-client.crt'}: the client certificate CN=expired-client "
        f"expired on {cert.not_after:%Y-%m-%d %H:%M} UTC; brokers refuse it. Renew it"
    )


def test_a_ca_file_without_certificates_and_a_certificate_file_without_one(tls_material: Path) -> None:
    key = str(tls_material / "order-service.key")
    assert refusal(mtls(tls_material, ssl_ca_location=key)).startswith(
        f"ssl_ca_location {key}: no CA certificate could be loaded from it"
    )
    security = mtls(tls_material, ssl_certificate_location=key)
    assert refusal(security).startswith(f"ssl_certificate_location {key}: not a readable PEM certificate")


def test_both_clients_get_the_checked_material(tls_material: Path) -> None:
    """librdkafka gets the files once they loaded here; kafka-python the loaded context itself."""
    bad = Environment("prod", "127.0.0.1:1", security=mtls(tls_material, key="order-service-encrypted.key"))
    for build in (client_config, kafka_python_config):
        with pytest.raises(MqctlError, match="the key is encrypted and ssl_key_password is not set"):
            build(bad)
    good = Environment("prod", "127.0.0.1:1", security=mtls(tls_material, ssl_endpoint_identification=False))
    conf = client_config(good)
    assert conf["ssl.key.location"] == str(tls_material / "order-service.key")
    assert conf["ssl.endpoint.identification.algorithm"] == "none"
    assert "ssl.endpoint.identification.algorithm" not in client_config(
        Environment("prod", "127.0.0.1:1", security=mtls(tls_material))
    )
    python = kafka_python_config(good)
    assert python["ssl_context"] is tls_context(good.security) and not python["ssl_context"].check_hostname
    assert "ssl_keyfile" not in python and "ssl_password" not in python


def test_oauthbearer_settings_for_both_clients(tls_material: Path) -> None:
    oauth = OAuthConfig("https://idp.example.com/token", "svc", Secret("client-secret-value"), "kafka",
                        (("logicalCluster", "lkc-1"), ("identityPoolId", "pool-2")))  # fmt: skip
    security = SecurityConfig("SASL_SSL", "OAUTHBEARER", ssl_ca_location=str(tls_material / "ca.crt"), oauth=oauth)
    env = Environment("prod", "127.0.0.1:1", security=security)
    conf = client_config(env)
    assert {k: v for k, v in conf.items() if k.startswith("sasl")} == {
        "sasl.mechanism": "OAUTHBEARER",
        "sasl.oauthbearer.method": "oidc",
        "sasl.oauthbearer.token.endpoint.url": "https://idp.example.com/token",
        "sasl.oauthbearer.client.id": "svc",
        "sasl.oauthbearer.client.secret": "client-secret-value",
        "sasl.oauthbearer.scope": "kafka",
        "sasl.oauthbearer.extensions": "identityPoolId=pool-2,logicalCluster=lkc-1",
    }
    provider = kafka_python_config(env)["sasl_oauth_token_provider"]
    assert isinstance(provider, ClientCredentials)
    assert provider.extensions() == {"logicalCluster": "lkc-1", "identityPoolId": "pool-2"}
    assert principal(env) == "the OAuth client svc (User:<the token's sub>)"


def test_principal_of_a_certificate(tls_material: Path) -> None:
    env = Environment("prod", "127.0.0.1:1", security=mtls(tls_material))
    assert principal(env) == "the principal of client certificate CN=order-service"


def test_certificate_info(tls_material: Path) -> None:
    cert = read_certificate(str(tls_material / "broker.crt"))
    assert (cert.subject, cert.issuer, cert.names) == ("CN=localhost", "CN=mqctl local CA", ("localhost", "127.0.0.1"))
    assert 364 < cert.days_left() < 366
    assert cert.to_dict(cert.not_after - timedelta(days=2))["days_left"] == 2.0


def test_addresses_of_a_bootstrap_list() -> None:
    assert addresses("a:9093, b.example:9094,[::1]:9095,noport") == [("a", 9093), ("b.example", 9094), ("::1", 9095)]


# --- no terminal prompt -----------------------------------------------------------------------


def _on_a_terminal(code: str, seconds: float = 20) -> str:
    """Run Python `code` in a child whose controlling terminal is a pseudo-terminal (where OpenSSL
    asks for pass phrases); what it printed, or what it printed before it blocked."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: a session leader with the pty as its controlling terminal
        os.execv(sys.executable, [sys.executable, "-c", code])
    out = b""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 1024)
                except OSError:  # the child exited and closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            elif b"Enter PEM pass phrase" in out:
                break  # it waits on the terminal
    finally:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):  # still running: blocked on the terminal
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    return out.decode(errors="replace")


def test_no_prompt_for_a_pass_phrase_on_a_terminal(tls_material: Path) -> None:
    """kafka-python would load the encrypted key without a password and OpenSSL would ask on the
    terminal and wait (shown first, so the check can fail); mqctl's settings refuse it instead."""
    cert, key = tls_material / "order-service.crt", tls_material / "order-service-encrypted.key"
    control = _on_a_terminal(f"import ssl; ssl.create_default_context().load_cert_chain({str(cert)!r}, {str(key)!r})")
    assert "Enter PEM pass phrase" in control
    mqctl = _on_a_terminal(
        "from mqctl.config import Environment, SecurityConfig\n"
        "from mqctl.diagnostics import MqctlError\n"
        "from mqctl.kafka.connection import kafka_python_config\n"
        f"sec = SecurityConfig('SSL', ssl_certificate_location={str(cert)!r}, ssl_key_location={str(key)!r})\n"
        "try:\n    kafka_python_config(Environment('prod', '127.0.0.1:1', security=sec))\n"
        "except MqctlError as exc:\n    print('refused:', exc.message)\n"
    )
    assert "Enter PEM pass phrase" not in mqctl
    assert "refused: ssl_key_location" in mqctl and "ssl_key_password is not set" in mqctl
