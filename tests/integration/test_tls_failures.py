"""Each TLS and OAuth misconfiguration against the real listeners of the SASL node: `mqctl plan` fails
with exit 1 and ONE line saying what is wrong (never a traceback, never librdkafka's log), within the
bounded timeout, and without printing a secret.

librdkafka is the first client mqctl connects with; kafka-python (mqctl.kafka.protocol) gets the same
diagnosis when it is the one connecting, checked here on its own for every case it can meet: TLS
material, host names, plaintext/TLS mix-ups and the token endpoint. A broker refusing SASL
credentials (a SCRAM password, a token for another audience) is only ever seen by librdkafka: its
login comes first, and kafka-python is told nothing but "socket disconnected" by such a broker.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from mqctl.config import load_config
from mqctl.diagnostics import MqctlError
from mqctl.kafka.protocol import ProtocolClient
from tests.conftest import (
    SASL_BOOTSTRAP,
    SASL_SSL_BOOTSTRAP,
    SSL_BOOTSTRAP,
    TLS_DIR,
    TOKEN_URL,
    WRONG_HOST_BOOTSTRAP,
    Project,
    assert_no_secrets,
    config_text,
    oauth_security,
    security_yaml,
    tls_security,
    unique_env,
)

pytestmark = pytest.mark.sasl
TIMEOUT = 5  # timeout_seconds of every environment here
BOUND = TIMEOUT + 5  # the environment's timeout, plus mqctl's own probe (at most 5 s)
SECRETS = ("order-key-secret", "not-the-key-password", "mqctl-admin-secret", "wrong-client-secret",
           "wrong-audience-secret", "wrong-scram-password")  # fmt: skip
CA = str(TLS_DIR / "ca.crt")
UNUSED_PORT_URL = "http://127.0.0.1:8099/oauth2/token"  # nothing listens there (docs/local-cluster.md's ports)


@dataclass(frozen=True)
class Case:
    bootstrap: str
    security: str
    expected: str  # the line, or the part of it that does not depend on paths and timings
    kafka_python: bool = True  # kafka-python meets it too when it connects

    def line(self, project: Project) -> str:
        """`expected` with the test's environment name (ENV) and project root (ROOT) filled in."""
        return self.expected.replace("ENV", project.env).replace("ROOT", str(project.root))


def _cases() -> dict[str, Case]:
    encrypted = str(TLS_DIR / "order-service-encrypted.key")
    return {
        "unknown-ca": Case(SSL_BOOTSTRAP, tls_security(ssl_ca_location=str(TLS_DIR / "rogue-ca.crt")),
                           "presents a certificate (CN=localhost, issued by CN=mqctl local CA) that is not signed by a "
                           f"CA in ssl_ca_location ({TLS_DIR / 'rogue-ca.crt'}) (certificate verify failed: "
                           "self-signed certificate in certificate chain)"),
        "hostname-mismatch": Case(WRONG_HOST_BOOTSTRAP, tls_security(),
                                  "the broker at 127.0.0.1:49096 presents a certificate for wrong.example "
                                  "(CN=wrong.example, issued by CN=mqctl local CA), not for 127.0.0.1 (certificate "
                                  "verify failed: IP address mismatch"),
        "expired-client-certificate": Case(SSL_BOOTSTRAP, tls_security("expired-client"),
                                           "the client certificate CN=expired-client expired on"),
        "untrusted-client-certificate": Case(SSL_BOOTSTRAP, tls_security("rogue-client"),
                                             "the broker at 127.0.0.1:49094 refused mqctl's client certificate "
                                             "CN=order-service (issued by CN=untrusted rogue CA"),
        "no-client-certificate": Case(SSL_BOOTSTRAP, tls_security(None),
                                      "the broker at 127.0.0.1:49094 requires a client certificate (mutual TLS) and "
                                      "none is configured"),
        "wrong-key-password": Case(SSL_BOOTSTRAP, tls_security("order-service", ssl_key_location=encrypted,
                                                               ssl_key_password="not-the-key-password"),
                                   f"ssl_key_location {encrypted}: ssl_key_password does not decrypt it"),
        "missing-key-password": Case(SSL_BOOTSTRAP, tls_security("order-service", ssl_key_location=encrypted),
                                     f"ssl_key_location {encrypted}: the key is encrypted and ssl_key_password is not "
                                     "set"),
        "missing-ca-file": Case(SSL_BOOTSTRAP, tls_security(ssl_ca_location="tls/nowhere.crt"),
                                "environments.ENV.security.ssl_ca_location: ROOT/tls/nowhere.crt (written "
                                "'tls/nowhere.crt', relative to the project root): no such readable file"),
        "token-endpoint-unreachable": Case(SASL_SSL_BOOTSTRAP, oauth_security(token_endpoint_url=UNUSED_PORT_URL),
                                           f"failed: cannot reach the token endpoint {UNUSED_PORT_URL} "
                                           "(ConnectError: "),
        "token-endpoint-refuses-client": Case(SASL_SSL_BOOTSTRAP, oauth_security(secret="wrong-client-secret"),
                                              f"failed: the token endpoint {TOKEN_URL} refused client 'mqctl-admin' "
                                              "(HTTP 401, invalid_client: client authentication failed (unknown "
                                              "client or wrong secret))"),
        "broker-refuses-token": Case(SASL_SSL_BOOTSTRAP, oauth_security("wrong-audience", "wrong-audience-secret"),
                                     "the broker refused the OAuth token of client 'wrong-audience' "
                                     "(sub=wrong-audience, aud=not-kafka, iss=http://127.0.0.1:8085, scope=kafka): "
                                     'SASL authentication error: {"status":"invalid_token"}', kafka_python=False),
        "plaintext-to-tls-listener": Case(SSL_BOOTSTRAP, security_yaml(protocol="PLAINTEXT"),
                                          "over PLAINTEXT: the listener at 127.0.0.1:49094 speaks TLS, and the "
                                          "environment's protocol does not use it: set protocol SSL (or SASL_SSL)"),
        "tls-to-plaintext-listener": Case(SASL_BOOTSTRAP, security_yaml(
            protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", username="admin",
            password="${KAFKA_ADMIN_PASSWORD}", ssl_ca_location=CA),
            "over SASL_SSL: 127.0.0.1:49092 does not speak TLS: it ended the TLS handshake"),
        "wrong-scram-password": Case(SASL_SSL_BOOTSTRAP, security_yaml(
            protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", username="admin", password="wrong-scram-password",
            ssl_ca_location=CA),
            "authentication to environment 'ENV' failed: SASL authentication error: Authentication failed during "
            "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512", kafka_python=False),
    }  # fmt: skip


CASES = _cases()


def _project(tmp_path: Path, case: Case, timeout: int = TIMEOUT) -> Project:
    env = unique_env()
    (tmp_path / "mqctl.yaml").write_text(config_text(env, case.bootstrap, case.security).replace(
        "timeout_seconds: 15", f"timeout_seconds: {timeout}"))  # fmt: skip
    project = Project(tmp_path, env)
    project.write("topics/orders.yaml", "topics: [{name: orders.created.v1, partitions: 1, replication_factor: 1}]\n")
    return project


def _kafka_python_bootstrap(project: Project) -> str:
    """The error of mqctl's kafka-python client connecting on its own (a missing file fails at load)."""
    with pytest.raises(MqctlError) as caught:
        env = load_config(project.root, project.env).environment
        ProtocolClient(env, lambda: None).call("describe the cluster", lambda client: client.describe_cluster())
    return str(caught.value.diagnostics[0]) if caught.value.diagnostics else caught.value.message


@pytest.mark.parametrize("name", list(CASES))
def test_plan_fails_with_one_clear_line(
    name: str, tmp_path: Path, tls_listeners: Path, oauth_secret: str
) -> None:
    case = CASES[name]
    project = _project(tmp_path, case)
    start = time.monotonic()
    res = project.run("plan", "--env", project.env, "--no-color")
    elapsed = time.monotonic() - start
    assert res.exit_code == 1, res.output
    expected = case.line(project)
    lines = res.stderr.splitlines()
    if name == "missing-ca-file":  # a mistake in mqctl.yaml: the problem at its line, then the count
        assert lines[0].startswith("error: mqctl.yaml:") and expected in lines[0], res.stderr
        assert lines[1:] == ["invalid mqctl.yaml: 1 problem(s)"]
    else:
        assert len(lines) == 1, res.stderr
        assert lines[0].startswith("error: ") and expected in lines[0], res.stderr
    assert res.stdout == ""
    assert "Traceback" not in res.output and "rdkafka" not in res.output and "%3|" not in res.output
    assert elapsed < BOUND, f"{elapsed:.1f} s"
    assert_no_secrets(project.outputs, *SECRETS)


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case.kafka_python])
def test_kafka_python_connecting_gives_the_same_reason(
    name: str, tmp_path: Path, tls_listeners: Path, oauth_secret: str
) -> None:
    """mqctl.kafka.protocol's own bootstrap: kafka-python only times out, mqctl says why. Every case
    here fails, so kafka-python always waits the whole timeout: 1 s, the least mqctl.yaml allows."""
    case = CASES[name]
    project = _project(tmp_path, case, timeout=1)
    start = time.monotonic()
    message = _kafka_python_bootstrap(project)
    elapsed = time.monotonic() - start
    assert case.line(project) in message
    assert "\n" not in message
    assert elapsed < 1 + 5, f"{elapsed:.1f} s"  # the timeout, plus mqctl's own probe (at most 5 s)
    assert_no_secrets([message], *SECRETS)


def test_hostname_check_off_reaches_the_wrong_host_listener_with_a_warning(
    tmp_path: Path, tls_listeners: Path
) -> None:
    """The control for "hostname-mismatch": the same listener and material work once host names are
    not checked, so only the name was wrong; mqctl says that checking is off."""
    working = Case(WRONG_HOST_BOOTSTRAP, tls_security(ssl_endpoint_identification=False), "")
    project = _project(tmp_path, working, timeout=15)  # it works: the usual timeout
    res = project.run("cluster", "info", "--env", project.env, "--no-color")
    assert res.exit_code == 0, res.output
    assert "warning: mqctl.yaml:" in res.stdout and "ssl_endpoint_identification: false: the broker's certificate" \
        in res.stdout  # fmt: skip
    assert "CN=wrong.example" in res.stdout
    plan = project.run("plan", "--env", project.env, "--no-color")
    assert plan.exit_code == 2 and "ssl_endpoint_identification: false" in plan.stdout, plan.output


@pytest.mark.parametrize("client", ["librdkafka", "kafka-python"])
def test_a_token_endpoint_that_never_answers(
    client: str, tmp_path: Path, tls_listeners: Path, oauth_secret: str
) -> None:
    """It accepts the connection and says nothing: both clients' waits end at the timeout, and mqctl's
    own token request, bounded too, names the endpoint."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/oauth2/token"
        # the least timeout mqctl.yaml allows: every wait here lasts it out
        project = _project(tmp_path, Case(SASL_SSL_BOOTSTRAP, oauth_security(token_endpoint_url=url), ""), timeout=1)
        start = time.monotonic()
        if client == "librdkafka":
            res = project.run("plan", "--env", project.env, "--no-color")
            assert res.exit_code == 1 and res.stdout == "", res.output
            message = res.stderr.strip()
        else:
            message = _kafka_python_bootstrap(project)
        elapsed = time.monotonic() - start
    assert "\n" not in message
    assert f"authentication to environment '{project.env}' failed: the token endpoint {url} did not answer within" \
        in message  # fmt: skip
    assert elapsed < 1 + 5 + 5, f"{elapsed:.1f} s"  # the timeout, then mqctl's own token request (5 s); slack
