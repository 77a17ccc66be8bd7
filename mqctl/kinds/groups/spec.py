"""Consumer group specs: the model, and building it from `groups/*.yaml` with all problems collected.

A group is declared without the environment (`order-processor-group`); its real id is
`<env>.order-processor-group`, the id the ACLs grant READ on. References to topics are checked
across kinds in `check_topics` once every kind is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mqctl.diagnostics import Diagnostic, error
from mqctl.kinds.groups.configs import group_value, timeout_conflicts
from mqctl.spec.model import Source, SpecContext
from mqctl.spec.units import parse_duration_ms
from mqctl.yamlsource import PathKey, YamlDocument, format_path


@dataclass(frozen=True)
class Alerts:
    """The thresholds `groups status` and `alerts export` compare with; None: not watched."""

    max_lag: int | None = None  # messages, summed over one topic's partitions
    max_time_lag_ms: int | None = None  # age of the oldest unconsumed message
    min_members: int | None = None  # fewer: a consumer instance is offline
    max_members: int | None = None  # None: the smallest partition count of the group's topics


@dataclass(frozen=True)
class GroupSpec:
    name: str  # without the environment
    group_id: str  # <env>.<name>
    topics: tuple[str, ...]  # real names (<env>.<topic>)
    retry_topic: str | None
    dlq_topic: str | None
    config: Mapping[str, str]  # normalised to the strings Kafka reports
    alerts: Alerts
    source: Source
    key_lines: Mapping[str, int | None] = field(default_factory=dict)  # where each config key is declared
    path: str = ""  # where in its file: `groups[0]`
    ref_lines: Mapping[str, int | None] = field(default_factory=dict)  # lines of topics, retry_topic, dlq_topic

    @property
    def consumed(self) -> tuple[str, ...]:
        """The topics the group reads, its retry topic included: what status watches."""
        return self.topics + ((self.retry_topic,) if self.retry_topic and self.retry_topic not in self.topics else ())


def _config(doc: YamlDocument, path: PathKey, raw: Mapping[str, Any], problems: list[Diagnostic]) -> dict[str, str]:
    config: dict[str, str] = {}
    for key, value in raw.items():
        normalised, reason = group_value(str(key), value)
        if reason is not None or normalised is None:
            problems.append(doc.error((*path, "config", str(key)), reason or "invalid value"))
            continue
        config[str(key)] = normalised
    for key, reason in timeout_conflicts(config):
        problems.append(doc.error((*path, "config", key), reason))
    return config


def _alerts(doc: YamlDocument, path: PathKey, raw: Mapping[str, Any], problems: list[Diagnostic]) -> Alerts:
    time_lag = raw.get("max_time_lag")
    time_lag_ms = parse_duration_ms(time_lag) if isinstance(time_lag, str) else None
    if time_lag is not None and time_lag_ms is None:
        problems.append(
            doc.error((*path, "alerts", "max_time_lag"), f"must be a duration like 5m or 300s (got {time_lag!r})")
        )
    alerts = Alerts(raw.get("max_lag"), time_lag_ms, raw.get("min_members"), raw.get("max_members"))
    if alerts.min_members is not None and alerts.max_members is not None and alerts.min_members > alerts.max_members:
        problems.append(
            doc.error(
                (*path, "alerts", "min_members"),
                f"min_members ({alerts.min_members}) is above max_members ({alerts.max_members})",
            )
        )
    return alerts


def build_groups(docs: Iterable[YamlDocument], ctx: SpecContext) -> tuple[list[GroupSpec], list[Diagnostic]]:
    problems: list[Diagnostic] = []
    groups: dict[str, GroupSpec] = {}
    prefix = ctx.env.prefix
    for doc in docs:
        for index, entry in doc.items("groups"):
            path: PathKey = ("groups", index)
            name = entry["name"]
            first = groups.get(name)
            if first is not None:
                problems.append(
                    doc.error((*path, "name"), f"group {name!r} is declared twice; first at {first.source}")
                )
                continue
            retry, dlq = entry.get("retry_topic"), entry.get("dlq_topic")
            if retry is not None and retry == dlq:
                problems.append(doc.error((*path, "dlq_topic"), "the dead-letter topic must not be the retry topic"))
            raw_config = entry.get("config") or {}
            groups[name] = GroupSpec(
                name=name,
                group_id=prefix + name,
                topics=tuple(prefix + t for t in entry["topics"]),
                retry_topic=prefix + retry if retry else None,
                dlq_topic=prefix + dlq if dlq else None,
                config=_config(doc, path, raw_config, problems),
                alerts=_alerts(doc, path, entry.get("alerts") or {}, problems),
                source=Source(doc.file, doc.line_of(path)),
                key_lines={str(k): doc.line_of((*path, "config", str(k))) for k in raw_config},
                path=format_path(path),
                ref_lines={k: doc.line_of((*path, k)) for k in ("topics", "retry_topic", "dlq_topic")},
            )
    return list(groups.values()), problems


def check_topics(groups: Iterable[GroupSpec], declared_topics: set[str], prefix: str) -> list[Diagnostic]:
    """Every topic a group names must be declared in topics/ (errors: a group on a topic that will
    not exist never consumes, and its DLQ would have nowhere to go)."""
    problems = []
    for group in groups:
        named = [("topics", t) for t in group.topics]
        named += [(key, t) for key, t in (("retry_topic", group.retry_topic), ("dlq_topic", group.dlq_topic)) if t]
        for key, topic in named:
            if topic not in declared_topics:
                short = topic.removeprefix(prefix)
                problems.append(
                    error(
                        group.source.file,
                        group.ref_lines.get(key, group.source.line),
                        f"{group.path}.{key}",
                        f"topic {short!r} of group {group.name} is not declared in topics/",
                    )
                )
    return problems
