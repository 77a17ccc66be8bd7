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
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from kafka.protocol.admin import CreateTopicsRequest, CreateTopicsResponse, DeleteTopicsRequest

from mqctl.config import Environment
from mqctl.diagnostics import MqctlError
from mqctl.kafka.admin import KafkaAdmin
from mqctl.kafka.connection import client_config
from mqctl.kafka.protocol import (
    QUOTA_STALLS,
    THROTTLING_QUOTA_EXCEEDED,
    TOPIC_ALREADY_EXISTS,
    UNKNOWN_TOPIC_ID,
    UNKNOWN_TOPIC_OR_PARTITION,
    describe_error,
)

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


class LockReleaseError(MqctlError):
    """The lock could not be deleted at the end of an apply, so it stays held. Its own class, so
    the apply can still report what it did under the lock before this error."""


class ApplyLock:
    """Take, inspect, release and break the apply lock of one environment."""

    def __init__(self, env: Environment, notify: Callable[[str], None] = lambda _: None) -> None:
        self.env = env
        self.topic = lock_topic(env)
        self.admin = KafkaAdmin(env, notify)
        self._taken: dict[str, uuid.UUID] = {}  # holder token -> id of the lock topic it created

    def close(self) -> None:
        """Close the connections the lock's requests opened (KafkaAdmin.close)."""
        self.admin.close()

    def _write(self, holder: Holder) -> None:
        """The holder record, confirmed by every in-sync replica: flush() alone would also return
        once the message expired undelivered (a broker that does not know the new topic yet). The
        message may take the environment's whole timeout: a loaded broker takes seconds to bring up
        the new topic's partition (10 s was seen to run out on a busy test machine), and the producer
        must not give up on a topic its metadata does not show yet (librdkafka: after 30 s, "Unknown
        topic or partition", seen while another client created 10,000 topics)."""
        waits = {"message.timeout.ms": self.env.timeout_ms, "topic.metadata.propagation.max.ms": self.env.timeout_ms}
        producer = Producer(client_config(self.env, acks="all", **waits))
        failed: list[str] = []

        def delivered(err: KafkaError | None, _message: object) -> None:
            if err is not None:
                failed.append(err.str())

        producer.produce(self.topic, json.dumps(asdict(holder)).encode(), on_delivery=delivered)
        if producer.flush(self.env.timeout_seconds + 1) != 0 or failed:
            reason = failed[0] if failed else f"no acknowledgement within {self.env.timeout_seconds:g}s"
            raise MqctlError(f"took the lock {self.topic} but could not record the holder in it: {reason}")

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
        metadata = self.admin.call(
            "read the apply lock", lambda: self.admin.client.list_topics(self.topic, timeout=self.admin.timeout)
        )
        found = metadata.topics.get(self.topic)
        return found is not None and (found.error is None or found.error.code() != KafkaError.UNKNOWN_TOPIC_OR_PART)

    def _mutation(self, doing: str, request: Callable[[], Any]) -> Any:
        """The one topic's result of the lock's CreateTopics or DeleteTopics. Under a controller
        mutation quota the broker rejects it with a throttle time; that time is waited out, up to
        QUOTA_STALLS rejections (no wait after the last: the caller reports it)."""
        for attempt in range(1, QUOTA_STALLS + 1):
            response = self.admin.protocol.send(doing, request())
            (result,) = response.topics if isinstance(response, CreateTopicsResponse) else response.responses
            if result.error_code != THROTTLING_QUOTA_EXCEEDED or attempt == QUOTA_STALLS:
                return result
            wait = response.throttle_time_ms / 1000
            self.admin.notify(f"{doing}: controller mutation quota exceeded, retrying in {wait:.1f}s")
            time.sleep(wait + 0.05)
        return result

    def acquire(self, command: str) -> Holder:
        """Create the lock topic, or raise MqctlError naming who holds it."""
        replicas = min(3, len(self.admin.brokers()))
        configs = [("min.insync.replicas", "1"), ("retention.ms", "-1"), ("cleanup.policy", "delete")]
        new: tuple[Any, ...] = (self.topic, 1, replicas, [], configs)
        result = self._mutation(
            "take the apply lock", lambda: CreateTopicsRequest(topics=[new], timeout_ms=self.env.timeout_ms)
        )
        if result.error_code == TOPIC_ALREADY_EXISTS:
            held = self.holder()
            who = held.describe() if held else "another apply that has just finished"
            raise MqctlError(
                f"environment {self.env.name} is locked by {who}: another apply is running. "
                f"Wait for it, or if it is gone for good: mqctl lock break --env {self.env.name}"
            )
        if result.error_code:
            reason = describe_error(self.env, result.error_code, result.error_message)
            raise MqctlError(f"take the apply lock {self.topic}: {reason}")
        me = Holder(
            f"{getpass.getuser()}@{socket.gethostname()}",
            os.getpid(),
            command,
            datetime.now(UTC).isoformat(timespec="seconds"),
            uuid.uuid4().hex,
        )
        self._taken[me.token] = result.topic_id
        try:
            self._write(me)
        except (MqctlError, KafkaException, BufferError):
            self.release(me)
            raise
        return me

    def _delete(self, doing: str, topic: tuple[str | None, uuid.UUID | None]) -> int:
        """DeleteTopics of the lock topic by name or by id; the error code (0: deleted)."""
        result = self._mutation(doing, lambda: DeleteTopicsRequest(topics=[topic], timeout_ms=self.env.timeout_ms))
        if result.error_code not in (0, UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID):
            reason = describe_error(self.env, result.error_code, result.error_message)
            raise MqctlError(f"{doing} {self.topic}: {reason}")
        return int(result.error_code)

    def release(self, me: Holder) -> bool:
        """Delete the lock if it is still ours; False when it was broken (and maybe taken by someone
        else). The delete names the topic id this lock created: a lock re-created since has another
        id, so it is never touched, and no broker's possibly lagging metadata is consulted.
        LockReleaseError when the delete fails: `lock break` deletes the topic too, so it needs a
        principal allowed DELETE on it (the one that failed here may not be)."""
        topic_id = self._taken.pop(me.token, None)
        if topic_id is None:
            return False
        try:
            return self._delete("release the apply lock", (None, topic_id)) == 0
        except MqctlError as exc:
            raise LockReleaseError(
                f"{exc.message}; the lock stays held: break it with `mqctl lock break --env {self.env.name}`, "
                f"as a principal allowed DELETE on {self.topic} (breaking deletes the topic too)"
            ) from None

    def break_(self) -> Holder | None:
        """Delete the lock whoever holds it; returns who did (None: it was not held)."""
        held = self.holder()
        if held is not None:
            try:
                self._delete("break the apply lock", (self.topic, None))
            except MqctlError as exc:
                raise MqctlError(f"{exc.message}; breaking the lock needs DELETE on {self.topic}") from None
            for _ in range(READ_ATTEMPTS):  # deletion completes asynchronously on the brokers
                if not self._exists():
                    break
                time.sleep(0.2)
        return held


@contextmanager
def holding(env: Environment, command: str, notify: Callable[[str], None] = lambda _: None) -> Iterator[Holder]:
    """The apply lock for the body, released however the body ends (error, exit or Ctrl-C)."""
    with closing(ApplyLock(env, notify)) as lock:
        me = lock.acquire(command)
        try:
            yield me
        finally:
            if not lock.release(me):
                notify(f"the apply lock of environment {env.name} was broken while this apply ran; it was left alone")


T = TypeVar("T")


def run_holding(
    env: Environment, command: str, body: Callable[[], T], notify: Callable[[str], None] = lambda _: None
) -> tuple[T, str | None]:
    """`body` under the apply lock: its result, and why the lock could not be released afterwards
    (None when it was). What a finished body changed must still be reported, so a release failure
    after it is returned, never raised instead of it; after a failed body it is raised, with the
    body's error as its context."""
    finished: list[T] = []
    try:
        with holding(env, command, notify):
            finished.append(body())
    except LockReleaseError as exc:
        if not finished:
            raise
        return finished[0], exc.message
    return finished[0], None
