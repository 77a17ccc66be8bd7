"""OAuth 2 client-credentials tokens for SASL OAUTHBEARER, for kafka-python and for error messages.

librdkafka fetches its own tokens (`sasl.oauthbearer.method=oidc`, mqctl.kafka.connection); kafka-python
takes a token provider object, `ClientCredentials`, which fetches them the same way (HTTP Basic client
authentication, form `grant_type=client_credentials` and `scope`) with a bounded timeout and reuses a
token until shortly before it expires. When a connection is refused, `explain` fetches one token itself
to say whether the token endpoint is the problem (unreachable, refusing the client) or the broker
refused a token it was given, and which audience and issuer that token carried.

Tokens and the client secret are never part of a message: only the token's claims `sub`, `aud`,
`iss` and `scope`, which say whom it is for, not what opens the door.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kafka.net.sasl.oauth import AbstractTokenProvider

from mqctl.config import OAuthConfig, Secret
from mqctl.diagnostics import MqctlError

if TYPE_CHECKING:
    import httpx2 as httpx

RENEW_BEFORE_SECONDS = 60  # fetch a new token this long (at most a fifth of its life) before it expires
TOKEN_TIMEOUT_SECONDS = 10.0  # the token request's bound, when the environment's timeout is longer
SHOWN_CLAIMS = ("sub", "aud", "iss", "scope")


class TokenError(MqctlError):
    """No token from the token endpoint: unreachable, too slow, or refusing the client."""


@dataclass(frozen=True)
class Token:
    value: Secret = field(repr=False)
    renew_at: float  # time.monotonic() clock: shortly before it expires
    claims: dict[str, Any]  # the JWT's payload when it is a JWT (not verified: for messages only)

    def describe(self) -> str:
        shown = [f"{name}={self.claims[name]}" for name in SHOWN_CLAIMS if name in self.claims]
        return ", ".join(shown) if shown else "not a JWT"


def _claims(token: str) -> dict[str, Any]:
    """The payload of a JWT (header.payload.signature), unverified; {} for anything else."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _refusal(answer: httpx.Response) -> str:
    """The OAuth error of a refused token request (RFC 6749 5.2), as one line."""
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    error, description = body.get("error"), body.get("error_description")
    reason = ": ".join(str(part) for part in (error, description) if part) or answer.reason_phrase
    return f"HTTP {answer.status_code}, {reason}"


def fetch_token(oauth: OAuthConfig, timeout: float) -> Token:
    """One client-credentials grant; TokenError with a one-line reason when there is no token."""
    import httpx2 as httpx  # loaded by an OAUTHBEARER environment only

    where = f"the token endpoint {oauth.token_endpoint_url}"
    form = {"grant_type": "client_credentials", **({"scope": oauth.scope} if oauth.scope else {})}
    try:
        answer = httpx.post(
            oauth.token_endpoint_url,
            data=form,
            auth=(oauth.client_id, oauth.client_secret.reveal()),
            headers={"Accept": "application/json"},
            timeout=timeout,
        )
    except httpx.TimeoutException:
        raise TokenError(f"{where} did not answer within {timeout:g}s") from None
    except httpx.HTTPError as exc:
        raise TokenError(f"cannot reach {where} ({exc.__class__.__name__}: {exc})") from None
    if answer.status_code != httpx.codes.OK:
        raise TokenError(f"{where} refused client {oauth.client_id!r} ({_refusal(answer)})")
    try:
        body = answer.json()
        value = str(body["access_token"])
        lifetime = float(body.get("expires_in", 300))
    except (ValueError, KeyError, TypeError):
        raise TokenError(f"{where} answered without an access_token (not an OAuth 2 token response)") from None
    renew_in = lifetime - min(RENEW_BEFORE_SECONDS, lifetime / 5)
    return Token(Secret(value), time.monotonic() + renew_in, _claims(value))


class ClientCredentials(AbstractTokenProvider):  # type: ignore[misc]
    """kafka-python's `sasl_oauth_token_provider`: a token per client, renewed before it expires.
    `last_error` keeps why the last fetch failed, for the connection's failure message."""

    def __init__(self, oauth: OAuthConfig, timeout: float) -> None:
        super().__init__()
        self.oauth = oauth
        self.timeout = min(timeout, TOKEN_TIMEOUT_SECONDS)
        self.last_error: str | None = None
        self._token: Token | None = None
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() >= self._token.renew_at:
                try:
                    self._token = fetch_token(self.oauth, self.timeout)
                except TokenError as exc:
                    self.last_error = exc.message
                    raise
                self.last_error = None
            return self._token.value.reveal()

    def extensions(self) -> dict[str, str]:
        return dict(self.oauth.extensions)


def explain(oauth: OAuthConfig, timeout: float, refusal: str) -> str:
    """Why an OAUTHBEARER login failed, in one line: the token endpoint's own answer, or, when it
    does give a token, that the broker refused it (`refusal`: what the broker said) and for whom
    the token was made."""
    try:
        token = fetch_token(oauth, min(timeout, TOKEN_TIMEOUT_SECONDS))
    except TokenError as exc:
        return exc.message
    return (f"the broker refused the OAuth token of client {oauth.client_id!r} ({token.describe()}): {refusal}. "
            "The listener expects another audience or issuer, or cannot verify the token's signature")  # fmt: skip
