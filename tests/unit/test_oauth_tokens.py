"""Client-credentials tokens for OAUTHBEARER (mqctl.kafka.oauth) against the project's own token
issuer (scripts/oauth_issuer.py, started here on a free loopback port) and against servers that
misbehave: every failure is one bounded line without the secret."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from mqctl.config import OAuthConfig, Secret
from mqctl.kafka.oauth import ClientCredentials, TokenError, explain, fetch_token
from tests.conftest import REPO_ROOT

SECRET = "svc-secret-value-1234"


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def issuer(tls_material: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The local issuer with two clients: svc (hour-long tokens) and brief (2-second tokens)."""
    clients = tmp_path_factory.mktemp("issuer") / "clients.json"
    clients.write_text(json.dumps({"audience": "kafka", "clients": {
        "svc": {"secret": SECRET, "scopes": ["kafka"]},
        "brief": {"secret": SECRET, "scopes": ["kafka"], "token_lifetime_seconds": 2},
    }}))  # fmt: skip
    port = _free_port()
    script, key = REPO_ROOT / "scripts" / "oauth_issuer.py", tls_material / "oauth-signing.key"
    process = subprocess.Popen(
        [sys.executable, str(script), "--key", str(key), "--clients", str(clients), "--port", str(port)],
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                urllib.request.urlopen(f"{base}/oauth2/jwks", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("the token issuer did not start")
                time.sleep(0.1)
        yield f"{base}/oauth2/token"
    finally:
        process.terminate()
        process.wait(10)


def oauth(url: str, client: str = "svc", secret: str = SECRET, scope: str | None = "kafka") -> OAuthConfig:
    return OAuthConfig(url, client, Secret(secret), scope)


def test_a_token_with_its_claims(issuer: str) -> None:
    token = fetch_token(oauth(issuer), 5)
    assert token.claims["sub"] == "svc" and token.claims["aud"] == "kafka"
    assert token.describe() == f"sub=svc, aud=kafka, iss={issuer.removesuffix('/oauth2/token')}, scope=kafka"
    assert token.value.reveal().count(".") == 2 and token.value.reveal() not in repr(token)


def test_the_provider_reuses_a_token_until_shortly_before_it_expires(issuer: str) -> None:
    lasting = ClientCredentials(oauth(issuer), 5)
    assert lasting.token() == lasting.token()
    brief = ClientCredentials(oauth(issuer, "brief"), 5)
    first = brief.token()
    assert brief.token() == first
    time.sleep(1.8)  # renewed a fifth of its 2 s lifetime before it ends
    assert brief.token() != first


def test_a_refused_client_is_one_line_with_the_oauth_error_and_no_secret(issuer: str) -> None:
    with pytest.raises(TokenError) as caught:
        fetch_token(oauth(issuer, secret="wrong-secret-5678"), 5)
    assert caught.value.message == (
        f"the token endpoint {issuer} refused client 'svc' (HTTP 401, invalid_client: client authentication "
        "failed (unknown client or wrong secret))"
    )
    with pytest.raises(TokenError, match=r"refused client 'svc' \(HTTP 400, invalid_scope"):
        fetch_token(oauth(issuer, scope="admin"), 5)


def test_the_provider_keeps_the_last_error_for_the_connection_message(issuer: str) -> None:
    provider = ClientCredentials(oauth(issuer, secret="wrong-secret-5678"), 5)
    with pytest.raises(TokenError):
        provider.token()
    assert provider.last_error is not None and "invalid_client" in provider.last_error


def test_explain_says_the_broker_refused_a_token_the_endpoint_gave(issuer: str) -> None:
    said = explain(oauth(issuer), 5, 'SASL authentication error: {"status":"invalid_token"}')
    assert said.startswith("the broker refused the OAuth token of client 'svc' (sub=svc, aud=kafka, iss=")
    assert said.endswith('{"status":"invalid_token"}. The listener expects another audience or issuer, or cannot '
                         "verify the token's signature")  # fmt: skip
    assert explain(oauth(issuer, secret="wrong-secret-5678"), 5, "x").startswith(f"the token endpoint {issuer} refused")


def test_an_endpoint_nobody_listens_on() -> None:
    url = f"http://127.0.0.1:{_free_port()}/oauth2/token"
    with pytest.raises(TokenError, match=rf"^cannot reach the token endpoint {url} \(ConnectError: "):
        fetch_token(oauth(url), 5)


def test_an_endpoint_that_never_answers_fails_within_the_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts (backlog), never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/oauth2/token"
        start = time.monotonic()
        with pytest.raises(TokenError, match=rf"^the token endpoint {url} did not answer within 1s$"):
            fetch_token(oauth(url), 1)
        assert time.monotonic() - start < 3


class _NotOAuth(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = b"<html>login page</html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_an_endpoint_that_is_not_an_oauth_server() -> None:
    server = HTTPServer(("127.0.0.1", 0), _NotOAuth)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/token"
        with pytest.raises(TokenError, match="answered without an access_token"):
            fetch_token(oauth(url), 5)
    finally:
        server.shutdown()
        server.server_close()
