"""librdkafka settings for an environment, and turning Kafka errors into readable MqctlErrors."""

from __future__ import annotations

import logging
import re
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from mqctl.config import Environment
from mqctl.diagnostics import MqctlError

_QUIET = logging.getLogger("mqctl.librdkafka")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def setup_timeout_ms(env: Environment) -> int:
    """How long librdkafka waits for one connection to be set up (TCP, TLS, SASL, ApiVersions)."""
    return min(env.timeout_ms, 10_000)


def client_config(env: Environment, **extra: Any) -> dict[str, Any]:
    """Settings for any confluent-kafka client of `env`; librdkafka's own logging is silenced
    (its connection-refused lines would leak through as noise) and errors surface through futures."""
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
            return f"authentication to environment {env.name!r} failed: {err.str()}"
        return describe_broker_error(env, code, err.name(), err.str())
    return str(exc) or exc.__class__.__name__


def describe_broker_error(env: Environment, code: int, name: str, text: str) -> str:
    """A broker's error code as one line, whichever client got it: authorization failures say
    whose, and what ACL would help."""
    if code in _NOT_AUTHORIZED:
        principal = f"User:{env.security.username}" if env.security.username else "this client"
        return f"{name}: {principal} is not authorized ({text}); {_NOT_AUTHORIZED[code]}"
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
    """The same settings for kafka-python's KafkaAdminClient, the second client (mqctl.kafka.protocol)."""
    sec = env.security
    timeout_ms = env.timeout_ms
    return {
        "bootstrap_servers": env.bootstrap_servers.split(","),
        "client_id": "mqctl",
        "request_timeout_ms": timeout_ms,
        "bootstrap_timeout_ms": timeout_ms,
        "security_protocol": sec.protocol,
        "sasl_mechanism": sec.sasl_mechanism,
        "sasl_plain_username": sec.username,
        "sasl_plain_password": sec.password.reveal() if sec.password else None,
        "ssl_cafile": sec.ssl_ca_location,
        "ssl_certfile": sec.ssl_certificate_location,
        "ssl_keyfile": sec.ssl_key_location,
        "ssl_password": sec.ssl_key_password.reveal() if sec.ssl_key_password else None,
    }
