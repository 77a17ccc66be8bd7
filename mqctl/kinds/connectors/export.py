"""Connectors under `<env>.` -> connectors/connectors.yaml.

Each connector is written with its class, tasks, state and config, so a plan from the export is
empty. A secret is never written: values under keys that look like secrets become `${VAR}`
placeholders (the worker may hold them in plain text, but a spec file goes to a repository), and
the export lists the variables to set. In keys that name topics or groups, the environment's name
at the start of a name becomes `${env}`, so the specs read the same in every environment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from mqctl.exporting import Export, ExportContext, document
from mqctl.kinds.connectors.live import LiveConnector, LiveConnectors
from mqctl.kinds.connectors.values import looks_secret, parse, provider_reference

# what connectors/ can declare (connectors.schema.json)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_CLASS = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$")
_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._$-]{0,254}$")
MAX_TASKS = 1000
_NAMING_KEYS = ("topic", "group")  # keys with these words name topics or groups


def secret_variables(connector: str, keys: Iterable[str], taken: set[str]) -> dict[str, str]:
    """Config key -> the environment variable for its value: `order-archive` + `some.password` ->
    ORDER_ARCHIVE_SOME_PASSWORD; names already taken get a number."""
    out: dict[str, str] = {}
    for key in keys:
        stem = re.sub(r"[^A-Za-z0-9]+", "_", f"{connector}_{key}").strip("_").upper()
        stem = stem if stem[:1].isalpha() else f"CONNECTOR_{stem}"
        variable, n = stem, 1
        while variable in taken:
            n += 1
            variable = f"{stem}_{n}"
        taken.add(variable)
        out[key] = variable
    return out


def _portable(key: str, value: str, env: str) -> str:
    """`dev.order.created.v1` (or the regex `dev\\.order\\..*`) -> `${env}.…`, in topic and group keys."""
    if not any(word in key.lower() for word in _NAMING_KEYS):
        return value
    return re.sub(rf"(?<![A-Za-z0-9_.\-]){re.escape(env)}(?=\\?\.)", "${env}", value)


def _inexact(short: str, connector: LiveConnector) -> str | None:
    """Why connectors/ cannot declare `connector` exactly, if it cannot."""
    if not _NAME.match(short):
        return "its name (without the environment) is not one connectors/ takes"
    if not _CLASS.match(connector.class_name):
        return "its connector.class is not a class name"
    if not connector.tasks_max.isdigit() or not 1 <= int(connector.tasks_max) <= MAX_TASKS:
        return f"its tasks.max is not a whole number from 1 to {MAX_TASKS}"
    for key, value in connector.config.items():
        if not _KEY.match(key):
            return f"its config key {key!r} is not one connectors/ takes"
        template, problem = parse(value)
        if problem is not None or template.secret or "${env}" in value:
            return f"its config value of {key} holds ${{…}} that mqctl would read as a reference"
    return None


def export_connectors(live: LiveConnectors, ctx: ExportContext) -> Export:
    env = ctx.env.name
    result = Export([], [], [])
    entries: list[dict[str, Any]] = []
    taken: set[str] = set()
    for full in sorted(live):
        short = full[len(ctx.env.prefix) :]
        connector = live[full]
        if not ctx.select(short):
            result.left_out.append(full)
            continue
        why = _inexact(short, connector)
        if why is not None:
            result.notes.append(f"connector {full} is not exported: {why}; a plan from the export deletes it")
            continue
        hidden = [k for k, v in sorted(connector.config.items()) if looks_secret(k) and v and not provider_reference(v)]
        variables = secret_variables(short, hidden, taken)
        entry: dict[str, Any] = {"name": short, "class": connector.class_name, "tasks_max": int(connector.tasks_max)}
        if connector.state not in (None, "running"):
            entry["state"] = connector.state
        config = {
            key: f"${{{variables[key]}}}" if key in variables else _portable(key, value, env)
            for key, value in sorted(connector.config.items())
        }
        if config:
            entry["config"] = config
        entries.append(entry)
        result.variables.extend(variables.values())
    if entries:
        result.files.append(document("connectors/connectors.yaml", "connectors", env, {"connectors": entries}))
        result.notes.append(
            "connectors: values under keys that look like secrets are written as ${VAR} placeholders, never "
            "as values; set each variable to the worker's current value (a different one shows in the plan as "
            "'(secret changed)' and apply writes it). Other values are written as the worker holds them: "
            "check them for credentials (e.g. inside URLs) before committing"
        )
    return result
