"""`mqctl export`, pure part: a live snapshot -> spec documents that declare exactly what is there.

Adopting an existing cluster means writing specs whose plan is empty. Each kind that can be exported
has one exporter in `EXPORTERS` (snapshot -> files); the CLI snapshots those kinds and writes the
files. What an exporter writes must read back to the same state: topics carry their partitions,
replication factor and only the configs set on the topic itself (DYNAMIC_TOPIC_CONFIG), since
inherited values are not the topic's to declare.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import yaml

from mqctl.config import Environment
from mqctl.live import LiveState, LiveTopic
from mqctl.spec.units import format_ms, parse_duration_ms

SCHEMA_DIR = ".mqctl/schemas"  # where `mqctl schema export` puts the JSON Schemas by default


@dataclass(frozen=True)
class Selection:
    """--include / --exclude globs over names without the environment prefix."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __call__(self, name: str) -> bool:
        included = not self.include or any(fnmatchcase(name, g) for g in self.include)
        return included and not any(fnmatchcase(name, g) for g in self.exclude)


@dataclass(frozen=True)
class ExportContext:
    env: Environment
    naming: re.Pattern[str]  # mqctl.yaml's naming rule: its `domain` group names the topic file
    select: Selection


@dataclass(frozen=True)
class ExportedFile:
    path: str  # relative to the export directory, e.g. topics/order.yaml
    text: str


@dataclass
class Export:
    files: list[ExportedFile]
    left_out: list[str]  # names not exported (excluded), which a plan will show as deletes
    notes: list[str]  # what the user should check before relying on the specs


Exporter = Callable[[Any, ExportContext], Export]


def schema_comment(path: str, schema: str) -> str:
    """The yaml-language-server line for a spec file at `path`, pointing at the exported schemas."""
    up = "../" * path.count("/")
    return f"# yaml-language-server: $schema={up}{SCHEMA_DIR}/{schema}.schema.json\n"


def _document(path: str, schema: str, env: str, body: Mapping[str, Any]) -> ExportedFile:
    header = schema_comment(path, schema) + f"# Exported by `mqctl export` from environment {env}.\n"
    return ExportedFile(path, header + yaml.safe_dump(dict(body), sort_keys=False, allow_unicode=True, width=100))


def config_value(key: str, value: str) -> str | int:
    """How a live config value reads in a spec: durations for `.ms` keys when exact (`7d`),
    integers as integers, everything else as Kafka reports it."""
    if key.endswith(".ms") and value.lstrip("-").isdigit():
        readable = format_ms(value)
        if not readable.endswith("ms") and parse_duration_ms(readable) == int(value):
            return readable
    return int(value) if value.lstrip("-").isdigit() else value


def _topic(topic: LiveTopic, short: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": short,
        "partitions": topic.partitions,
        "replication_factor": topic.replication_factor,
    }
    overrides = {
        k: config_value(k, c.value)
        for k, c in sorted(topic.configs.items())
        if c.is_topic_override and c.value is not None and not c.sensitive
    }
    if overrides:
        entry["config"] = overrides
    return entry


def _domain(full_name: str, short: str, naming: re.Pattern[str]) -> str:
    match = naming.match(full_name)
    if match and "domain" in naming.groupindex and match.group("domain"):
        return str(match.group("domain"))
    return short.split(".", 1)[0] or "topics"


def export_topics(live: LiveState, ctx: ExportContext) -> Export:
    """One file per domain (topics/<domain>.yaml), names without the environment prefix."""
    prefix = ctx.env.prefix
    by_domain: dict[str, list[dict[str, Any]]] = defaultdict(list)
    left_out: list[str] = []
    notes: list[str] = []
    for full_name, topic in sorted(live.topics.items()):
        short = full_name[len(prefix) :]
        if not ctx.select(short):
            left_out.append(full_name)
            continue
        if not ctx.naming.match(full_name):
            notes.append(f"{full_name} breaks the naming rule of mqctl.yaml; validate will reject it")
        if len({len(r) for r in topic.replicas}) > 1:
            notes.append(f"{full_name}: partitions have different replica counts; exported as the smallest")
        by_domain[_domain(full_name, short, ctx.naming)].append(_topic(topic, short))
    files = [
        _document(f"topics/{domain}.yaml", "topics", ctx.env.name, {"topics": entries})
        for domain, entries in sorted(by_domain.items())
    ]
    return Export(files, left_out, notes)


EXPORTERS: Mapping[str, Exporter] = {"topics": export_topics}


def merge(exports: Sequence[Export]) -> Export:
    return Export(
        [f for e in exports for f in e.files],
        [n for e in exports for n in e.left_out],
        [n for e in exports for n in e.notes],
    )
