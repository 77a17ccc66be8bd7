"""Both Kafka clients' settings for an environment, and turning Kafka errors into readable MqctlErrors."""

from __future__ import annotations

import logging
import re
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from mqctl.config import Environment, OAuthConfig
from mqctl.diagnostics import MqctlError
from mqctl.kafka.certificates import PROBE_SECONDS, diagnose, read_certificate, tls_context
from mqctl.kafka.oauth import ClientCredentials, TokenError, fetch_token

_QUIET = logging.getLogger("mqctl.librdkafka")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def setup_timeout_ms(env: Environment) -> int:
    """How long librdkafka waits for one connection to be set up (TCP, TLS, SASL, ApiVersions)."""
    return min(env.timeout_ms, 10_000)


def client_config(env: Environment, **extra: Any) -> dict[str, Any]:
    """Settings for any confluent-kafka client of `env`; librdkafka's own logging is silenced
    (its connection-refused lines would leak through as noise) and errors surface through futures.
    TLS material is loaded and checked first (mqctl.kafka.certificates): librdkafka would only say
    "PEM lib" about a key, or time out over an expired certificate."""
    conf: dict[str, Any] = {
        "bootstrap.servers": env.bootstrap_servers,
        "client.id": "mqctl",
        "socket.connection.setup.timeout.ms": setup_timeout_ms(env),
        "logger": _QUIET,
    }
    sec = env.security
    conf["security.protocol"] = sec.protocol
    if sec.sasl_mechanism:
        conf["sasl.mechanism"] = sec.sasl_mechanism
    if sec.username is not None:
        conf["sasl.username"] = sec.username
    if sec.password is not None:
        conf["sasl.password"] = sec.password.reveal()
    if sec.oauth is not None:
        conf.update(_oidc(sec.oauth))
    if sec.tls:
        tls_context(sec)  # raises MqctlError naming the setting that is wrong
        if not sec.ssl_endpoint_identification:
            conf["ssl.endpoint.identification.algorithm"] = "none"
    for key, option in (
        ("ssl.ca.location", sec.ssl_ca_location),
        ("ssl.certificate.location", sec.ssl_certificate_location),
        ("ssl.key.location", sec.ssl_key_location),
    ):
        if option:
            conf[key] = option
    if sec.ssl_key_password is not None:
        conf["ssl.key.password"] = sec.ssl_key_password.reveal()
    conf.update(extra)
    return conf


def _oidc(oauth: OAuthConfig) -> dict[str, str]:
    """librdkafka fetches and refreshes OAUTHBEARER tokens itself (client credentials, HTTP Basic)."""
    conf = {
        "sasl.oauthbearer.method": "oidc",
        "sasl.oauthbearer.token.endpoint.url": oauth.token_endpoint_url,
        "sasl.oauthbearer.client.id": oauth.client_id,
        "sasl.oauthbearer.client.secret": oauth.client_secret.reveal(),
    }
    if oauth.scope:
        conf["sasl.oauthbearer.scope"] = oauth.scope
    if oauth.extensions:
        conf["sasl.oauthbearer.extensions"] = ",".join(f"{key}={value}" for key, value in oauth.extensions)
    return conf


def principal(env: Environment) -> str:
    """Who mqctl is on the cluster, as far as its settings say (the broker maps certificates and
    tokens to principals by its own rules)."""
    sec = env.security
    if sec.oauth is not None:
        return f"the OAuth client {sec.oauth.client_id} (User:<the token's sub>)"
    if sec.username is not None:
        return f"User:{sec.username}"
    if sec.tls and sec.ssl_certificate_location:
        return f"the principal of client certificate {read_certificate(sec.ssl_certificate_location).subject}"
    return "this client (User:ANONYMOUS unless the listener authenticates)"


def unreachable(env: Environment, detail: str) -> str:
    return f"cannot reach Kafka environment {env.name!r} at {env.bootstrap_servers} ({without_counts(env, detail)})"


_DOWN = re.compile(r"\b\d+/\d+ brokers are down\b")


def refused_by_all(env: Environment) -> str:
    """Every bootstrap broker refused or dropped the connection, said with how many were tried."""
    count = len([server for server in env.bootstrap_servers.split(",") if server.strip()])
    if count == 1:
        return "1 bootstrap broker tried; it refused or dropped the connection"
    return f"{count} bootstrap brokers tried; each refused or dropped the connection"


def without_counts(env: Environment, detail: str) -> str:
    """librdkafka's "N/M brokers are down" counts brokers it has heard of, not those asked, and
    says "0/2 brokers are down" of one bootstrap broker that refused: say what was tried instead."""
    return _DOWN.sub(refused_by_all(env), detail)


def cannot_connect(env: Environment, cause: str) -> str:
    """A connection refused for a reason mqctl found (TLS material, host name, wrong protocol)."""
    return f"cannot connect to Kafka environment {env.name!r} over {env.security.protocol}: {cause}"


def authentication_failed(env: Environment, reason: str) -> str:
    return f"authentication to environment {env.name!r} failed: {reason}"


def connection_problem(env: Environment) -> str | None:
    """Why `env`'s clients cannot get through, as far as mqctl's own checks find it (None: they find
    nothing): for OAUTHBEARER, a token request of its own; then its probe of the bootstrap brokers
    (mqctl.kafka.certificates). Each bounded by PROBE_SECONDS or the environment's timeout."""
    bound = min(PROBE_SECONDS, env.timeout_seconds)
    if env.security.oauth is not None:
        try:
            fetch_token(env.security.oauth, bound)
        except TokenError as exc:
            return authentication_failed(env, exc.message)
    cause = diagnose(env)
    return cannot_connect(env, cause) if cause is not None else None


_BROKER_PREFIX = re.compile(r"^[a-z_]+://\S+: ")  # "sasl_ssl://127.0.0.1:49095/bootstrap: "
_STATE_SUFFIX = re.compile(r" \(after \d+ms in state \w+\)$")  # " (after 317ms in state AUTH_REQ)"


def plain_text(librdkafka_error: str) -> str:
    """A librdkafka error string without the broker prefix and the timing suffix it adds."""
    return _STATE_SUFFIX.sub("", _BROKER_PREFIX.sub("", librdkafka_error))


def describe_kafka_error(exc: BaseException, env: Environment) -> str:
    """A one-line, user-facing reason for a failed admin call; never includes credentials."""
    err = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
    if isinstance(err, KafkaError):
        code = err.code()
        if code in (KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN):
            return unreachable(env, err.str())
        if code == KafkaError._TIMED_OUT:
            return f"timed out after {env.timeout_seconds:g}s ({err.str()}); the next plan shows whether it happened"
        if code == KafkaError._AUTHENTICATION:
            return authentication_failed(env, plain_text(err.str()))
        return describe_broker_error(env, code, err.name(), err.str())
    return str(exc) or exc.__class__.__name__


def describe_broker_error(env: Environment, code: int, name: str, text: str) -> str:
    """A broker's error code as one line, whichever client got it: authorization failures say
    whose, and what ACL would help."""
    if code in _NOT_AUTHORIZED:
        return f"{name}: {principal(env)} is not authorized ({text}); {_NOT_AUTHORIZED[code]}"
    return f"{name}: {text}"


_NOT_AUTHORIZED = {
    KafkaError.TOPIC_AUTHORIZATION_FAILED: "it needs an ACL for this operation on the topic. A topic the "
    "principal may not DESCRIBE is invisible to it, so an existing topic may look missing",
    KafkaError.CLUSTER_AUTHORIZATION_FAILED: "it needs an ACL for this operation on the cluster resource",
    KafkaError.GROUP_AUTHORIZATION_FAILED: "it needs an ACL for this operation on the group",
    KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED: "it needs an ACL for this operation on the transactional id",
}


def error_code(exc: BaseException) -> int:
    """The Kafka error code of a failed call (KafkaError._FAIL when it carries none)."""
    err = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
    if isinstance(err, KafkaError):
        return int(err.code())
    return KafkaError._TIMED_OUT if isinstance(exc, TimeoutError) else KafkaError._FAIL


def kafka_failure(exc: BaseException, env: Environment, doing: str) -> MqctlError:
    return MqctlError(f"{doing}: {describe_kafka_error(exc, env)}")


def kafka_python_config(env: Environment) -> dict[str, Any]:
    """The same settings for kafka-python's KafkaAdminClient, the second client (mqctl.kafka.protocol).
    It gets mqctl's own SSLContext (key already loaded: OpenSSL never prompts for a pass phrase) and,
    for OAUTHBEARER, a token provider (mqctl.kafka.oauth)."""
    sec = env.security
    timeout_ms = env.timeout_ms
    conf: dict[str, Any] = {
        "bootstrap_servers": env.bootstrap_servers.split(","),
        "client_id": "mqctl",
        "request_timeout_ms": timeout_ms,
        "bootstrap_timeout_ms": timeout_ms,
        "security_protocol": sec.protocol,
        "sasl_mechanism": sec.sasl_mechanism,
        "sasl_plain_username": sec.username,
        "sasl_plain_password": sec.password.reveal() if sec.password else None,
    }
    if sec.tls:
        conf["ssl_context"] = tls_context(sec)
    if sec.oauth is not None:
        conf["sasl_oauth_token_provider"] = ClientCredentials(sec.oauth, env.timeout_seconds)
    return conf
