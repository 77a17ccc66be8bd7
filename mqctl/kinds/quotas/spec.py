"""Client quota specs: building them from `quotas/*.yaml` with every rule checked and all problems
collected.

Names follow the other kinds: a user is written as in users/ (SCRAM users are not prefixed with
the environment), a client id without the environment (the quota is on `<env>.<client_id>`, like
group ids in acls/), an IP as an address. `default` names the `<default>` entity of its type.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Iterable
from typing import Any

from mqctl.diagnostics import Diagnostic
from mqctl.kinds.quotas.model import (
    BYTE_KEYS,
    CLIENT_ID,
    IP,
    IP_KEYS,
    MAX_EXACT,
    MAX_INT,
    USER,
    USER_CLIENT_KEYS,
    WHOLE_KEYS,
    QuotaEntity,
    QuotaSpec,
)
from mqctl.spec.model import Source, SpecContext
from mqctl.spec.units import parse_size_bytes
from mqctl.yamlsource import PathKey, YamlDocument

DEFAULT_WORD = "default"  # what a spec writes for the <default> entity of a type
SPEC_ENTITY = (("user", USER), ("client_id", CLIENT_ID), ("ip", IP))  # spec key -> Kafka entity type
USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")  # users.schema.json's name pattern
CLIENT_ID_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _name(kind: str, text: str, ctx: SpecContext) -> tuple[str | None, str | None]:
    """(the entity name, None), or (None, why the text cannot name an entity of `kind`)."""
    if kind == USER:
        if USER_NAME.match(text):
            return text, None
        return None, f"{text!r} is not a user name (letters, digits and . _ @ -, as in users/)"
    if kind == CLIENT_ID:
        if CLIENT_ID_NAME.match(text):
            return f"{ctx.env.prefix}{text}", None
        return None, f"{text!r} is not a client id mqctl accepts (letters, digits and . _ -)"
    address = _ip(text)
    if address is None:
        return None, f"{text!r} is not an IP address; Kafka's IP quotas take one address each (no ranges or host names)"
    return address, None


def _entity(doc: YamlDocument, path: PathKey, entry: dict[str, Any], ctx: SpecContext) -> tuple[
    QuotaEntity | None, list[Diagnostic]
]:
    written = [(key, kind) for key, kind in SPEC_ENTITY if key in entry]
    if not written:
        return None, [doc.error(path, "a quota needs an entity: user:, client_id:, both, or ip: (`default` for "
                                      "the <default> entity of that type)")]
    if "ip" in entry and len(written) > 1:
        return None, [doc.error((*path, "ip"), "an ip quota stands alone: Kafka does not combine ip with user or "
                                               "client_id")]
    parts: dict[str, str | None] = {}
    problems = []
    for key, kind in written:
        text = str(entry[key])
        if text == DEFAULT_WORD:
            parts[kind] = None
            continue
        name, reason = _name(kind, text, ctx)
        if reason is not None:
            problems.append(doc.error((*path, key), reason))
        parts[kind] = name
    return (None if problems else QuotaEntity.of(parts)), problems


def _value(key: str, raw: object) -> tuple[float | None, str | None]:
    """(the value Kafka stores, None), or (None, why `raw` is not a value of `key`)."""
    if isinstance(raw, str):
        size = parse_size_bytes(raw) if key in BYTE_KEYS else None
        if size is None:
            shape = "a whole number of bytes or a size like 10MiB" if key in BYTE_KEYS else "a number"
            return None, f"{raw!r} is not a rate: write {shape} (per second)"
        raw = size
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None, f"{raw!r} is not a number"
    value = float(raw)
    if not math.isfinite(value) or value <= 0:
        return None, f"{raw} is not a rate: quotas are greater than 0 (remove the key to lift the quota)"
    if key in WHOLE_KEYS and not value.is_integer():
        return None, f"{raw}: {key} is a whole number"
    limit = MAX_INT if key == "connection_creation_rate" else MAX_EXACT
    if value > limit:
        return None, f"{raw}: {key} is at most {limit:,}"
    return value, None


def _build(doc: YamlDocument, index: int, entry: dict[str, Any], ctx: SpecContext) -> tuple[
    QuotaSpec | None, list[Diagnostic]
]:
    path: PathKey = ("quotas", index)
    entity, problems = _entity(doc, path, entry, ctx)
    allowed = IP_KEYS if "ip" in entry else USER_CLIENT_KEYS
    values: dict[str, float] = {}
    lines: dict[str, int | None] = {}
    for key in (*USER_CLIENT_KEYS, *IP_KEYS):
        if key not in entry:
            continue
        if key not in allowed:
            target = "an ip entity" if "ip" in entry else "a user or client_id entity"
            problems.append(doc.error((*path, key), f"{key} is not a quota of {target}; it takes "
                                                   f"{', '.join(allowed)}"))
            continue
        value, reason = _value(key, entry[key])
        if reason is not None:
            problems.append(doc.error((*path, key), reason))
        elif value is not None:
            values[key] = value
            lines[key] = doc.line_of((*path, key))
    if not values and not problems:
        problems.append(doc.error(path, f"declares no quota; give at least one of {', '.join(allowed)}"))
    if entity is None or problems:
        return None, problems
    return QuotaSpec(entity, values, Source(doc.file, doc.line_of(path)), lines), problems


def build_quotas(docs: Iterable[YamlDocument], ctx: SpecContext) -> tuple[list[QuotaSpec], list[Diagnostic]]:
    """Every declared quota, each entity once."""
    problems: list[Diagnostic] = []
    specs: dict[QuotaEntity, QuotaSpec] = {}
    for doc in docs:
        for index, entry in doc.items("quotas"):
            spec, found = _build(doc, index, entry, ctx)
            problems += found
            if spec is None:
                continue
            first = specs.get(spec.entity)
            if first is not None:
                problems.append(doc.error(("quotas", index), f"the quota of {spec.entity} is declared twice; "
                                                             f"first at {first.source}"))
                continue
            specs[spec.entity] = spec
    return list(specs.values()), problems
