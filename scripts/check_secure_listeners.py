"""Prove the local SASL node's TLS and OAuth listeners work, and that bad material fails, from both
Python clients mqctl uses: confluent-kafka (librdkafka) and kafka-python.

    .venv/bin/python scripts/check_secure_listeners.py            # against the running local cluster
    .venv/bin/python scripts/check_secure_listeners.py --markdown # the table for docs/local-cluster.md

Each case connects, asks for the cluster's metadata (describe_cluster) and records what happened: OK,
or the exact error text each client gave (the exception, and librdkafka's error_cb / kafka-python's
log records, which carry the TLS or SASL detail the exception lacks). Some cases then check the
principal: the super user mqctl-admin may list ACLs, order-service may not, and an ACL that grants
User:order-service DESCRIBE on one topic makes that topic visible to it (so CN=order-service and the
OAuth client order-service both map to User:order-service). The topic and ACL are removed afterwards.
Exit 0 when every case did what it should, 1 otherwise. Loopback only; needs `make cluster-up`.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
SASL_PLAINTEXT, SSL, SASL_SSL, BADHOST = 49092, 49094, 49095, 49096
ISSUER = f"http://{HOST}:8085"
TOKEN_URL = f"{ISSUER}/oauth2/token"
TIMEOUT_S = 6
CHECK_TOPIC = "mqctl-listener-check"
ANY: Any = None  # an ACL filter's None matches any name, principal or host


@dataclass
class Outcome:
    ok: bool
    error: str = ""  # the exception, as the client raised it
    detail: list[str] = field(default_factory=list)  # distinct error_cb / log lines, first ones
    topics: set[str] | None = None
    acls_allowed: bool | None = None  # may DESCRIBE the cluster (list ACLs): only super users here


def _short(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _distinct(lines: list[str], keep: int = 8) -> list[str]:
    """The first `keep` different lines; retries of the same failure differ only in numbers."""
    seen: list[str] = []
    for line in lines:
        if "not ready; waiting" in line:  # kafka-python's retry chatter
            continue
        line = _short(line, 600)
        line = re.sub(r"<-\d+\]", "<-PORT]", line)
        line = re.sub(r"after \d+ms", "after Nms", line)
        line = re.sub(r"\(backoff [\d.]+ secs\)", "(backoff)", line)
        line = re.sub(r"\d+/\d+ brokers are down", "N/N brokers are down", line)
        line = re.sub(r"rdkafka#producer-\d+", "rdkafka#producer-N", line)
        line = re.sub(r"check\.librdkafka\.[0-9a-f]+", "librdkafka", line)
        if line not in seen:
            seen.append(line)
    return seen[:keep]


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


@contextmanager
def captured_logs(name: str) -> Iterator[tuple[logging.Logger, LogCapture]]:
    """WARNING and above of logger `name` (kafka-python's "kafka", or one handed to librdkafka)."""
    capture = LogCapture()
    logger = logging.getLogger(name)
    logger.addHandler(capture)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield logger, capture
    finally:
        logger.removeHandler(capture)


# ---------------------------------------------------------------------------------------------
# tokens


def fetch_token(client_id: str, secret: str, scope: str | None = "kafka") -> dict[str, Any]:
    """The client-credentials grant, as librdkafka does it (HTTP Basic)."""
    body = "grant_type=client_credentials" + (f"&scope={scope}" if scope else "")
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        TOKEN_URL, data=body.encode(), headers={"Authorization": f"Basic {basic}"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as resp:
        token: dict[str, Any] = json.load(resp)
    return token


def issuer_refusal(client_id: str, secret: str) -> str:
    """What the issuer answers to bad client credentials: 'HTTP 401 {...}'."""
    try:
        fetch_token(client_id, secret)
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} {exc.read().decode()}"
    return "HTTP 200 (a token was issued)"


def forged_token(sub: str = "mqctl-admin") -> str:
    """A well-formed RS256 JWT for `sub` with the right iss/aud, signed by a key the issuer never had."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = json.load(urllib.request.urlopen(f"{ISSUER}/oauth2/jwks", timeout=5))["keys"][0]["kid"]
    now = int(time.time())
    header = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode())
    claims = b64(json.dumps({
        "iss": ISSUER, "sub": sub, "aud": "kafka", "scope": "kafka", "iat": now, "exp": now + 600,
    }).encode())  # fmt: skip
    signature = b64(key.sign(f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256()))
    return f"{header}.{claims}.{signature}"


# ---------------------------------------------------------------------------------------------
# confluent-kafka


def ck_run(config: dict[str, Any], principal_checks: bool = False) -> Outcome:
    errors: list[str] = []
    with captured_logs(f"check.librdkafka.{uuid.uuid4().hex}") as (logger, logs):
        config = {
            "logger": logger,
            "error_cb": lambda err: errors.append(f"error_cb: {err}"),
            "reconnect.backoff.max.ms": 1000,
            **config,
        }
        try:
            admin = AdminClient(config)
        except KafkaException as exc:  # e.g. a key that cannot be read is refused at construction
            return Outcome(False, f"KafkaException: {exc}", _distinct(errors + logs.lines))

        def wait(future: Any) -> Any:
            deadline = time.monotonic() + TIMEOUT_S + 2
            while not future.done() and time.monotonic() < deadline:
                admin.poll(0.2)  # serves error_cb and the log callback
            return future.result(timeout=0.1)

        try:
            wait(admin.describe_cluster(request_timeout=TIMEOUT_S))
        except (KafkaException, TimeoutError) as exc:
            return Outcome(False, f"{type(exc).__name__}: {exc}", _distinct(errors + logs.lines))
        outcome = Outcome(True, detail=_distinct(errors + logs.lines))
        if principal_checks:
            outcome.topics = set(admin.list_topics(timeout=TIMEOUT_S).topics)
            # not describe_acls: confluent-kafka 2.16 returns [] when the broker refuses it
            # (CLUSTER_AUTHORIZATION_FAILED), where kafka-python raises
            cluster = wait(admin.describe_cluster(include_authorized_operations=True, request_timeout=TIMEOUT_S))
            outcome.acls_allowed = AclOperation.DESCRIBE in (cluster.authorized_operations or [])
            if not outcome.acls_allowed:
                operations = sorted(op.name for op in cluster.authorized_operations or [])
                outcome.detail.append(f"authorized operations on the cluster: {operations}")
        return outcome


# ---------------------------------------------------------------------------------------------
# kafka-python


def token_provider(fetch: Callable[[], str]) -> Any:
    """A kafka-python AbstractTokenProvider whose token() returns fetch() (cached until 30 s before exp)."""
    from kafka.net.sasl.oauth import AbstractTokenProvider

    class Provider(AbstractTokenProvider):  # type: ignore[misc]  # kafka-python is untyped
        def __init__(self) -> None:
            self._token = ""
            self._renew_at = 0.0

        def token(self) -> str:
            if time.time() >= self._renew_at:
                self._token = fetch()
                self._renew_at = time.time() + 60
            return self._token

    return Provider()


def issuer_provider(client_id: str, secret: str) -> Any:
    def fetch() -> str:
        answer = fetch_token(client_id, secret)
        return str(answer["access_token"])

    return token_provider(fetch)


def kp_run(config: dict[str, Any], principal_checks: bool = False) -> Outcome:
    from kafka.admin import (
        ACLFilter,
        ACLOperation,
        ACLPermissionType,
        ACLResourcePatternType,
        KafkaAdminClient,
        ResourcePatternFilter,
    )
    from kafka.admin import ResourceType as KpResourceType
    from kafka.errors import KafkaError

    with captured_logs("kafka") as (_, logs):
        try:
            admin = KafkaAdminClient(
                **config, request_timeout_ms=TIMEOUT_S * 1000, bootstrap_timeout_ms=TIMEOUT_S * 1000
            )
        except Exception as exc:  # what kafka-python raises for each fault is the point of this script
            return Outcome(False, f"{type(exc).__name__}: {exc}", _distinct(logs.lines))
        try:
            admin.describe_cluster()
            outcome = Outcome(True, detail=_distinct(logs.lines))
            if principal_checks:
                outcome.topics = set(admin.list_topics())
                acl_filter = ACLFilter(
                    principal=None, host=None, operation=ACLOperation.ANY, permission_type=ACLPermissionType.ANY,
                    resource_pattern=ResourcePatternFilter(KpResourceType.ANY, None, ACLResourcePatternType.ANY),
                )  # fmt: skip
                try:
                    admin.describe_acls(acl_filter)
                    outcome.acls_allowed = True
                except KafkaError as exc:
                    outcome.acls_allowed = False
                    outcome.detail.append(f"describe_acls: {type(exc).__name__}: {exc}")
            return outcome
        except Exception as exc:
            return Outcome(False, f"{type(exc).__name__}: {exc}", _distinct(logs.lines))
        finally:
            admin.close()


# ---------------------------------------------------------------------------------------------
# the cases


@dataclass
class Case:
    name: str
    expect_ok: bool
    ck: dict[str, Any] | None  # None: not applicable to confluent-kafka
    kp: dict[str, Any] | None
    principal: str | None = None  # expected principal checks: "super", "order-service", "other"
    note: str = ""


def cases(tls: Path, admin_password: str, clients: dict[str, Any]) -> list[Case]:
    def f(name: str) -> str:
        return str(tls / name)

    def ck_tls(port: int, cert: str | None = "mqctl-admin", ca: str = "ca.crt", **extra: Any) -> dict[str, Any]:
        config: dict[str, Any] = {"bootstrap.servers": f"{HOST}:{port}", "security.protocol": "SSL",
                                  "ssl.ca.location": f(ca)}  # fmt: skip
        if cert:
            config |= {"ssl.certificate.location": f(f"{cert}.crt"), "ssl.key.location": f(f"{cert}.key")}
        return config | extra

    def kp_tls(port: int, cert: str | None = "mqctl-admin", ca: str = "ca.crt", **extra: Any) -> dict[str, Any]:
        config: dict[str, Any] = {"bootstrap_servers": f"{HOST}:{port}", "security_protocol": "SSL",
                                  "ssl_cafile": f(ca)}  # fmt: skip
        if cert:
            config |= {"ssl_certfile": f(f"{cert}.crt"), "ssl_keyfile": f(f"{cert}.key")}
        return config | extra

    def secret(client: str) -> str:
        return str(clients[client]["secret"])

    def ck_oidc(client: str, client_secret: str | None = None) -> dict[str, Any]:
        return {
            "bootstrap.servers": f"{HOST}:{SASL_SSL}", "security.protocol": "SASL_SSL", "ssl.ca.location": f("ca.crt"),
            "sasl.mechanism": "OAUTHBEARER", "sasl.oauthbearer.method": "oidc",
            "sasl.oauthbearer.client.id": client, "sasl.oauthbearer.client.secret": client_secret or secret(client),
            "sasl.oauthbearer.token.endpoint.url": TOKEN_URL, "sasl.oauthbearer.scope": "kafka",
        }  # fmt: skip

    def kp_oauth(provider: Any) -> dict[str, Any]:
        return {
            "bootstrap_servers": f"{HOST}:{SASL_SSL}", "security_protocol": "SASL_SSL", "ssl_cafile": f("ca.crt"),
            "sasl_mechanism": "OAUTHBEARER", "sasl_oauth_token_provider": provider,
        }  # fmt: skip

    def ck_scram(user: str, password: str) -> dict[str, Any]:
        return {
            "bootstrap.servers": f"{HOST}:{SASL_SSL}", "security.protocol": "SASL_SSL", "ssl.ca.location": f("ca.crt"),
            "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": user, "sasl.password": password,
        }  # fmt: skip

    def kp_scram(user: str, password: str) -> dict[str, Any]:
        return {
            "bootstrap_servers": f"{HOST}:{SASL_SSL}", "security_protocol": "SASL_SSL", "ssl_cafile": f("ca.crt"),
            "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": user, "sasl_plain_password": password,
        }  # fmt: skip

    forged = forged_token()

    def ck_forged(config: dict[str, Any]) -> None:
        config["oauth_cb"] = lambda _config: (forged, time.time() + 600)

    ck_forged_config = {
        "bootstrap.servers": f"{HOST}:{SASL_SSL}", "security.protocol": "SASL_SSL", "ssl.ca.location": f("ca.crt"),
        "sasl.mechanism": "OAUTHBEARER",
    }  # fmt: skip
    ck_forged(ck_forged_config)
    enc_key = {"ssl.key.location": f("order-service-encrypted.key")}
    kp_enc_key = {"ssl_keyfile": f("order-service-encrypted.key")}

    return [
        # --- working configurations
        Case("SSL (mTLS) as CN=mqctl-admin", True, ck_tls(SSL), kp_tls(SSL), "super"),
        Case("SSL (mTLS) as CN=order-service", True, ck_tls(SSL, "order-service"), kp_tls(SSL, "order-service"),
             "order-service"),
        Case("SSL (mTLS) as CN=analytics-service", True, ck_tls(SSL, "analytics-service"),
             kp_tls(SSL, "analytics-service"), "other"),
        Case("SSL (mTLS), encrypted key with its password", True,
             ck_tls(SSL, "order-service", **enc_key, **{"ssl.key.password": "order-key-secret"}),
             kp_tls(SSL, "order-service", **kp_enc_key, ssl_password="order-key-secret"), "order-service"),
        Case("SASL_SSL SCRAM-SHA-512 as admin", True, ck_scram("admin", admin_password),
             kp_scram("admin", admin_password), "super"),
        Case("SASL_SSL OAUTHBEARER as mqctl-admin", True, ck_oidc("mqctl-admin"),
             kp_oauth(issuer_provider("mqctl-admin", secret("mqctl-admin"))), "super"),
        Case("SASL_SSL OAUTHBEARER as order-service", True, ck_oidc("order-service"),
             kp_oauth(issuer_provider("order-service", secret("order-service"))), "order-service"),
        Case("wrong-host listener, hostname verification off", True,
             ck_tls(BADHOST, **{"ssl.endpoint.identification.algorithm": "none"}),
             kp_tls(BADHOST, ssl_check_hostname=False), None,
             "proves the only fault of that listener is the name in its certificate"),
        # --- bad material and misconfigurations
        Case("wrong-host listener (certificate for wrong.example)", False, ck_tls(BADHOST), kp_tls(BADHOST)),
        Case("client certificate expired", False, ck_tls(SSL, "expired-client"), kp_tls(SSL, "expired-client")),
        Case("client certificate from an untrusted CA", False, ck_tls(SSL, "rogue-client"),
             kp_tls(SSL, "rogue-client")),
        Case("client trusts another CA (broker certificate unverifiable)", False, ck_tls(SSL, ca="rogue-ca.crt"),
             kp_tls(SSL, ca="rogue-ca.crt")),
        Case("no client certificate on the mTLS listener", False, ck_tls(SSL, None), kp_tls(SSL, None)),
        Case("encrypted key, no password", False, ck_tls(SSL, "order-service", **enc_key),
             kp_tls(SSL, "order-service", **kp_enc_key)),
        Case("encrypted key, wrong password", False,
             ck_tls(SSL, "order-service", **enc_key, **{"ssl.key.password": "wrong"}),
             kp_tls(SSL, "order-service", **kp_enc_key, ssl_password="wrong")),
        Case("SCRAM-SHA-512 over SASL_SSL, wrong password", False, ck_scram("admin", "wrong"),
             kp_scram("admin", "wrong")),
        Case("OAUTHBEARER, wrong client secret (issuer: HTTP 401)", False, ck_oidc("order-service", "wrong"),
             kp_oauth(issuer_provider("order-service", "wrong"))),
        Case("OAUTHBEARER, unknown client (issuer: HTTP 401)", False, ck_oidc("nobody", "nothing"),
             kp_oauth(issuer_provider("nobody", "nothing"))),
        Case("OAUTHBEARER, token for another audience", False, ck_oidc("wrong-audience"),
             kp_oauth(issuer_provider("wrong-audience", secret("wrong-audience")))),
        Case("OAUTHBEARER, token signed by an unknown key", False, ck_forged_config,
             kp_oauth(token_provider(lambda: forged))),
        Case("PLAINTEXT client on the TLS listener", False,
             {"bootstrap.servers": f"{HOST}:{SSL}", "security.protocol": "PLAINTEXT"},
             {"bootstrap_servers": f"{HOST}:{SSL}", "security_protocol": "PLAINTEXT"}),
        Case("SSL client on the SASL_PLAINTEXT listener 49092", False,
             ck_tls(SASL_PLAINTEXT), kp_tls(SASL_PLAINTEXT)),
        Case("OAUTHBEARER on the SASL_PLAINTEXT listener 49092 (mechanism not enabled there)", False,
             {**ck_oidc("mqctl-admin"), "bootstrap.servers": f"{HOST}:{SASL_PLAINTEXT}",
              "security.protocol": "SASL_PLAINTEXT"},
             {**kp_oauth(issuer_provider("mqctl-admin", secret("mqctl-admin"))),
              "bootstrap_servers": f"{HOST}:{SASL_PLAINTEXT}", "security_protocol": "SASL_PLAINTEXT"}),
    ]


@contextmanager
def order_service_grant(admin_password: str) -> Iterator[None]:
    """A topic only User:order-service may describe (created and removed as admin over SASL_PLAINTEXT)."""
    admin = AdminClient({
        "bootstrap.servers": f"{HOST}:{SASL_PLAINTEXT}", "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "admin", "sasl.password": admin_password,
    })  # fmt: skip
    acl = AclBinding(ResourceType.TOPIC, CHECK_TOPIC, ResourcePatternType.LITERAL, "User:order-service", "*",
                     AclOperation.DESCRIBE, AclPermissionType.ALLOW)  # fmt: skip
    for future in admin.create_topics([NewTopic(CHECK_TOPIC, 1, 1)]).values():
        try:
            future.result(timeout=15)
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
    for future in admin.create_acls([acl]).values():
        future.result(timeout=15)
    time.sleep(1)  # the authorizer applies the ACL from the metadata log
    try:
        yield
    finally:
        for future in admin.delete_acls([AclBindingFilter(
            ResourceType.TOPIC, CHECK_TOPIC, ResourcePatternType.LITERAL, ANY, ANY, AclOperation.ANY,
            AclPermissionType.ANY,
        )]).values():  # fmt: skip
            future.result(timeout=15)
        for future in admin.delete_topics([CHECK_TOPIC]).values():
            future.result(timeout=15)


def judge(case: Case, outcome: Outcome) -> str | None:
    """Why the outcome is not what the case expects, or None."""
    if outcome.ok != case.expect_ok:
        return "connected" if outcome.ok else "failed"
    if not outcome.ok or case.principal is None:
        return None
    sees_topic = CHECK_TOPIC in (outcome.topics or set())
    seen = f"(describe_acls allowed: {outcome.acls_allowed}, sees {CHECK_TOPIC}: {sees_topic})"
    if case.principal == "super" and not (outcome.acls_allowed and sees_topic):
        return f"not a super user {seen}"
    if case.principal == "order-service" and (outcome.acls_allowed or not sees_topic):
        return f"not User:order-service {seen}"
    if case.principal == "other" and (outcome.acls_allowed or sees_topic):
        return f"more rights than expected {seen}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tls-dir", type=Path,
                        default=Path(os.environ.get("MQCTL_CLUSTER_DIR", ROOT / ".local-cluster")) / "tls")
    parser.add_argument("--oauth-clients", type=Path, default=ROOT / "scripts" / "oauth-clients.json")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--only", help="run only the cases whose name contains this text")
    args = parser.parse_args(argv)
    if os.isatty(0) and not os.environ.get("_CHECK_DETACHED"):
        # kafka-python (Python's ssl) given an encrypted key without a password makes OpenSSL prompt
        # "Enter PEM pass phrase:" on the terminal and wait; without a terminal it fails at once
        child = subprocess.run([sys.executable, __file__, *(sys.argv[1:] if argv is None else argv)],
                               stdin=subprocess.DEVNULL, start_new_session=True,
                               env={**os.environ, "_CHECK_DETACHED": "1"}, check=False)  # fmt: skip
        return child.returncode

    admin_password = os.environ.get("KAFKA_ADMIN_PASSWORD", "admin-secret")
    clients = json.loads(args.oauth_clients.read_text())["clients"]
    print("issuer, wrong client secret: " + issuer_refusal("order-service", "wrong"))
    print("issuer, unknown client:      " + issuer_refusal(f"nobody-{uuid.uuid4().hex[:6]}", "nothing"))

    failures = 0
    rows: list[tuple[str, str, str, Outcome, str | None]] = []
    with order_service_grant(admin_password):
        for case in cases(args.tls_dir, admin_password, clients):
            if args.only and args.only not in case.name:
                continue
            for client, config, run in (("confluent-kafka", case.ck, ck_run), ("kafka-python", case.kp, kp_run)):
                if config is None:
                    continue
                started = time.monotonic()
                outcome = run(dict(config), case.principal is not None)
                problem = judge(case, outcome)
                failures += problem is not None
                took = f"{time.monotonic() - started:.1f} s"
                rows.append((case.name, client, took, outcome, problem))
                status = ("OK" if outcome.ok else "refused") + (f"  UNEXPECTED: {problem}" if problem else "")
                print(f"\n[{client}] {case.name}: {status} ({took})")
                if outcome.error:
                    print(f"    error:  {_short(outcome.error)}")
                for line in outcome.detail:
                    print(f"    detail: {line}")
    if args.markdown:
        print("\n| case | client | result | error text |\n| --- | --- | --- | --- |")
        for name, client, took, outcome, problem in rows:
            text = "; ".join([outcome.error, *outcome.detail]) if not outcome.ok else "; ".join(outcome.detail)
            text = _short(text, 500).replace("|", "\\|")
            result = ("OK" if outcome.ok else "refused") + (f" UNEXPECTED ({problem})" if problem else "")
            print(f"| {name} | {client} | {result}, {took} | {text} |")
    print(f"\n{len(rows) - failures}/{len(rows)} as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
