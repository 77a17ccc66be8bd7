"""Validate parsed YAML against the packaged JSON Schemas (mqctl.yaml's in `mqctl/schemas/`, each
kind's in its package), reporting every error.

Messages never echo a secret or a large value: jsonschema writes the offending value into its
messages (`12345 is not of type 'string'`), which for a `password:` in mqctl.yaml would print it,
and for a whole mapping (an `anyOf` failure) would print everything in it. Values under a key that
names a secret are left out, mappings and lists are named instead of printed, and long scalars are cut.

Two validators: jsonschema-rs (compiled once per schema, in Rust) answers whether a document is
valid, which is all a clean spec set needs: 10,000 topics take milliseconds instead of seconds, and
the Python jsonschema package is not even imported. Only a document it rejects (or cannot take: a
date, a key that is not a string) goes to jsonschema, for every error with its path and the
messages users know. That is exact as long as jsonschema-rs is at least as strict as jsonschema on
these schemas: it is (ECMA regexes: `\\d` is [0-9] and `$` is the end; jsonschema's `re` also takes
other digits and a final newline), and where it is stricter the fallback gives jsonschema's answer.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import TYPE_CHECKING, Any

from mqctl.diagnostics import Diagnostic
from mqctl.package_data import package_text

if TYPE_CHECKING:
    import jsonschema
    import jsonschema_rs

    from mqctl.yamlsource import YamlDocument

CONFIG_PACKAGE = "mqctl.schemas"  # where mqctl.yaml's schema lives


@cache
def load_schema(name: str, package: str = CONFIG_PACKAGE) -> dict[str, Any]:
    """The packaged JSON Schema `<package>/<name>.schema.json`."""
    text = package_text(package, f"{name}.schema.json")
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
def _fast_validator(name: str, package: str) -> jsonschema_rs.Validator:
    import jsonschema_rs

    return jsonschema_rs.validator_for(load_schema(name, package))


def _valid(data: Any, name: str, package: str) -> bool:
    """jsonschema-rs's verdict; False also when it cannot take the data (then jsonschema decides)."""
    try:
        return bool(_fast_validator(name, package).is_valid(data))
    except (ValueError, TypeError, OverflowError, RecursionError):  # a date, an int key, a huge number
        return False


@cache
def _validator(name: str, package: str) -> jsonschema.protocols.Validator:
    import jsonschema

    schema = load_schema(name, package)
    fast = _inline_local_refs(schema, schema.get("$defs", {}))
    # The packaged schemas are checked against their metaschema by the unit tests, not at every run.
    return jsonschema.validators.validator_for(schema)(fast)


SECRET_KEY = re.compile(r"(?i)pass(word)?|secret|token|credential")
MAX_SHOWN = 60  # characters of an offending value shown in a message


def _secret_path(path: tuple[str | int, ...]) -> bool:
    key = next((p for p in reversed(path) if isinstance(p, str)), "")
    return SECRET_KEY.search(key) is not None


def shown_value(value: Any) -> str:
    """How a message names an offending value: a whole mapping or list is named, long text is cut."""
    if isinstance(value, dict):
        return "this mapping"
    if isinstance(value, (list, tuple)):
        return "this list"
    try:
        text = repr(value)
    except Exception:  # nothing a YAML document holds fails repr; never crash on it anyway
        text = f"a {type(value).__name__}"
    return text if len(text) <= MAX_SHOWN else f"{text[:MAX_SHOWN - 20]}… ({len(text):,} characters)"


def _safe(err: jsonschema.ValidationError) -> str:
    """err.message with the value jsonschema wrote into it (as repr) replaced by `shown_value`; under
    a key that names a secret, no trace of the value at all (not even its type or length)."""
    if _secret_path(tuple(err.absolute_path)):
        rule = f"must be of type {err.validator_value}" if err.validator == "type" else f"fails {err.validator}"
        return f"the value {rule} (the value is not shown: this key holds a secret)"
    message = str(err.message)
    try:
        raw = repr(err.instance)
    except Exception:
        return message
    shown = shown_value(err.instance)
    return message.replace(raw, shown) if raw != shown and raw in message else message


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
    import jsonschema

    if err.validator == "additionalProperties":
        schema = err.schema if isinstance(err.schema, dict) else {}
        allowed = sorted(schema.get("properties", {}))
        return f"{_safe(err)}; allowed keys: {', '.join(allowed)}"
    if err.validator in ("oneOf", "anyOf") and err.context:
        described = err.schema.get("description") if isinstance(err.schema, dict) else None
        if described and not _secret_path(tuple(err.absolute_path)):
            # "'7days' is not of type 'integer'" names one branch; the description names them all
            return f"{shown_value(err.instance)} is not valid here; {described[:1].lower()}{described[1:]}"
        return _safe(jsonschema.exceptions.best_match(err.context))
    return _safe(err)


def check(document: YamlDocument, schema_name: str, package: str = CONFIG_PACKAGE) -> list[Diagnostic]:
    """All schema violations of `document`, each with the line of the offending key, and the problems
    the loader found on the way (`.inf`/`.nan`, control characters: see yamlsource)."""
    found = list(document.problems)
    if _valid(document.data, schema_name, package):
        return sorted(found)
    try:
        for err in _validator(schema_name, package).iter_errors(document.data):
            path = tuple(str(p) if not isinstance(p, int) else p for p in err.absolute_path)
            found.append(document.error(path, _message(err)))
    except RecursionError:  # yamlsource bounds nesting; this is the last line of defence
        found.append(document.error((), "nested too deeply to check against the schema"))
    return sorted(found)
