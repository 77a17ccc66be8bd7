"""Read every broker's full configuration (static keys included); read-only, never alters anything.

librdkafka accepts only one BROKER resource per describe_configs request (a broker answers for its
own config), so one request per broker is sent, all started before any is awaited.
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, ResourceType

from mqctl.broker_check import LiveConfig
from mqctl.config import Environment
from mqctl.kafka.connection import client_config, kafka_failure


def _source_name(source: Any) -> str:
    try:
        return ConfigSource(source).name
    except ValueError:
        return str(source)


def describe_broker_configs(env: Environment) -> dict[int, dict[str, LiveConfig]]:
    """Broker id -> config key -> live value, source and whether it is read-only."""
    admin = AdminClient(client_config(env))
    timeout = env.timeout_seconds

    def wait(future: Any, doing: str) -> Any:
        try:
            return future.result(timeout=timeout + 5)
        except (KafkaException, TimeoutError) as exc:
            raise kafka_failure(exc, env, doing) from exc

    try:
        cluster = wait(admin.describe_cluster(request_timeout=timeout), "describe cluster")
        futures = {
            node.id: admin.describe_configs(
                [ConfigResource(ResourceType.BROKER, str(node.id))], request_timeout=timeout
            )
            for node in cluster.nodes
        }
    except KafkaException as exc:
        raise kafka_failure(exc, env, "describe broker configs") from exc
    live: dict[int, dict[str, LiveConfig]] = {}
    for broker, by_resource in futures.items():
        (future,) = by_resource.values()
        entries = wait(future, f"describe configs of broker {broker}")
        live[broker] = {
            name: LiveConfig(entry.value, _source_name(entry.source), bool(entry.is_read_only))
            for name, entry in entries.items()
        }
    return live
