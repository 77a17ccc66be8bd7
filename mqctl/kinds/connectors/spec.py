"""Connector specs: the model, and building it from `connectors/*.yaml`.

Names are written without the environment (`order-archive` is `<env>.order-archive` on the worker).
Config values become templates (mqctl.kinds.connectors.values): their references are checked
here, offline, but never resolved, so validation needs no secret. A literal value under a key that
holds a secret (`*.password`, `*.secret`, `*.key`, `sasl.jaas.config`, …) is refused without being
echoed: it would be a password committed to the repository.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mqctl.diagnostics import Diagnostic
from mqctl.kinds.connectors.values import Template, looks_secret, parse, provider_reference
from mqctl.spec.model import Source, SpecContext
from mqctl.yamlsource import PathKey, YamlDocument

STATES = ("running", "paused", "stopped")
# Connect config keys the spec has fields for: the worker's config is built from those
FIELDS = {"name": "name", "connector.class": "class", "tasks.max": "tasks_max"}


@dataclass(frozen=True)
class ConnectorSpec:
    """One connector: its class, tasks, target state and config templates."""

    name: str  # as written, without the environment
    full_name: str  # `<env>.<name>`: the connector on the worker
    class_name: str
    tasks_max: int
    state: str  # running | paused | stopped
    config: Mapping[str, Template]  # every key but name, connector.class and tasks.max
    source: Source
    lines: Mapping[str, int | None]  # config key -> its line, for errors found at plan time

    def where(self, key: str) -> tuple[str, int | None, str]:
        """(file, line, key) of one config key, for a Diagnostic."""
        return self.source.file, self.lines.get(key, self.source.line), f"config.{key}"


def _text(value: Any) -> str | None:
    """A YAML scalar or list as the worker takes it: strings as they are, booleans lowercase,
    lists comma-separated; None for what no config can hold (NaN, infinity)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, list):
        items = [_text(item) for item in value]
        return None if None in items else ",".join(str(item) for item in items)
    return str(value)


def _config(
    doc: YamlDocument, path: PathKey, raw: Mapping[str, Any]
) -> tuple[dict[str, Template], dict[str, int | None], list[Diagnostic]]:
    config: dict[str, Template] = {}
    lines: dict[str, int | None] = {}
    problems: list[Diagnostic] = []
    for key, value in raw.items():
        where = (*path, "config", key)
        if key in FIELDS:
            problems.append(doc.error(where, f"write {key} as the connector's `{FIELDS[key]}:`, not in config"))
            continue
        text = _text(value)
        if text is None:
            problems.append(doc.error(where, "not a value a connector config can hold (NaN or infinity)"))
            continue
        template, problem = parse(text)
        if problem is None and looks_secret(key) and text and not template.secret and not provider_reference(text):
            problem = (
                "holds a secret, so it must come from the environment: write ${VAR} (or a Connect "
                "${provider:path:key}); a secret written in a spec file is refused (the value is not shown)"
            )
        if problem is not None:
            problems.append(doc.error(where, problem))
            continue
        config[key] = template
        lines[key] = doc.line_of(where)
    return config, lines, problems


def build_connectors(
    docs: Iterable[YamlDocument], ctx: SpecContext
) -> tuple[list[ConnectorSpec], list[Diagnostic]]:
    problems: list[Diagnostic] = []
    connectors: dict[str, ConnectorSpec] = {}
    declared: dict[str, Source] = {}
    for doc in docs:
        for index, entry in doc.items("connectors"):
            path: PathKey = ("connectors", index)
            source = Source(doc.file, doc.line_of(path))
            config, lines, found = _config(doc, path, entry.get("config") or {})
            problems += found
            first = declared.setdefault(entry["name"], source)
            if first is not source:
                problems.append(
                    doc.error((*path, "name"), f"connector {entry['name']!r} is declared twice; first at {first}")
                )
                continue
            if found:
                continue
            connectors[entry["name"]] = ConnectorSpec(
                name=entry["name"],
                full_name=f"{ctx.env.name}.{entry['name']}",
                class_name=entry["class"],
                tasks_max=int(entry.get("tasks_max", 1)),
                state=entry.get("state", "running"),
                config=config,
                source=source,
                lines=lines,
            )
    return list(connectors.values()), problems
