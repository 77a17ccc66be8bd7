"""One batched admin request whose futures are recorded per name: None when done, else why not."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from confluent_kafka import KafkaException

from mqctl.diagnostics import MqctlError
from mqctl.kafka.admin import KafkaAdmin
from mqctl.kafka.connection import describe_kafka_error


def send(
    admin: KafkaAdmin,
    doing: str,
    start: Callable[[], Mapping[Any, Future[Any]]],
    names: Mapping[Any, str],
    outcome: dict[str, str | None],
) -> None:
    """Send one request (counted, bounded by the env timeout); `names` maps each request item to
    the name its outcome is recorded under (a change name, for the kinds' executors). A failure of
    the whole request is recorded against every name, never raised."""
    try:
        futures = admin.call(doing, start)
    except (MqctlError, KafkaException, ValueError) as exc:
        for name in names.values():
            outcome[name] = str(exc)
        return
    for key, future in futures.items():
        name = names[key]
        try:
            admin.result(future)
            outcome.setdefault(name, None)
        except (KafkaException, TimeoutError) as exc:
            outcome[name] = describe_kafka_error(exc, admin.env)
