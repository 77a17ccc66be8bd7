"""Broker config: desired BrokerConfigSpecs vs the live broker configs -> BrokerConfigUpdate.

Pure: no I/O. Managed keys are those in the specs; dynamic values set on the cluster but absent
from them are drift (warned, or reset with `unmanaged_config: reset`). Sensitive values are never
shown: Kafka does not return them, and they stay out of plans and messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mqctl.diagnostics import Diagnostic, error, warning
from mqctl.kinds.brokers.changes import BrokerConfigUpdate
from mqctl.kinds.brokers.configs import definition
from mqctl.kinds.brokers.live import LiveBrokerConfigs
from mqctl.kinds.brokers.spec import BrokerConfigSpec
from mqctl.kinds.topics.configs import same_as
from mqctl.live import LiveConfig
from mqctl.plan import Change, FieldDiff

SENSITIVE = "(sensitive)"  # what a plan shows instead of a password-type value
# Set and removed by partition reassignments while they run (mqctl.kinds.topics.reassign): never drift,
# never exported.
REASSIGNMENT_THROTTLES = frozenset({"leader.replication.throttled.rate", "follower.replication.throttled.rate"})
_RETENTION = ("log.retention.ms", "log.retention.bytes", "log.local.retention.ms", "log.local.retention.bytes")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _risk(key: str, before: str | None, after: str) -> str | None:
    """A cut of a broker-wide retention deletes older data of every topic that inherits it."""
    old, new = _int(before), _int(after)
    if key in _RETENTION and new is not None and new >= 0 and (old is None or old < 0 or new < old):
        return (
            f"{key} cut from {before or 'unlimited'} to {after}: older data of every topic without its own "
            "retention is deleted"
        )
    return None


def _same(key: str, wanted: str, live: str | None) -> bool:
    """Whether a live broker config value is the wanted one, compared as its type compares."""
    known = definition(key)
    return same_as(known.value if known else None, wanted, live)


def _path(spec_broker: int | None, key: str) -> str:
    where = "cluster_defaults" if spec_broker is None else f"per_broker.{spec_broker}"
    return f"brokers.{where}.{key}"


def _shown(entry: LiveConfig) -> str | None:
    return SENSITIVE if entry.sensitive else entry.value


def _effective(live: LiveBrokerConfigs, key: str) -> LiveConfig | None:
    """How the brokers report `key` (the first broker speaks for all), to check it is dynamic."""
    for broker in sorted(live.brokers):
        return live.brokers[broker].get(key)
    return None


def _unmanaged(
    name: str,
    broker: int | None,
    current: Mapping[str, LiveConfig],
    wanted: Mapping[str, str],
    reset: bool,
    where: tuple[str, int | None],
    diffs: list[FieldDiff],
    problems: list[Diagnostic],
) -> list[str]:
    """Keys set dynamically on the resource but not in the specs: reset, or warned as drift."""
    removed = []
    for key, entry in sorted(current.items()):
        if key in wanted or key in REASSIGNMENT_THROTTLES:
            continue
        if reset:
            removed.append(key)
            diffs.append(FieldDiff(f"config.{key}", _shown(entry), None))
        else:
            value = f"{key} (sensitive, value not shown)" if entry.sensitive else f"{key}={entry.value}"
            problems.append(
                warning(
                    *where,
                    _path(broker, key),
                    f"{name}: {value} is set on the cluster but not in the specs (drift, left alone; add it "
                    "to the specs, or set unmanaged_config: reset to remove it)",
                )
            )
    return removed


# Kafka reports log.retention.ms as unset when only the coarser units are configured (the default
# log.retention.hours=168): the effective value comes from them.
_COARSER_RETENTION = (("log.retention.minutes", 60_000), ("log.retention.hours", 3_600_000))


def _effective_value(live: LiveBrokerConfigs, key: str) -> str | None:
    reported = _effective(live, key)
    if reported is not None and reported.value is not None:
        return reported.value
    if key == "log.retention.ms":
        for coarser, factor in _COARSER_RETENTION:
            value = _int(getattr(_effective(live, coarser), "value", None))
            if value is not None:
                return str(value * factor if value >= 0 else -1)
    return None


def _update(
    spec: BrokerConfigSpec, current: Mapping[str, LiveConfig], live: LiveBrokerConfigs, problems: list[Diagnostic]
) -> BrokerConfigUpdate | None:
    diffs: list[FieldDiff] = []
    set_config: dict[str, str] = {}
    for key, value in sorted(spec.config.items()):
        line = spec.key_lines.get(key, spec.source.line)
        reported = _effective(live, key)
        if reported is not None and reported.read_only:
            problems.append(
                error(
                    spec.source.file,
                    line,
                    _path(spec.broker, key),
                    f"{key} is read-only on this cluster: it needs server.properties and a rolling restart",
                )
            )
            continue
        entry = current.get(key)
        before = _shown(entry) if entry else None
        if not _same(key, value, before):
            set_config[key] = value
            base = before if entry else _effective_value(live, key)
            diffs.append(FieldDiff(f"config.{key}", before, value, _risk(key, base, value)))
    where = (spec.source.file, spec.source.line)
    reset = _unmanaged(
        spec.name, spec.broker, current, spec.config, spec.reset_unmanaged_config, where, diffs, problems
    )
    if not diffs:
        return None
    return BrokerConfigUpdate(
        spec.name, tuple(diffs), broker=spec.broker, set_config=set_config, reset_config=tuple(reset)
    )


def diff_brokers(desired: Sequence[BrokerConfigSpec], live: LiveBrokerConfigs) -> tuple[list[Change], list[Diagnostic]]:
    """Changes that make the cluster's dynamic broker configs match `desired`, and what blocks them.
    No specs for this environment: broker config is not managed here, nothing to say."""
    problems: list[Diagnostic] = []
    changes: list[Change] = []
    if not desired:
        return changes, problems
    declared = {spec.broker for spec in desired}
    for spec in desired:
        if spec.broker is not None and spec.broker not in live.brokers:
            problems.append(
                error(
                    spec.source.file,
                    spec.source.line,
                    f"brokers.per_broker.{spec.broker}",
                    f"broker {spec.broker} is not a live broker of this cluster "
                    f"(live: {', '.join(map(str, sorted(live.brokers))) or 'none'})",
                )
            )
            continue
        current = live.cluster_default if spec.broker is None else live.dynamic(spec.broker)
        change = _update(spec, current, live, problems)
        if change is not None:
            changes.append(change)
    first = desired[0]
    for broker in sorted(set(live.brokers) - declared):
        diffs: list[FieldDiff] = []
        name = f"broker {broker}"
        where = (first.source.file, first.source.line)
        reset = _unmanaged(name, broker, live.dynamic(broker), {}, first.reset_unmanaged_config, where, diffs, problems)
        if diffs:
            changes.append(BrokerConfigUpdate(name, tuple(diffs), broker=broker, reset_config=tuple(reset)))
    return changes, problems


def reported(change: BrokerConfigUpdate, live: LiveBrokerConfigs) -> bool:
    """Whether the brokers already report `change`: they apply a config change from the metadata
    log moments after the controller accepted it. A cluster default must show on every broker
    (except where a per-broker value overrides it), a broker's own key on that broker."""
    default = change.broker is None
    source = "DYNAMIC_DEFAULT_BROKER_CONFIG" if default else "DYNAMIC_BROKER_CONFIG"
    for broker in sorted(live.brokers) if change.broker is None else [change.broker]:
        configs = live.brokers.get(broker, {})
        for key, value in change.set_config.items():
            entry = configs.get(key)
            if default and entry is not None and entry.source == "DYNAMIC_BROKER_CONFIG":
                continue  # overridden on this broker: the default does not show there
            if entry is None or entry.source != source:
                return False
            if not entry.sensitive and not _same(key, value, entry.value):
                return False
        if any(getattr(configs.get(key), "source", None) == source for key in change.reset_config):
            return False
    return True
