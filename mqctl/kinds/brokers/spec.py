"""Broker config specs: the model, and building it from `brokers/*.yaml` with every broker-config
rule checked and all problems collected.

Broker config is cluster-wide, not per environment: a file applies to the environments it lists
under `environments:` (all when absent), and only one environment per cluster should declare it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mqctl.diagnostics import Diagnostic, error, warning
from mqctl.kinds.brokers.configs import broker_value
from mqctl.kinds.topics.configs import conflicts
from mqctl.spec.model import Source, SpecContext
from mqctl.spec.units import parse_integer
from mqctl.yamlsource import PathKey, YamlDocument, format_path

# The broker defaults of the topic configs the cross-config rules read (topics/configs.conflicts).
BROKER_NAMES = {
    "min.compaction.lag.ms": "log.cleaner.min.compaction.lag.ms",
    "max.compaction.lag.ms": "log.cleaner.max.compaction.lag.ms",
    "retention.ms": "log.retention.ms",
    "local.retention.ms": "log.local.retention.ms",
    "retention.bytes": "log.retention.bytes",
    "local.retention.bytes": "log.local.retention.bytes",
}


@dataclass(frozen=True)
class BrokerConfigSpec:
    """The dynamic configs of one BROKER config resource: the cluster default or one broker."""

    broker: int | None  # None: the cluster-wide default (resource "")
    config: Mapping[str, str]  # normalised to the strings Kafka reports
    source: Source
    key_lines: Mapping[str, int | None] = field(default_factory=dict)  # where each key is declared
    reset_unmanaged_config: bool = False

    @property
    def name(self) -> str:
        return "cluster-default" if self.broker is None else f"broker {self.broker}"


def _broker_id(key: object) -> int | None:
    """YAML gives `1:` as an int and `"1":` as a string; both name broker 1. ASCII digits only:
    `str.isdigit` also takes `²` (which int() refuses) and `٣` (which int() reads as 3)."""
    number = parse_integer(key.strip() if isinstance(key, str) else key)
    return number if number is not None and 0 <= number < 2**31 else None


class _Resource:
    """One config resource being collected over every file, with where each key came from."""

    def __init__(self, broker: int | None, source: Source) -> None:
        self.broker = broker
        self.source = source
        self.config: dict[str, str] = {}
        self.lines: dict[str, int | None] = {}
        self.files: dict[str, str] = {}
        self.keys: dict[str, str] = {}  # config key -> its key path in the file that declares it

    def spec(self, reset: bool) -> BrokerConfigSpec:
        return BrokerConfigSpec(self.broker, dict(self.config), self.source, dict(self.lines), reset)

    def conflicts(self) -> list[Diagnostic]:
        """Values Kafka refuses together within this resource (min vs max compaction lag), or that
        make no sense together (local retention past retention)."""
        out = []
        for conflict in conflicts(self.config, BROKER_NAMES):
            where = (self.files[conflict.key], self.lines[conflict.key], self.keys[conflict.key])
            out.append((error if conflict.refused else warning)(*where, conflict.message))
        return out


def _add(
    doc: YamlDocument,
    path: PathKey,
    values: dict[Any, Any],
    resource: _Resource,
    problems: list[Diagnostic],
) -> None:
    for key, value in values.items():
        key_path = (*path, str(key))
        normalised, reason = broker_value(str(key), value, cluster_default=resource.broker is None)
        if reason is not None:
            problems.append(doc.error(key_path, reason))
            continue
        if str(key) in resource.files:
            first = f"{resource.files[str(key)]}:{resource.lines[str(key)]}"
            problems.append(doc.error(key_path, f"{key} of {resource.spec(False).name} is declared twice; "
                                                f"first in {first}"))
            continue
        resource.config[str(key)] = normalised or ""
        resource.lines[str(key)] = doc.line_of(key_path)
        resource.files[str(key)] = doc.file
        resource.keys[str(key)] = format_path(key_path)


def _applies(doc: YamlDocument, ctx: SpecContext, problems: list[Diagnostic]) -> bool:
    """Whether the file configures this environment's cluster; a name in its `environments:` that
    mqctl.yaml does not know is an error (a typo would otherwise configure nothing, silently)."""
    envs = doc.data["brokers"].get("environments")
    for index, name in enumerate(envs or ()):
        problems += [doc.error(("brokers", "environments", index), p) for p in ctx.unknown_environments([name])]
    return envs is None or ctx.env.name in envs


def build_brokers(
    docs: Iterable[YamlDocument], ctx: SpecContext
) -> tuple[list[BrokerConfigSpec], list[Diagnostic]]:
    """The cluster default (always, once any file applies, so its drift is reported) and every
    declared broker; a file that does not list this environment declares nothing for it."""
    problems: list[Diagnostic] = []
    resources: dict[int | None, _Resource] = {}
    reset: list[YamlDocument] = []
    declared = False
    for doc in docs:
        if not _applies(doc, ctx, problems):
            continue
        declared = True
        section: dict[str, Any] = doc.data["brokers"]
        if section.get("unmanaged_config") == "reset":
            reset.append(doc)
        defaults = section.get("cluster_defaults") or {}
        if None not in resources:
            resources[None] = _Resource(None, Source(doc.file, doc.line_of(("brokers", "cluster_defaults"))))
        _add(doc, ("brokers", "cluster_defaults"), defaults, resources[None], problems)
        written: dict[int, object] = {}  # broker id -> the key that named it first in this file
        for key, values in (section.get("per_broker") or {}).items():
            path: PathKey = ("brokers", "per_broker", str(key))
            broker = _broker_id(key)
            if broker is None:
                problems.append(doc.error(path, f"broker id {key!r} is not a broker id (a whole number ≥ 0)"))
                continue
            if broker in written:
                problems.append(doc.error(path, f"broker {broker} is declared twice under per_broker (as "
                                                f"{written[broker]!r} and as {key!r}); put its configs under one key"))
                continue
            written[broker] = key
            if broker not in resources:
                resources[broker] = _Resource(broker, Source(doc.file, doc.line_of(path)))
            _add(doc, path, values or {}, resources[broker], problems)
    if not declared:
        return [], problems
    for resource in resources.values():
        problems += resource.conflicts()
    specs = [r.spec(bool(reset)) for _, r in sorted(resources.items(), key=lambda item: (item[0] is not None,
                                                                                           item[0] or 0))]
    return specs, problems
