"""The cluster-default broker config resource (BROKER ""), which librdkafka cannot name.

librdkafka's ConfigResource refuses an empty name, so DescribeConfigs and IncrementalAlterConfigs
of "" go through kafka-python's protocol classes, over a second connection with the environment's
settings, opened on first use. Any broker answers: KRaft forwards the change to the controller.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import kafka.errors
from kafka.admin import KafkaAdminClient
from kafka.protocol.admin import DescribeConfigsRequest, IncrementalAlterConfigsRequest

from mqctl.diagnostics import MqctlError
from mqctl.kafka.admin import KafkaAdmin
from mqctl.kafka.connection import kafka_python_config
from mqctl.live import LiveConfig
from mqctl.plan import BrokerConfigUpdate

_BROKER = 4  # the BROKER config resource type of the protocol
_SET, _DELETE = 0, 1  # IncrementalAlterConfigs operations
_SOURCES = {
    1: "DYNAMIC_TOPIC_CONFIG",
    2: "DYNAMIC_BROKER_CONFIG",
    3: "DYNAMIC_DEFAULT_BROKER_CONFIG",
    4: "STATIC_BROKER_CONFIG",
    5: "DEFAULT_CONFIG",
}


class ClusterDefault:
    """Read and change the dynamic cluster-wide broker defaults; requests count on the KafkaAdmin."""

    def __init__(self, admin: KafkaAdmin) -> None:
        self.admin = admin

    def _failure(self, doing: str, exc: BaseException) -> MqctlError:
        env = self.admin.env
        if isinstance(exc, (kafka.errors.KafkaConnectionError, kafka.errors.KafkaTimeoutError)):
            return MqctlError(
                f"{doing}: cannot reach Kafka environment {env.name!r} at {env.bootstrap_servers} "
                f"within {env.timeout_seconds:g}s ({exc})"
            )
        return MqctlError(f"{doing}: {exc}")

    @cached_property
    def _client(self) -> KafkaAdminClient:
        try:
            return KafkaAdminClient(**kafka_python_config(self.admin.env))
        except kafka.errors.KafkaError as exc:
            raise self._failure("connect for the cluster-default broker config", exc) from exc

    def _send(self, doing: str, request: Any) -> Any:
        client = self._client

        async def send() -> Any:
            return await client._manager.send(request)

        self.admin.requests += 1
        try:
            return client._manager.run(send)
        except kafka.errors.KafkaError as exc:
            raise self._failure(doing, exc) from exc

    def describe(self) -> dict[str, LiveConfig]:
        """The dynamic cluster defaults: DescribeConfigs of "" lists exactly those (sensitive ones
        without their value)."""
        doing = "describe cluster-default broker configs"
        response = self._send(doing, DescribeConfigsRequest(resources=[(_BROKER, "", None)], include_synonyms=False))
        (result,) = response.results
        if result.error_code:
            raise MqctlError(f"{doing}: {kafka.errors.for_code(result.error_code).__name__}: {result.error_message}")
        return {
            c.name: LiveConfig(
                None if c.is_sensitive else c.value,
                _SOURCES.get(c.config_source, str(c.config_source)),
                c.read_only,
                c.is_sensitive,
            )
            for c in result.configs
        }

    def alter(self, change: BrokerConfigUpdate, validate_only: bool) -> str | None:
        """IncrementalAlterConfigs of "": None when done, else why not."""
        entries: list[tuple[str, int, str | None]] = [(k, _SET, v) for k, v in sorted(change.set_config.items())]
        entries += [(k, _DELETE, None) for k in change.reset_config]
        request = IncrementalAlterConfigsRequest(resources=[(_BROKER, "", entries)], validate_only=validate_only)
        try:
            response = self._send("alter cluster-default broker configs", request)
        except MqctlError as exc:
            return exc.message
        (result,) = response.responses
        if result.error_code:
            return f"{kafka.errors.for_code(result.error_code).__name__}: {result.error_message}"
        return None
