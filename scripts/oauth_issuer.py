"""A small OAuth 2.0 token issuer for the local cluster's OAUTHBEARER listener (run by
scripts/local-cluster.sh like the JVMs: pid file, log, readiness).

Client-credentials grant only, for a fixed set of clients (scripts/oauth-clients.json):

  POST /oauth2/token      form grant_type=client_credentials [&scope=...]; the client authenticates with
                          HTTP Basic (client_secret_basic) or client_id/client_secret form fields
                          (client_secret_post). 200 {"access_token", "token_type": "Bearer", "expires_in",
                          "scope"}; unknown client or wrong secret: 401 {"error": "invalid_client", ...}
  GET  /oauth2/jwks       the JSON Web Key Set with the RS256 public key
  GET  /.well-known/openid-configuration   issuer, token_endpoint, jwks_uri (discovery)

Access tokens are RS256-signed JWTs: header kid = the key's RFC 7638 thumbprint; claims iss, sub (the
client id), aud, scope (space-separated), iat, nbf, exp, jti, client_id. Listens on loopback only.
Plain HTTP: librdkafka's OIDC and Kafka's JWKS fetch both accept http:// URLs (docs/local-cluster.md).
Secrets are never logged. `-Dmqctl.node=DIR` is accepted and ignored: it marks the process as the
local cluster's, the way the JVMs are marked.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import ipaddress
import json
import sys
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote_plus

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TOKEN_PATH = "/oauth2/token"
JWKS_PATH = "/oauth2/jwks"
DISCOVERY_PATH = "/.well-known/openid-configuration"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


@dataclass(frozen=True)
class Client:
    secret: str
    scopes: tuple[str, ...]
    audience: str | None
    lifetime: int


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


class Issuer:
    def __init__(self, issuer: str, key: rsa.RSAPrivateKey, clients: dict[str, Client]) -> None:
        self.issuer = issuer
        self.key = key
        self.clients = clients
        numbers = key.public_key().public_numbers()
        self.jwk = {"kty": "RSA", "e": b64url(_int_bytes(numbers.e)), "n": b64url(_int_bytes(numbers.n))}
        thumbprint = json.dumps(self.jwk, sort_keys=True, separators=(",", ":")).encode()  # RFC 7638 order
        self.kid = b64url(hashlib.sha256(thumbprint).digest())

    def jwks(self) -> dict[str, Any]:
        return {"keys": [{**self.jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def authenticate(self, client_id: str | None, secret: str | None) -> tuple[str, Client]:
        client = self.clients.get(client_id or "")
        # compare even for an unknown client, so both refusals take the same time
        expected = client.secret if client else "\0"
        if not hmac.compare_digest((secret or "").encode(), expected.encode()) or client is None or not client_id:
            raise OAuthError(401, "invalid_client", "client authentication failed (unknown client or wrong secret)")
        return client_id, client

    def token(self, client_id: str, client: Client, requested: str | None) -> dict[str, Any]:
        scopes = tuple(requested.split()) if requested else client.scopes
        refused = [s for s in scopes if s not in client.scopes]
        if refused:
            raise OAuthError(400, "invalid_scope", f"scope not allowed for this client: {' '.join(refused)}")
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": client_id,
            "scope": " ".join(scopes),
            "iat": now,
            "nbf": now,
            "exp": now + client.lifetime,
            "jti": str(uuid.uuid4()),
            "client_id": client_id,
        }
        if client.audience:
            claims["aud"] = client.audience
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = ".".join(b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims))
        signature = self.key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return {
            "access_token": f"{signing_input}.{b64url(signature)}",
            "token_type": "Bearer",
            "expires_in": client.lifetime,
            "scope": claims["scope"],
        }


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """client_secret_basic: RFC 6749 2.3.1 form-encodes id and secret before base64."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise OAuthError(401, "invalid_client", "malformed Basic authorization header") from exc
    user, sep, password = decoded.partition(":")
    if not sep:
        raise OAuthError(401, "invalid_client", "malformed Basic authorization header")
    return unquote_plus(user), unquote_plus(password)


def make_handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "mqctl-local-issuer/1"
        client_label = "-"

        def log_message(self, format: str, *args: Any) -> None:  # one line per request, no secrets
            line = format % args
            sys.stderr.write(f"{self.log_date_time_string()} client={self.client_label} {line}\n")

        def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == JWKS_PATH:
                self._json(200, issuer.jwks())
            elif path == DISCOVERY_PATH:
                self._json(200, {
                    "issuer": issuer.issuer,
                    "token_endpoint": issuer.issuer + TOKEN_PATH,
                    "jwks_uri": issuer.issuer + JWKS_PATH,
                    "grant_types_supported": ["client_credentials"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                })  # fmt: skip
            else:
                self._json(404, {"error": "not_found", "error_description": f"no such endpoint: {path}"})

        def do_POST(self) -> None:
            if self.path.split("?", 1)[0] != TOKEN_PATH:
                self._json(404, {"error": "not_found", "error_description": f"no such endpoint: {self.path}"})
                return
            try:
                self._json(200, self._token())
            except OAuthError as exc:
                headers = {"WWW-Authenticate": 'Basic realm="mqctl-local"'} if exc.status == 401 else None
                self._json(exc.status, {"error": exc.error, "error_description": exc.description}, headers)

        def _token(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            if length > 65536:
                raise OAuthError(400, "invalid_request", "request body too large")
            form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"), keep_blank_values=True)

            def field(name: str) -> str | None:
                values = form.get(name)
                if values and len(values) > 1:
                    raise OAuthError(400, "invalid_request", f"{name} given more than once")
                return values[0] if values else None

            basic = basic_credentials(self.headers.get("Authorization"))
            form_id, form_secret = field("client_id"), field("client_secret")
            if basic and form_secret is not None:
                raise OAuthError(400, "invalid_request", "use one client authentication method, not two")
            if basic and form_id is not None and form_id != basic[0]:
                raise OAuthError(400, "invalid_request", "client_id differs from the Basic credentials")
            client_id, secret = basic or (form_id, form_secret)
            self.client_label = client_id or "-"
            if client_id is None or secret is None:
                raise OAuthError(401, "invalid_client", "client authentication missing (Basic or client_id/secret)")
            client_id, client = issuer.authenticate(client_id, secret)
            grant = field("grant_type")
            if grant != "client_credentials":
                raise OAuthError(400, "unsupported_grant_type", f"only client_credentials is supported, not {grant!r}")
            return issuer.token(client_id, client, field("scope"))

    return Handler


def load_clients(path: Path) -> tuple[str | None, dict[str, Client]]:
    config = json.loads(path.read_text())
    lifetime = int(config.get("token_lifetime_seconds", 3600))
    default_audience = config.get("audience")
    clients = {
        name: Client(
            secret=str(entry["secret"]),
            scopes=tuple(entry.get("scopes", [])),
            audience=entry.get("audience", default_audience),
            lifetime=int(entry.get("token_lifetime_seconds", lifetime)),
        )
        for name, entry in config["clients"].items()
    }
    return default_audience, clients


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=Path, default=Path(__file__).with_name("oauth-clients.json"))
    parser.add_argument("--key", type=Path, required=True, help="PEM RSA private key the tokens are signed with")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--in-container", action="store_true",
                        help="allow a non-loopback --host such as 0.0.0.0: only inside a container whose port is "
                        "published on 127.0.0.1 (docker-compose.yml)")
    parser.add_argument("--port", type=int, default=8085)
    parser.add_argument("--issuer", help="the iss claim (default http://HOST:PORT)")
    parser.add_argument("-D", action="append", default=[], metavar="KEY=VALUE", help="ignored (process marker)")
    args = parser.parse_args(argv)

    if not args.in_container and args.host != "localhost" and not ipaddress.ip_address(args.host).is_loopback:
        parser.error(f"--host must be a loopback address, not {args.host}")
    key = serialization.load_pem_private_key(args.key.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        parser.error(f"{args.key} is not an RSA key (RS256 needs one)")
    _, clients = load_clients(args.clients)
    issuer = Issuer(args.issuer or f"http://{args.host}:{args.port}", key, clients)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(issuer))
    print(f"issuer {issuer.issuer}: token {TOKEN_PATH}, JWKS {JWKS_PATH}, kid {issuer.kid}, "
          f"clients {', '.join(sorted(clients))}", file=sys.stderr, flush=True)  # fmt: skip
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
