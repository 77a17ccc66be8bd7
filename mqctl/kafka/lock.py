"""One apply at a time per environment, with nothing but Kafka itself to coordinate through.

The lock is a topic, `__mqctl-lock-<env>`, outside every environment prefix (so no plan ever sees
it). Taking it is CreateTopics: the controller creates a name once, so of two applies racing for
it exactly one succeeds and the other gets TOPIC_ALREADY_EXISTS. The winner then writes one record
(JSON: holder, host, pid, command, since, token) that tells a refused apply, and `mqctl lock
status`, who holds it and since when. Releasing is DeleteTopics, but only when the record still
carries our token, so an apply whose lock was broken (`mqctl lock break`) and then taken by
someone else never deletes the new holder's lock. A lock left by a killed process stays until it
is broken explicitly: mqctl cannot tell a slow apply from a dead one, a person can.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import NewTopic

from mqctl.config import Environment
from mqctl.diagnostics import MqctlError
from mqctl.kafka.admin import KafkaAdmin
from mqctl.kafka.connection import client_config, describe_kafka_error, error_code

READ_ATTEMPTS = 10  # the record follows the topic by milliseconds; a refused apply waits that long


def lock_topic(env: Environment) -> str:
    return f"__mqctl-lock-{env.name}"


@dataclass(frozen=True)
class Holder:
    holder: str  # user@host
    pid: int
    command: str
    since: str  # ISO 8601, UTC
    token: str

    def describe(self) -> str:
        return f"{self.holder} (pid {self.pid}, `{self.command}`) since {self.since}"


class ApplyLock:
    """Take, inspect, release and break the apply lock of one environment."""

    def __init__(self, env: Environment, notify: Callable[[str], None] = lambda _: None) -> None:
        self.env = env
        self.topic = lock_topic(env)
        self.admin = KafkaAdmin(env, notify)

    def _write(self, holder: Holder) -> None:
        producer = Producer(client_config(self.env, acks="all", **{"message.timeout.ms": 10_000}))
        producer.produce(self.topic, json.dumps(asdict(holder)).encode())
        if producer.flush(self.env.timeout_seconds) != 0:
            raise MqctlError(f"took the lock {self.topic} but could not record the holder in it")

    def holder(self) -> Holder | None:
        """Who holds the lock (None: nobody). A lock whose record is not (yet) readable is reported
        as held by an unknown holder: it is still held."""
        if not self._exists():
            return None
        consumer = Consumer(
            client_config(self.env, **{"group.id": "mqctl-lock-reader", "enable.auto.commit": False})
        )
        try:
            consumer.assign([TopicPartition(self.topic, 0, 0)])
            for _ in range(READ_ATTEMPTS):
                message = consumer.poll(self.env.timeout_seconds / READ_ATTEMPTS)
                if message is not None and message.error() is None:
                    return Holder(**json.loads(message.value() or b"{}"))
        except (KafkaException, TypeError, ValueError):
            pass
        finally:
            consumer.close()
        return Holder("(unknown: the lock record is unreadable)", 0, "?", "?", "")

    def _exists(self) -> bool:
        metadata = self.admin._call(
            "read the apply lock", lambda: self.admin._client.list_topics(self.topic, timeout=self.admin.timeout)
        )
        found = metadata.topics.get(self.topic)
        return found is not None and (found.error is None or found.error.code() != KafkaError.UNKNOWN_TOPIC_OR_PART)

    def acquire(self, command: str) -> Holder:
        """Create the lock topic, or raise MqctlError naming who holds it."""
        brokers = len(self.admin.brokers())
        new = NewTopic(
            self.topic,
            1,
            min(3, brokers),
            config={"min.insync.replicas": "1", "retention.ms": "-1", "cleanup.policy": "delete"},
        )
        try:
            self._mutate(
                "take the apply lock",
                lambda: self.admin._client.create_topics([new], operation_timeout=self.admin.timeout),
            )
        except KafkaException as exc:
            if error_code(exc) == KafkaError.TOPIC_ALREADY_EXISTS:
                held = self.holder()
                who = held.describe() if held else "another apply that has just finished"
                raise MqctlError(
                    f"environment {self.env.name} is locked by {who}: another apply is running. "
                    f"Wait for it, or if it is gone for good: mqctl lock break --env {self.env.name}"
                ) from None
            raise MqctlError(f"take the apply lock {self.topic}: {describe_kafka_error(exc, self.env)}") from exc
        me = Holder(
            f"{getpass.getuser()}@{socket.gethostname()}",
            os.getpid(),
            command,
            datetime.now(UTC).isoformat(timespec="seconds"),
            uuid.uuid4().hex,
        )
        try:
            self._write(me)
        except (MqctlError, KafkaException, BufferError):
            self._delete()
            raise
        return me

    def _mutate(self, doing: str, start: Callable[[], Mapping[str, Future[None]]]) -> None:
        """Create or delete the lock topic (one topic: a controller mutation quota delays it at most)."""
        self.admin.result(self.admin._call(doing, start)[self.topic])

    def _delete(self) -> None:
        try:
            self._mutate(
                "release the apply lock",
                lambda: self.admin._client.delete_topics([self.topic], operation_timeout=self.admin.timeout),
            )
        except KafkaException as exc:
            if error_code(exc) != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise MqctlError(
                    f"release the apply lock {self.topic}: {describe_kafka_error(exc, self.env)}; "
                    f"break it with: mqctl lock break --env {self.env.name}"
                ) from exc

    def release(self, me: Holder) -> bool:
        """Delete the lock if it is still ours; False when it was broken and taken by someone else."""
        held = self.holder()
        if held is None:
            return True
        if held.token != me.token:
            return False
        self._delete()
        return True

    def break_(self) -> Holder | None:
        """Delete the lock whoever holds it; returns who did (None: it was not held)."""
        held = self.holder()
        if held is not None:
            self._delete()
            for _ in range(READ_ATTEMPTS):  # deletion completes asynchronously on the brokers
                if not self._exists():
                    break
                time.sleep(0.2)
        return held


@contextmanager
def holding(env: Environment, command: str, notify: Callable[[str], None] = lambda _: None) -> Iterator[Holder]:
    """The apply lock for the body, released however the body ends (error, exit or Ctrl-C)."""
    lock = ApplyLock(env, notify)
    me = lock.acquire(command)
    try:
        yield me
    finally:
        lock.release(me)
