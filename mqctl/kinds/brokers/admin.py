"""Broker config resources over the environment's KafkaAdmin: one snapshot, batched executors.

librdkafka accepts one BROKER resource per describe_configs request (a broker answers for its own
config), so one request per broker is sent, all started before any is awaited: the count depends
on the brokers, never on the topics. librdkafka cannot name the cluster-default resource at all
(its ConfigResource refuses the empty name ""): mqctl.kinds.brokers.cluster_default handles that one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from confluent_kafka import KafkaException
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

from mqctl.diagnostics import MqctlError
from mqctl.edges import Edges
from mqctl.kafka.connection import describe_kafka_error
from mqctl.kind import Executor, Results, executor
from mqctl.kinds.brokers.changes import BrokerConfigUpdate
from mqctl.kinds.brokers.cluster_default import ClusterDefault
from mqctl.kinds.brokers.diff import reported
from mqctl.kinds.brokers.live import LiveBrokerConfigs
from mqctl.live import LiveConfig
from mqctl.plan import Change
from mqctl.polling import wait_until_shown

REPORT_SECONDS = 10.0  # how long apply waits for the brokers to report a changed broker config


class BrokerConfigAdmin:
    """Snapshot and execution of BROKER config resources, over one KafkaAdmin connection."""

    def __init__(self, edges: Edges) -> None:
        self.admin = edges.kafka
        self.client = self.admin.client
        self.timeout = self.admin.timeout
        self._default = ClusterDefault(self.admin)

    def describe_brokers(self) -> dict[int, dict[str, LiveConfig]]:
        """Broker id -> every config of that broker (static keys included), one request per broker."""
        return self.admin.broker_configs(broker.id for broker in self.admin.brokers())

    def snapshot(self) -> LiveBrokerConfigs:
        """Cluster defaults and every broker's configs: brokers + 2 requests, whatever the topics."""
        return LiveBrokerConfigs(self._default.describe(), self.describe_brokers())

    def _alter_broker(self, change: BrokerConfigUpdate, validate_only: bool) -> Callable[[], str | None]:
        """Start the change of one broker's resource; the returned call waits for its outcome."""
        entries = [
            ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in sorted(change.set_config.items())
        ]
        entries += [ConfigEntry(k, None, incremental_operation=AlterConfigOpType.DELETE) for k in change.reset_config]
        resource = ConfigResource(ResourceType.BROKER, str(change.broker), incremental_configs=entries)
        try:
            (future,) = self.admin.call(
                "alter broker configs",
                lambda: self.client.incremental_alter_configs(
                    [resource], request_timeout=self.timeout, validate_only=validate_only
                ),
            ).values()
        except (MqctlError, KafkaException, ValueError) as exc:  # recorded for this broker, never swallowed
            reason = str(exc)
            return lambda: reason

        def outcome() -> str | None:
            try:
                self.admin.result(future, slack=5)
            except (KafkaException, TimeoutError) as exc:
                return describe_kafka_error(exc, self.admin.env)
            return None

        return outcome

    def update(self, changes: Sequence[BrokerConfigUpdate], validate_only: bool = False) -> Results:
        """IncrementalAlterConfigs per resource (librdkafka: one BROKER resource per request); never
        the legacy AlterConfigs, which would wipe every dynamic key not in the request."""
        outcome: Results = {}
        pending = {c.name: self._alter_broker(c, validate_only) for c in changes if c.broker is not None}
        for change in changes:
            if change.broker is None:
                outcome[change.name] = self._default.alter(change, validate_only)
        outcome.update({name: wait() for name, wait in pending.items()})
        if not validate_only:
            self.admin.forget_broker_configs()
            self._await_reported([c for c in changes if outcome.get(c.name) is None])
        return outcome

    def _await_reported(self, changes: Sequence[BrokerConfigUpdate]) -> None:
        """Wait (up to REPORT_SECONDS) until the brokers report what was changed, so that a plan
        right after the apply is empty; name any change a broker does not report yet."""

        def not_reported(pending: Sequence[BrokerConfigUpdate]) -> list[BrokerConfigUpdate]:
            live = LiveBrokerConfigs({}, self.describe_brokers())
            self.admin.forget_broker_configs()
            return [c for c in pending if not reported(c, live)]

        for change in wait_until_shown(changes, not_reported, REPORT_SECONDS):
            self.admin.notify(
                f"{change.name}: changed, but the brokers do not report it yet after {REPORT_SECONDS:g}s; "
                "the next plan may still show it"
            )

    def executors(self) -> dict[type[Change], Executor]:
        return dict([executor(BrokerConfigUpdate, self.update)])
