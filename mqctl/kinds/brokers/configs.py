"""Catalogue of Apache Kafka 4.x broker configs that can be changed without a restart.

Used offline by `validate`. Source: the "Updating Broker Configs" section of the Kafka docs and the
reconfigurable sets of Kafka's DynamicBrokerConfig (log, thread pools, log cleaner, connection
quotas, metrics reporters, remote log manager, listeners/SSL). Each key has its update mode:

- cluster-wide: may be set as the cluster default (BROKER resource "") and, for testing, per broker;
- per-broker: may only be set for one broker (listeners and their TLS/SASL settings).

Everything else is read-only: server.properties and a rolling restart. At plan time the live
`is_read_only` flag is checked too, so a key this catalogue misses is still caught before apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mqctl.diagnostics import did_you_mean
from mqctl.kinds.topics.configs import TOPIC_CONFIGS, ConfigDef, ValueKind, check_value

Mode = Literal["cluster-wide", "per-broker"]


@dataclass(frozen=True)
class BrokerConfigDef:
    """A broker config mqctl manages: whether it is set cluster-wide or per broker, and its value rules."""

    mode: Mode
    value: ConfigDef


def _c(kind: ValueKind, minimum: float | None = None, maximum: float | None = None) -> BrokerConfigDef:
    return BrokerConfigDef("cluster-wide", ConfigDef(kind, minimum, maximum))


def _topic(key: str) -> BrokerConfigDef:
    """Broker defaults of topic configs take the topic config's value rules."""
    return BrokerConfigDef("cluster-wide", TOPIC_CONFIGS[key])


_PER_BROKER = BrokerConfigDef("per-broker", ConfigDef("string"))

BROKER_CONFIGS: dict[str, BrokerConfigDef] = {
    # Defaults of topic configs (DynamicLogConfig).
    "log.segment.bytes": _topic("segment.bytes"),
    "log.roll.ms": _topic("segment.ms"),
    "log.roll.hours": _c("int", 1),
    "log.roll.jitter.ms": _topic("segment.jitter.ms"),
    "log.roll.jitter.hours": _c("int", 0),
    "log.index.size.max.bytes": _topic("segment.index.bytes"),
    "log.index.interval.bytes": _topic("index.interval.bytes"),
    "log.flush.interval.messages": _topic("flush.messages"),
    "log.flush.interval.ms": _topic("flush.ms"),
    "log.retention.ms": _topic("retention.ms"),
    "log.retention.minutes": _c("int", -1),
    "log.retention.hours": _c("int", -1),
    "log.retention.bytes": _topic("retention.bytes"),
    "log.local.retention.ms": _topic("local.retention.ms"),
    "log.local.retention.bytes": _topic("local.retention.bytes"),
    "log.cleaner.delete.retention.ms": _topic("delete.retention.ms"),
    "log.cleaner.min.compaction.lag.ms": _topic("min.compaction.lag.ms"),
    "log.cleaner.max.compaction.lag.ms": _topic("max.compaction.lag.ms"),
    "log.cleaner.min.cleanable.ratio": _topic("min.cleanable.dirty.ratio"),
    "log.cleanup.policy": _topic("cleanup.policy"),
    "log.segment.delete.delay.ms": _topic("file.delete.delay.ms"),
    "log.preallocate": _topic("preallocate"),
    "log.message.timestamp.type": _topic("message.timestamp.type"),
    "log.message.timestamp.before.max.ms": _topic("message.timestamp.before.max.ms"),
    "log.message.timestamp.after.max.ms": _topic("message.timestamp.after.max.ms"),
    "message.max.bytes": _topic("max.message.bytes"),
    "min.insync.replicas": _topic("min.insync.replicas"),
    "compression.type": _topic("compression.type"),
    "compression.gzip.level": _topic("compression.gzip.level"),
    "compression.lz4.level": _topic("compression.lz4.level"),
    "compression.zstd.level": _topic("compression.zstd.level"),
    "unclean.leader.election.enable": _topic("unclean.leader.election.enable"),
    # Thread pools.
    "num.io.threads": _c("int", 1),
    "num.network.threads": _c("int", 1),
    "num.replica.fetchers": _c("int", 1),
    "num.recovery.threads.per.data.dir": _c("int", 1),
    "background.threads": _c("int", 1),
    # Log cleaner.
    "log.cleaner.threads": _c("int", 0),
    "log.cleaner.io.max.bytes.per.second": _c("double", 0),
    "log.cleaner.dedupe.buffer.size": _c("long", 0),
    "log.cleaner.io.buffer.size": _c("int", 0),
    "log.cleaner.io.buffer.load.factor": _c("double", 0),
    "log.cleaner.backoff.ms": _c("long", 0),
    # Connection quotas.
    "max.connections": _c("int", 0),
    "max.connections.per.ip": _c("int", 0),
    "max.connections.per.ip.overrides": _c("string"),
    "max.connection.creation.rate": _c("int", 0),
    # Replication throttles and the rest.
    "leader.replication.throttled.rate": _c("long", 0),
    "follower.replication.throttled.rate": _c("long", 0),
    "replica.alter.log.dirs.io.max.bytes.per.second": _c("long", 0),
    "metric.reporters": _c("list"),
    "producer.id.expiration.ms": _c("int", 1),
    "transaction.partition.verification.enable": _c("boolean"),
    # Remote log manager (tiered storage).
    "remote.log.manager.copy.max.bytes.per.second": _c("long", 1),
    "remote.log.manager.fetch.max.bytes.per.second": _c("long", 1),
    "remote.log.index.file.cache.total.size.bytes": _c("long", 1),
    "remote.log.manager.copier.thread.pool.size": _c("int", 1),
    "remote.log.manager.expiration.thread.pool.size": _c("int", 1),
    "remote.log.reader.threads": _c("int", 1),
    "remote.fetch.max.wait.ms": _c("int", 1),
    "remote.list.offsets.request.timeout.ms": _c("long", 1),
    # Listeners and their security: one broker at a time.
    **dict.fromkeys(
        (
            "listeners",
            "advertised.listeners",
            "listener.security.protocol.map",
            "sasl.enabled.mechanisms",
            "ssl.keystore.type",
            "ssl.keystore.location",
            "ssl.truststore.type",
            "ssl.truststore.location",
            "ssl.client.auth",
            "ssl.cipher.suites",
            "ssl.enabled.protocols",
            "ssl.protocol",
            "ssl.endpoint.identification.algorithm",
            "ssl.keymanager.algorithm",
            "ssl.trustmanager.algorithm",
            "ssl.secure.random.implementation",
            "ssl.engine.factory.class",
        ),
        _PER_BROKER,
    ),
}

# Password-type configs: Kafka never returns their values, so they can neither be compared nor
# shown; keeping them in a spec would also put a secret in git.
PASSWORDS = frozenset(
    {
        "ssl.keystore.password",
        "ssl.key.password",
        "ssl.truststore.password",
        "ssl.keystore.key",
        "ssl.keystore.certificate.chain",
        "ssl.truststore.certificates",
        "sasl.jaas.config",
    }
)

# Well-known read-only keys, so the message says "needs a restart" rather than "unknown".
READ_ONLY = frozenset(
    {
        "broker.id",
        "node.id",
        "process.roles",
        "broker.rack",
        "log.dirs",
        "log.dir",
        "metadata.log.dir",
        "controller.quorum.voters",
        "controller.quorum.bootstrap.servers",
        "controller.listener.names",
        "inter.broker.listener.name",
        "authorizer.class.name",
        "super.users",
        "num.partitions",
        "default.replication.factor",
        "auto.create.topics.enable",
        "auto.leader.rebalance.enable",
        "delete.topic.enable",
        "offsets.topic.replication.factor",
        "offsets.topic.num.partitions",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "transaction.state.log.num.partitions",
        "socket.send.buffer.bytes",
        "socket.receive.buffer.bytes",
        "socket.request.max.bytes",
        "replica.socket.receive.buffer.bytes",
        "replica.fetch.max.bytes",
        "replica.lag.time.max.ms",
        "queued.max.requests",
        "group.initial.rebalance.delay.ms",
        "log.cleaner.enable",
        "log.retention.check.interval.ms",
    }
)


def _listener_config(key: str) -> str | None:
    """`listener.name.<listener>.<config>` -> `<config>`: listener-scoped security settings."""
    parts = key.split(".", 3)
    return parts[3] if len(parts) == 4 and parts[:2] == ["listener", "name"] else None


def _is_password(key: str) -> bool:
    """Also `listener.name.<l>.ssl.key.password` and `listener.name.<l>.<mechanism>.sasl.jaas.config`."""
    config = _listener_config(key) or key
    return any(config == p or config.endswith(f".{p}") for p in PASSWORDS)


def definition(key: str) -> BrokerConfigDef | None:
    """The catalogue entry of `key`; `listener.name.<l>.<config>` is per-broker like its listener."""
    if key in BROKER_CONFIGS:
        return BROKER_CONFIGS[key]
    return _PER_BROKER if _listener_config(key) is not None else None


def broker_value(key: str, value: object, cluster_default: bool) -> tuple[str | None, str | None]:
    """(Kafka string form, None) for a value that may be set dynamically on this resource, else
    (None, why not)."""
    if _is_password(key):
        return None, (
            "password-type broker config: Kafka never returns its value, so mqctl cannot compare "
            "or show it, and a spec would keep the secret in git; set it with kafka-configs"
        )
    spec = definition(key)
    if spec is None:
        if key in READ_ONLY:
            return None, (
                "read-only broker config: it cannot be changed dynamically; set it in "
                "server.properties and do a rolling restart"
            )
        return None, (
            "unknown dynamic broker config for Kafka 4.x (static keys need server.properties)"
            f"{did_you_mean(key, BROKER_CONFIGS)}"
        )
    if cluster_default and spec.mode == "per-broker":
        return None, "per-broker config: it cannot be a cluster default; set it under per_broker"
    return check_value(key, value, spec.value)
