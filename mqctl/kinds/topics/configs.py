"""Catalogue of Apache Kafka 4.x topic-level configs: type, range and allowed values.

Used offline by `validate`, so bad values are caught before a cluster is asked. Values are
normalised to the strings Kafka returns from DescribeConfigs, so that spec and live compare equal.
Source: Kafka 4.x `TopicConfig` / `LogConfig` definitions (keys removed in 4.0, such as
message.format.version and message.downconversion.enable, are rejected).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from mqctl.diagnostics import did_you_mean
from mqctl.spec.units import UnitError, duration_ms, parse_finite, parse_integer, size_bytes

ValueKind = Literal["int", "long", "double", "boolean", "string", "list", "enum", "enum_list"]


@dataclass(frozen=True)
class ConfigDef:
    """What values a config accepts, so a bad one fails at validate rather than at the broker."""

    kind: ValueKind
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


_INT_MAX = 2**31 - 1
_LONG_MAX = 2**63 - 1

TOPIC_CONFIGS: dict[str, ConfigDef] = {
    "cleanup.policy": ConfigDef("enum_list", choices=("delete", "compact")),
    "compression.type": ConfigDef(
        "enum", choices=("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")
    ),
    "compression.gzip.level": ConfigDef("int", -1, 9),
    "compression.lz4.level": ConfigDef("int", 1, 17),
    "compression.zstd.level": ConfigDef("int", -131072, 22),
    "delete.retention.ms": ConfigDef("long", 0),
    "file.delete.delay.ms": ConfigDef("long", 0),
    "flush.messages": ConfigDef("long", 1),
    "flush.ms": ConfigDef("long", 0),
    "follower.replication.throttled.replicas": ConfigDef("list"),
    "leader.replication.throttled.replicas": ConfigDef("list"),
    "index.interval.bytes": ConfigDef("int", 0),
    "local.retention.bytes": ConfigDef("long", -2),
    "local.retention.ms": ConfigDef("long", -2),
    "max.compaction.lag.ms": ConfigDef("long", 1),
    "max.message.bytes": ConfigDef("int", 0),
    "message.timestamp.after.max.ms": ConfigDef("long", 0),
    "message.timestamp.before.max.ms": ConfigDef("long", 0),
    "message.timestamp.type": ConfigDef("enum", choices=("CreateTime", "LogAppendTime")),
    "min.cleanable.dirty.ratio": ConfigDef("double", 0, 1),
    "min.compaction.lag.ms": ConfigDef("long", 0),
    "min.insync.replicas": ConfigDef("int", 1),
    "preallocate": ConfigDef("boolean"),
    "remote.storage.enable": ConfigDef("boolean"),
    "remote.log.copy.disable": ConfigDef("boolean"),
    "remote.log.delete.on.disable": ConfigDef("boolean"),
    "retention.bytes": ConfigDef("long", -1),
    "retention.ms": ConfigDef("long", -1),
    "segment.bytes": ConfigDef("int", 1024 * 1024),
    "segment.index.bytes": ConfigDef("int", 4),
    "segment.jitter.ms": ConfigDef("long", 0),
    "segment.ms": ConfigDef("long", 1),
    "unclean.leader.election.enable": ConfigDef("boolean"),
}

REMOVED_IN_4 = {
    "message.format.version": "removed in Kafka 4.0 (only the v2 record format exists)",
    "message.downconversion.enable": "removed in Kafka 4.0",
    "message.timestamp.difference.max.ms": "removed in Kafka 4.0; use message.timestamp.before.max.ms "
    "and message.timestamp.after.max.ms",
}


def _as_integer(key: str, value: object) -> tuple[int | None, str]:
    """An integer, or a duration (`.ms` keys) or size (`.bytes` keys) written readably; (None, why
    not) for anything else, never an exception (`--5`, `²` and `1e3` are not integers)."""
    text = value.strip() if isinstance(value, str) else value
    try:
        if key.endswith(".ms"):
            return duration_ms(text), ""
        if key.endswith(".bytes"):
            return size_bytes(text), ""
    except UnitError as exc:
        return None, str(exc)
    number = parse_integer(text)
    return number, f"must be an integer (got {value!r})"


def normalise(key: str, value: object) -> tuple[str | None, str | None]:
    """(Kafka string form, None) for a valid value, or (None, reason) for an invalid one."""
    if key in REMOVED_IN_4:
        return None, f"unknown topic config: {REMOVED_IN_4[key]}"
    spec = TOPIC_CONFIGS.get(key)
    if spec is None:
        return None, f"unknown topic config for Kafka 4.x{did_you_mean(key, TOPIC_CONFIGS)}"
    return check_value(key, value, spec)


def check_value(key: str, value: object, spec: ConfigDef) -> tuple[str | None, str | None]:
    """`value` checked against `spec` and written as Kafka reports it; shared by topic and broker
    configs, whose value rules are the same."""
    if spec.kind in ("int", "long"):
        number, reason = _as_integer(key, value)
        if number is None:
            return None, reason
        upper = _INT_MAX if spec.kind == "int" else _LONG_MAX
        maximum = min(spec.maximum, upper) if spec.maximum is not None else upper
        if (spec.minimum is not None and number < spec.minimum) or number > maximum:
            return None, f"must be between {int(spec.minimum or 0)} and {int(maximum)} (got {number})"
        return str(number), None
    if spec.kind == "double":
        number_f = parse_finite(value)
        if number_f is None:
            return None, f"must be a finite number (got {value!r})"
        if (spec.minimum is not None and number_f < spec.minimum) or (
            spec.maximum is not None and number_f > spec.maximum
        ):
            return None, f"must be between {spec.minimum:g} and {spec.maximum:g} (got {value})"
        return str(number_f), None
    if spec.kind == "boolean":
        if isinstance(value, bool):
            return ("true" if value else "false"), None
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower(), None
        return None, f"must be true or false (got {value!r})"
    items = value if isinstance(value, list) else str(value).split(",")
    parts = [str(item).strip() for item in items if str(item).strip() != ""]
    if spec.kind == "enum":
        if len(parts) != 1 or parts[0] not in spec.choices:
            return None, f"must be one of {', '.join(spec.choices)} (got {value!r})"
        return parts[0], None
    if spec.kind == "enum_list":
        bad = [p for p in parts if p not in spec.choices]
        if bad or not parts:
            return None, f"must be a list of {', '.join(spec.choices)} (got {value!r})"
        return ",".join(parts), None
    return ",".join(parts), None


def same_value(key: str, desired: str, live: str | None) -> bool:
    """Equality as Kafka means it: list order does not matter for cleanup.policy, 0.5 == 0.50."""
    return same_as(TOPIC_CONFIGS.get(key), desired, live)


def same_as(spec: ConfigDef | None, desired: str, live: str | None) -> bool:
    """`same_value` for a config of any resource, given its definition (None: compare as text)."""
    if live is None:
        return False
    if spec is not None and spec.kind == "enum_list":
        return set(desired.split(",")) == set(live.split(","))
    if spec is not None and spec.kind == "double":
        try:
            return float(desired) == float(live)
        except ValueError:
            return False
    return desired == live


# Names of the configs the cross-config rules read, per resource: a topic's own, and the broker
# defaults of the same configs (`log.cleaner.min.compaction.lag.ms` ...).
TOPIC_NAMES: Mapping[str, str] = {name: name for name in (
    "min.compaction.lag.ms", "max.compaction.lag.ms", "retention.ms", "local.retention.ms", "retention.bytes",
    "local.retention.bytes", "remote.storage.enable", "remote.log.copy.disable", "cleanup.policy")}
_SAME_AS_RETENTION = -2  # local.retention.*: "as long as retention.*"
_INFINITE = -1


@dataclass(frozen=True)
class Conflict:
    """Values valid one by one that Kafka refuses together (or that make no sense together)."""

    key: str  # the config the problem is reported at, as the resource names it
    message: str
    refused: bool = True  # False: Kafka accepts it, but it is almost certainly a mistake (a warning)


def _local_retention(config: Mapping[str, str], names: Mapping[str, str], unit: str, remote: bool) -> list[Conflict]:
    """Kafka's rule for tiered storage (LogConfig.validateRemoteStorageRetention*): with a finite
    retention.<unit>, local.retention.<unit> is -2 (the same) or at most that, never -1 (infinite)."""
    total_key, local_key = names.get(f"retention.{unit}", ""), names.get(f"local.retention.{unit}", "")
    if total_key not in config or local_key not in config:
        return []
    total, local = int(config[total_key]), int(config[local_key])
    if total == _INFINITE or local == _SAME_AS_RETENTION or (0 <= local <= total):
        return []
    what = "-1 (infinite)" if local == _INFINITE else f"{local}, more than {total_key} {total}"
    why = (
        f"{local_key} is {what}: the local part of the log cannot outlive the whole log "
        f"(-2 means the same as {total_key})"
    )
    if remote:
        return [Conflict(local_key, f"{why}; Kafka refuses it with remote.storage.enable true")]
    return [Conflict(local_key, f"{why}; Kafka refuses it as soon as remote storage is enabled", refused=False)]


def conflicts(config: Mapping[str, str], names: Mapping[str, str] = TOPIC_NAMES) -> list[Conflict]:
    """The cross-config rules of Kafka 4.x (LogConfig.validate) over normalised values: min vs max
    compaction lag; with remote (tiered) storage, no compaction and local.retention.* within
    retention.*; with remote copy disabled, local.retention.* equal to retention.*. `names` maps
    the topic config names to the resource's own (broker defaults are named differently)."""
    out: list[Conflict] = []
    low, high = names.get("min.compaction.lag.ms", ""), names.get("max.compaction.lag.ms", "")
    if low in config and high in config and int(config[low]) > int(config[high]):
        out.append(Conflict(low, f"{low} {config[low]} is greater than {high} {config[high]}: Kafka refuses the "
                                 "pair (a record would have to wait longer than it may)"))
    remote = config.get(names.get("remote.storage.enable", "")) == "true"
    policy_key = names.get("cleanup.policy", "")
    if remote and policy_key in config and config[policy_key] != "delete":
        out.append(Conflict(policy_key, f"remote (tiered) storage takes only cleanup.policy delete; Kafka "
                                        f"refuses {config[policy_key]} with remote.storage.enable true"))
    for unit in ("ms", "bytes"):
        out += _local_retention(config, names, unit, remote)
    if remote and config.get(names.get("remote.log.copy.disable", "")) == "true":
        for unit in ("ms", "bytes"):
            total_key, local_key = names[f"retention.{unit}"], names[f"local.retention.{unit}"]
            local = config.get(local_key)
            if local is not None and int(local) != _SAME_AS_RETENTION and local != config.get(total_key):
                out.append(Conflict(local_key, f"with remote.log.copy.disable true nothing more is copied to "
                                               f"remote storage, so Kafka takes {local_key} only as -2 or equal "
                                               f"to {total_key}"))
    return out
