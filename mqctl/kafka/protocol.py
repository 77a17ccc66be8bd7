"""Kafka protocol requests through kafka-python: what librdkafka cannot do, or does slowly.

- CreateTopics, CreatePartitions and DeleteTopics at KIP-599 versions (v6, v3, v5 and later).
  librdkafka sends older versions, which a broker answers over a controller mutation quota by
  delaying the client; from these versions on it rejects the topics over the quota with
  THROTTLING_QUOTA_EXCEEDED and a throttle time, so mqctl retries only those, with progress.
- DescribeConfigs of topics: kafka-python decoded it about twice as fast as librdkafka's per-entry
  Python objects (10,000 topics: 1.7 s against 3.6 s, measured locally), and mqctl's own decoder
  (mqctl.kafka.describe_configs), fed by kafka-python's connection, is 5-8x faster again.
- The cluster-default broker config resource "", which librdkafka cannot name; partition
  reassignments, which confluent-kafka has no API for.

All of it goes over one kafka-python KafkaAdminClient per run, opened on first use: its public admin
methods (`call`), and raw requests through the one shim over its internals (mqctl.kafka.wire).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cached_property
from typing import Any

import kafka.errors
from kafka.admin import KafkaAdminClient

from mqctl.background import Background
from mqctl.config import Environment
from mqctl.diagnostics import MqctlError
from mqctl.kafka.certificates import PROBE_SECONDS
from mqctl.kafka.connection import (
    authentication_failed,
    connection_problem,
    describe_broker_error,
    kafka_python_config,
    unreachable,
)
from mqctl.kafka.oauth import ClientCredentials, explain
from mqctl.kafka.wire import exchange_addressed

_QUIET = logging.getLogger("kafka")  # kafka-python's own logger: failures surface as exceptions
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False

_CONNECTING = (kafka.errors.KafkaConnectionError, kafka.errors.KafkaTimeoutError)  # how a refused handshake ends
QUOTA_STALLS = 5  # quota rounds in a row that get nothing accepted before a mutation gives up
# How long `call` waits for one of kafka-python's admin methods, in request timeouts. Such a method
# may send up to four requests in turn (the controller's id, the request, both again when the
# controller moved), each bounded by kafka-python; but a request it cannot encode while the
# connection to the controller is being set up loses its error in kafka-python's IO thread, and
# the method never returns (kafka-python 3.0.12, as the raw rounds in mqctl.kafka.wire._bounded).
CALL_DEADLINE = 4

# error codes mqctl acts on
UNKNOWN_TOPIC_OR_PARTITION = int(kafka.errors.UnknownTopicOrPartitionError.errno)
REQUEST_TIMED_OUT = int(kafka.errors.RequestTimedOutError.errno)  # the controller may still finish
TOPIC_ALREADY_EXISTS = int(kafka.errors.TopicAlreadyExistsError.errno)
THROTTLING_QUOTA_EXCEEDED = int(kafka.errors.ThrottlingQuotaExceededError.errno)  # KIP-599 rejection
UNKNOWN_TOPIC_ID = int(kafka.errors.UnknownTopicIdError.errno)
TOPIC_AUTHORIZATION_FAILED = int(kafka.errors.TopicAuthorizationFailedError.errno)

# Config sources as the protocol numbers them (DescribeConfigs, CreateTopics responses).
CONFIG_SOURCES = {
    1: "DYNAMIC_TOPIC_CONFIG",
    2: "DYNAMIC_BROKER_CONFIG",
    3: "DYNAMIC_DEFAULT_BROKER_CONFIG",
    4: "STATIC_BROKER_CONFIG",
    5: "DEFAULT_CONFIG",
    6: "DYNAMIC_BROKER_LOGGER_CONFIG",
    7: "CLIENT_METRICS_CONFIG",
    8: "GROUP_CONFIG",
}

_HINTS = {
    "CLUSTER_AUTHORIZATION_FAILED": "mqctl's principal needs DESCRIBE and ALTER on the cluster resource "
    "to list and move partition replicas",
    "TOPIC_AUTHORIZATION_FAILED": "mqctl's principal needs ALTER on the topic",
}


ConfigOp = tuple[str, int, str | None]  # an IncrementalAlterConfigs entry: key, operation, value


def incremental_entries(set_config: Mapping[str, str], reset_config: Iterable[str]) -> list[ConfigOp]:
    """IncrementalAlterConfigs entries: SET (0) the wanted keys, DELETE (1) the reset ones."""
    entries: list[ConfigOp] = [(k, 0, v) for k, v in sorted(set_config.items())]
    return entries + [(k, 1, None) for k in reset_config]


class Unanswered(MqctlError):
    """A request that went out (or may have) without an answer: timed out, or the connection
    dropped. Whatever it asked for may or may not have happened; re-read before calling it failed."""


def describe_error(env: Environment, code: int, message: str | None) -> str:
    """A per-resource error of a response, worded like every other Kafka error mqctl reports."""
    error = kafka.errors.for_code(code)
    return describe_broker_error(env, code, str(error.message), message or str(error.description))


def py_kafka_reason(exc: Exception) -> str:
    """kafka-python errors carry the whole request and response in str(); keep the code and a hint.
    A version refusal is raised by kafka-python itself, with the versions each side offers: kept."""
    if isinstance(exc, kafka.errors.IncompatibleBrokerVersion) and exc.args:
        return f"UNSUPPORTED_VERSION: {exc.args[0]}"
    if isinstance(exc, kafka.errors.KafkaError):
        code = getattr(exc, "message", None) or type(exc).__name__
        hint = _HINTS.get(code)
        detail = hint or getattr(exc, "description", None) or str(exc)
        return f"{code}: {detail}"
    return str(exc) or type(exc).__name__


class ProtocolClient:
    """One kafka-python connection per run; every request counts on `count` (the run's total)."""

    def __init__(self, env: Environment, count: Callable[[], None]) -> None:
        self.env = env
        self._count = count
        self.request_timeout_ms = env.timeout_ms  # per request, until its answer
        self._tokens: ClientCredentials | None = None  # OAUTHBEARER's token provider, once connecting
        self._closed = False

    @cached_property
    def admin_client(self) -> KafkaAdminClient:
        self._refuse_if_closed()
        config = kafka_python_config(self.env)  # TLS material is checked here: MqctlError, never a prompt
        self._tokens = config.get("sasl_oauth_token_provider")
        try:
            client = KafkaAdminClient(**config)  # bootstraps: connects, authenticates, reads metadata
        except Exception as exc:  # kafka-python raises its own errors and plain ones alike
            raise MqctlError(f"connect: {self._failure(exc)}") from exc
        if self._closed:  # the run ended while this (a reading on a daemon thread) was connecting
            client.close()
            self._refuse_if_closed()
        return client

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise MqctlError("connect: this run's connections are closed; nothing more is sent")

    def close(self) -> None:
        """Stop kafka-python's I/O thread and close its connections. They outlive the run
        otherwise: a process that plans many times (the fleet, a service, the test suite) kept a
        thread and a socket per broker for every run. Takes 1-4 ms."""
        self._closed = True
        client = self.__dict__.pop("admin_client", None)
        if client is not None:
            client.close()

    def _failure(self, exc: Exception) -> str:
        """One line for a failed request. While kafka-python bootstraps, a refused TLS handshake or
        token request only makes it time out (the cause is in its log): the OAuth token provider's
        last error, or mqctl's own probe of the bootstrap brokers, says why."""
        if isinstance(exc, kafka.errors.SaslAuthenticationFailedError):
            reason = py_kafka_reason(exc)
            oauth = self.env.security.oauth
            if oauth is not None:
                reason = explain(oauth, min(PROBE_SECONDS, self.env.timeout_seconds), reason)
            return authentication_failed(self.env, reason)
        bootstrapping = "admin_client" not in self.__dict__  # the cached client does not exist yet
        cause = self._cause() if bootstrapping and isinstance(exc, _CONNECTING) else None
        if cause is not None:
            return cause
        if isinstance(exc, (kafka.errors.KafkaConnectionError, kafka.errors.UnknownBrokerIdError)):
            return unreachable(self.env, py_kafka_reason(exc))
        if isinstance(exc, kafka.errors.KafkaTimeoutError):
            return unreachable(self.env, f"no answer within {self.env.timeout_seconds:g}s")
        return py_kafka_reason(exc)

    def _cause(self) -> str | None:
        tokens = self._tokens
        if tokens is not None and tokens.last_error is not None:  # what the token provider met
            return authentication_failed(self.env, tokens.last_error)
        return connection_problem(self.env)

    def call(self, doing: str, call: Callable[[KafkaAdminClient], Any]) -> Any:
        """One of kafka-python's own admin methods (one request), failures as MqctlError, within
        CALL_DEADLINE times the request timeout (see there)."""
        client = self.admin_client
        self._count()
        running = Background(lambda: call(client))
        seconds = CALL_DEADLINE * self.env.timeout_seconds
        if not running.ended_within(seconds):
            raise MqctlError(f"{doing}: no outcome within {seconds:g}s (kafka-python never completed the call)")
        try:
            return running.result()
        except MqctlError:
            raise
        except Exception as exc:
            raise MqctlError(f"{doing}: {py_kafka_reason(exc)}") from exc

    def send(self, doing: str, request: Any, node: int | None = None) -> Any:
        """One request, to broker `node` or to whichever answers fastest."""
        (response,) = self.send_all(doing, [request], in_flight=1, node=node)
        return response

    def send_all(self, doing: str, requests: Iterable[Any], in_flight: int, node: int | None = None) -> Iterator[Any]:
        """Send `requests` in groups of `in_flight` at a time and yield their responses in
        order: brokers work on several at once, and each response can be converted and dropped
        before the last one arrives. A request that got no answer raises Unanswered."""
        queue = list(requests)
        for start in range(0, len(queue), in_flight):
            yield from self.send_each(doing, [(request, node) for request in queue[start : start + in_flight]])

    def send_each(self, doing: str, addressed: Iterable[tuple[Any, int | None]]) -> list[Any]:
        """(request, broker) pairs sent all at once, each to its own broker (None: whichever answers
        fastest), their responses in order: one round trip for requests that must go to different
        brokers (groups' coordinators, partitions' leaders). A request that got no answer raises
        Unanswered."""
        queue = list(addressed)
        if not queue:
            return []
        client = self.admin_client
        timeout_ms = self.request_timeout_ms
        for _ in queue:
            self._count()
        try:
            return exchange_addressed(client, queue, timeout_ms)
        except (kafka.errors.KafkaTimeoutError, kafka.errors.RequestTimedOutError) as exc:
            raise Unanswered(f"{doing}: no answer within {timeout_ms / 1000:g}s") from exc
        except kafka.errors.KafkaConnectionError as exc:
            raise Unanswered(f"{doing}: {self._failure(exc)}") from exc
        except kafka.errors.KafkaError as exc:
            raise MqctlError(f"{doing}: {self._failure(exc)}") from exc
