"""Validate parsed YAML against the packaged JSON Schemas (mqctl.yaml's in `mqctl/schemas/`, each
kind's in its package), reporting every error."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from mqctl.diagnostics import Diagnostic
from mqctl.yamlsource import YamlDocument

CONFIG_PACKAGE = "mqctl.schemas"  # where mqctl.yaml's schema lives


@cache
def load_schema(name: str, package: str = CONFIG_PACKAGE) -> dict[str, Any]:
    """The packaged JSON Schema `<package>/<name>.schema.json`."""
    text = resources.files(package).joinpath(f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _inline_local_refs(node: Any, defs: dict[str, Any]) -> Any:
    """Replace `{"$ref": "#/$defs/x", ...}` by the definition merged with its siblings. jsonschema
    resolves a `$ref` again for every list item it meets (a third of `validate`'s time on 10,000
    topics); the packaged schemas have no recursive definitions, so inlining is exact."""
    if isinstance(node, list):
        return [_inline_local_refs(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    inlined = {key: _inline_local_refs(value, defs) for key, value in node.items() if key != "$defs"}
    ref = inlined.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = _inline_local_refs(defs[ref.removeprefix("#/$defs/")], defs)
        siblings = {key: value for key, value in inlined.items() if key != "$ref"}
        if not set(siblings) & set(target):
            return {**target, **siblings}
    return inlined


@cache
def _validator(name: str, package: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name, package)
    fast = _inline_local_refs(schema, schema.get("$defs", {}))
    # The packaged schemas are checked against their metaschema by the unit tests, not at every run.
    return jsonschema.validators.validator_for(schema)(fast)


LABELS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Free key/values (owner, team, ...), shown in plans and read by policies.",
    "maxProperties": 64,
    "additionalProperties": {"type": "string", "maxLength": 256},
}
ENV_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Environment name -> the values that differ there (merged over the ones around it).",
    "additionalProperties": {"type": "object"},
}


def editor_schema(name: str, package: str) -> dict[str, Any]:
    """A kind's schema as editors get it (`mqctl schema export`): local references inlined, and the
    keys the loader takes out of every spec file before checking it (`labels:` at the top, `labels:`
    and `env:` in every top-level section and list item: mqctl/spec/overlay.py) declared."""
    schema = load_schema(name, package)
    out: dict[str, Any] = _inline_local_refs(schema, schema.get("$defs", {}))

    def allow(node: Any, keys: dict[str, Any]) -> None:
        if isinstance(node, dict) and isinstance(node.get("properties"), dict):
            node["properties"] = {**node["properties"], **keys}

    allow(out, {"labels": LABELS_SCHEMA})
    for section in out.get("properties", {}).values():
        allow(section, {"labels": LABELS_SCHEMA, "env": ENV_SCHEMA})
        allow(section.get("items") if isinstance(section, dict) else None, {"labels": LABELS_SCHEMA, "env": ENV_SCHEMA})
    return out


def _message(err: jsonschema.ValidationError) -> str:
    if err.validator == "additionalProperties":
        schema = err.schema if isinstance(err.schema, dict) else {}
        allowed = sorted(schema.get("properties", {}))
        return f"{err.message}; allowed keys: {', '.join(allowed)}"
    if err.validator in ("oneOf", "anyOf") and err.context:
        return str(jsonschema.exceptions.best_match(err.context).message)
    return str(err.message)


def check(document: YamlDocument, schema_name: str, package: str = CONFIG_PACKAGE) -> list[Diagnostic]:
    """All schema violations of `document`, each with the line of the offending key."""
    found = []
    for err in _validator(schema_name, package).iter_errors(document.data):
        path = tuple(str(p) if not isinstance(p, int) else p for p in err.absolute_path)
        found.append(document.error(path, _message(err)))
    return sorted(found)
