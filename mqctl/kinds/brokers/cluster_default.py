"""The cluster-default broker config resource (BROKER ""), which librdkafka cannot name.

librdkafka's ConfigResource refuses an empty name, so DescribeConfigs and IncrementalAlterConfigs
of "" go through kafka-python's protocol classes (mqctl.kafka.protocol). Any broker answers: KRaft
forwards the change to the controller.
"""

from __future__ import annotations

from kafka.protocol.admin import DescribeConfigsRequest, IncrementalAlterConfigsRequest

from mqctl.diagnostics import MqctlError
from mqctl.kafka.admin import KafkaAdmin
from mqctl.kafka.protocol import CONFIG_SOURCES, describe_error, incremental_entries
from mqctl.kinds.brokers.changes import BrokerConfigUpdate
from mqctl.live import LiveConfig

_BROKER = 4  # the BROKER config resource type of the protocol


class ClusterDefault:
    """Read and change the dynamic cluster-wide broker defaults; requests count on the KafkaAdmin."""

    def __init__(self, admin: KafkaAdmin) -> None:
        self.admin = admin

    def describe(self) -> dict[str, LiveConfig]:
        """The dynamic cluster defaults: DescribeConfigs of "" lists exactly those (sensitive ones
        without their value)."""
        doing = "describe cluster-default broker configs"
        request = DescribeConfigsRequest(resources=[(_BROKER, "", None)], include_synonyms=False)
        (result,) = self.admin.protocol.send(doing, request).results
        if result.error_code:
            raise MqctlError(f"{doing}: {describe_error(self.admin.env, result.error_code, result.error_message)}")
        return {
            c.name: LiveConfig(
                None if c.is_sensitive else c.value,
                CONFIG_SOURCES.get(c.config_source, str(c.config_source)),
                c.read_only,
                c.is_sensitive,
            )
            for c in result.configs
        }

    def alter(self, change: BrokerConfigUpdate, validate_only: bool) -> str | None:
        """IncrementalAlterConfigs of "": None when done, else why not."""
        entries = incremental_entries(change.set_config, change.reset_config)
        request = IncrementalAlterConfigsRequest(resources=[(_BROKER, "", entries)], validate_only=validate_only)
        try:
            (result,) = self.admin.protocol.send("alter cluster-default broker configs", request).responses
        except MqctlError as exc:
            return exc.message
        if result.error_code:
            return describe_error(self.admin.env, result.error_code, result.error_message)
        return None
