"""Measure what one partition really carries: produce to a throwaway one-partition topic, read it back.

The probe topic is `<env>.mqctl.probe-<random>.v1`: inside the environment's prefix (so ACLs on the
prefix cover it) but in the `mqctl` domain, which specs may not use and plans never delete. It is
deleted afterwards, also when producing fails or on Ctrl-C.
Payloads are random bytes, the worst case for LZ4, so the numbers are not flattered by compression.
The producer uses the producer template's settings that librdkafka understands; the measured rate is
this client's, on this network, against this cluster: the per-partition throughput the design needs.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping
from contextlib import closing
from dataclasses import asdict, dataclass

from confluent_kafka import OFFSET_BEGINNING, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import NewTopic

from mqctl.calc import BYTES_PER_MB
from mqctl.config import RESERVED_DOMAIN, Environment
from mqctl.diagnostics import MqctlError
from mqctl.kafka.admin import KafkaAdmin
from mqctl.kafka.connection import kafka_failure

# Producer template keys that mean the same in the Java client and librdkafka.
_SAME_NAME = (
    "acks", "enable.idempotence", "retries", "retry.backoff.ms", "retry.backoff.max.ms",
    "request.timeout.ms", "delivery.timeout.ms", "max.in.flight.requests.per.connection",
    "batch.size", "linger.ms", "compression.type",
)
# Not the template's 128 MB buffer.memory: a buffer absorbs bursts but adds no steady-state throughput,
# and draining 128 MB after the timed run would outlast the environment's timeout on a slow cluster.
# 8 MB is still > 100 full 64 KB batches queued, so the pipeline never runs dry.
_PROBE_QUEUE_KBYTES = "8192"
_PAYLOAD_POOL_BYTES = 16 * 1024 * 1024  # distinct random payloads, so batches hold no repeats


@dataclass(frozen=True)
class ProbeResult:
    topic: str
    replication_factor: int
    message_size: int
    seconds: float
    produced: int
    produce_seconds: float
    consumed: int
    consume_seconds: float
    producer_settings: dict[str, str]
    brokers: int = 0  # brokers of the measured cluster

    @property
    def produce_msgs_per_s(self) -> float:
        return self.produced / self.produce_seconds

    @property
    def produce_mb_per_s(self) -> float:
        return self.produce_msgs_per_s * self.message_size / BYTES_PER_MB

    @property
    def consume_msgs_per_s(self) -> float:
        return self.consumed / self.consume_seconds

    @property
    def consume_mb_per_s(self) -> float:
        return self.consume_msgs_per_s * self.message_size / BYTES_PER_MB

    def to_dict(self) -> dict[str, object]:
        return {
            **asdict(self),
            "produce_msgs_per_s": round(self.produce_msgs_per_s, 1),
            "produce_mb_per_s": round(self.produce_mb_per_s, 3),
            "consume_msgs_per_s": round(self.consume_msgs_per_s, 1),
            "consume_mb_per_s": round(self.consume_mb_per_s, 3),
        }


def librdkafka_producer_settings(template: Mapping[str, str]) -> dict[str, str]:
    """The part of a (Java-named) producer template that librdkafka can apply, plus the probe's queue cap."""
    settings = {key: template[key] for key in _SAME_NAME if key in template}
    settings["queue.buffering.max.kbytes"] = _PROBE_QUEUE_KBYTES
    return settings


def probe_topic_name(env: Environment) -> str:
    return f"{env.prefix}{RESERVED_DOMAIN}.probe-{secrets.token_hex(4)}.v1"


class _Probe:
    """One measurement run through the Kafka transport (mqctl.kafka.admin): every wait is bounded
    by the environment's timeout, and a cluster that refuses every connection, or bad credentials,
    fail at the first contact, as in every other command."""

    def __init__(self, admin: KafkaAdmin, seconds: float, message_size: int, settings: dict[str, str]):
        self.admin = admin
        self.env = admin.env
        self.timeout = admin.timeout
        self.seconds = seconds
        self.size = message_size
        self.settings = settings
        self.topic = probe_topic_name(admin.env)

    def create(self) -> tuple[int, int]:
        """Create the probe topic; (its replication factor, the cluster's broker count)."""
        brokers = len(self.admin.brokers())
        replication = min(3, brokers)
        futures = self.admin.call(f"create probe topic {self.topic}", lambda: self.admin.client.create_topics(
            [NewTopic(self.topic, 1, replication)], request_timeout=self.timeout, operation_timeout=self.timeout,
        ))  # fmt: skip
        self.admin.wait(futures[self.topic], f"create probe topic {self.topic}")
        return replication, brokers

    def delete(self) -> None:
        doing = f"delete probe topic {self.topic}"
        try:
            futures = self.admin.call(doing, lambda: self.admin.client.delete_topics(
                [self.topic], request_timeout=self.timeout, operation_timeout=self.timeout,
            ))  # fmt: skip
            self.admin.wait(futures[self.topic], doing)
        except MqctlError as exc:
            raise MqctlError(f"{exc.message}; delete it by hand") from exc

    def produce(self) -> tuple[int, float]:
        """Produce for `seconds`, then wait (bounded) until everything is acknowledged."""
        producer = self.admin.producer(**self.settings)
        pool = [os.urandom(self.size) for _ in range(max(1, min(1024, _PAYLOAD_POOL_BYTES // self.size)))]
        delivered = 0
        errors: list[str] = []

        def on_delivery(err: KafkaError | None, _msg: object) -> None:
            nonlocal delivered
            if err is None:
                delivered += 1
            elif not errors:
                errors.append(err.str())

        start = time.monotonic()
        end = start + self.seconds
        sent = 0
        try:
            while time.monotonic() < end and not errors:
                try:
                    producer.produce(self.topic, pool[sent % len(pool)], on_delivery=on_delivery)
                    sent += 1
                except BufferError:  # local queue full (buffer.memory): let deliveries drain it
                    producer.poll(0.05)
                    continue
                if sent % 1000 == 0:
                    producer.poll(0)
            pending = producer.flush(self.timeout)
        except BaseException:
            producer.purge()
            producer.flush(0)
            raise
        elapsed = time.monotonic() - start
        if errors:
            raise MqctlError(f"producing to probe topic {self.topic}: {errors[0]}")
        if pending or delivered == 0:
            producer.purge()
            producer.flush(0)
            raise MqctlError(
                f"producing to probe topic {self.topic}: {delivered} of {sent} messages acknowledged "
                f"within {self.timeout:g}s after the {self.seconds:g}s run"
            )
        return delivered, elapsed

    def consume(self, expected: int) -> tuple[int, float]:
        """Read the topic from the start until `expected` messages; fails after `timeout` without progress.

        The clock starts before the first fetch, so connection setup is included (slightly pessimistic).
        """
        consumer = self.admin.consumer(self.topic, **{"enable.partition.eof": False})
        try:
            consumer.assign([TopicPartition(self.topic, 0, OFFSET_BEGINNING)])
            start = time.monotonic()
            count = 0
            idle_until = start + self.timeout
            while count < expected:
                left = idle_until - time.monotonic()
                if left <= 0:
                    raise MqctlError(
                        f"consuming probe topic {self.topic}: only {count} of {expected} messages "
                        f"arrived, then nothing for {self.timeout:g}s"
                    )
                batch = consumer.consume(num_messages=10_000, timeout=min(1.0, left))
                for msg in batch:
                    err = msg.error()
                    if err is not None:
                        doing = f"consume probe topic {self.topic}"
                        raise kafka_failure(KafkaException(err), self.env, doing)
                count += len(batch)
                if batch:
                    idle_until = time.monotonic() + self.timeout
            return count, time.monotonic() - start
        finally:
            consumer.close()


def measure(
    env: Environment, *, seconds: float, message_size: int, producer_template: Mapping[str, str]
) -> ProbeResult:
    """Create the probe topic, produce for `seconds`, consume it back, delete it (always)."""
    settings = librdkafka_producer_settings(producer_template)
    with closing(KafkaAdmin(env)) as admin:
        return _measured(_Probe(admin, seconds, message_size, settings))


def _measured(probe: _Probe) -> ProbeResult:
    replication, brokers = probe.create()
    try:
        produced, produce_seconds = probe.produce()
        consumed, consume_seconds = probe.consume(produced)
    except BaseException as exc:
        try:
            probe.delete()
        except MqctlError as cleanup:
            if isinstance(exc, MqctlError):
                raise MqctlError(f"{exc.message}; also {cleanup.message}") from exc
        raise
    probe.delete()
    return ProbeResult(
        topic=probe.topic,
        replication_factor=replication,
        message_size=probe.size,
        seconds=probe.seconds,
        produced=produced,
        produce_seconds=produce_seconds,
        consumed=consumed,
        consume_seconds=consume_seconds,
        producer_settings=probe.settings,
        brokers=brokers,
    )
