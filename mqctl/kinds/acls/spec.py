"""Build the desired ACL bindings from `acls/*.yaml`: explicit bindings and role shorthands, every
rule checked and every problem collected with its file, line and key.

Topic, group and transactional-id names are written without the environment and prefixed with
`<env>.` here, so environments sharing a cluster never grant on each other's resources; the literal
wildcard `*` stays as it is.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from mqctl.connecting import ANYONE, Login, denies_mqctl, login
from mqctl.diagnostics import Diagnostic, errors_of, warning
from mqctl.kinds.acls.model import AclBinding, AclSpec
from mqctl.kinds.acls.roles import CLUSTER_NAME, OPERATIONS, ROLES, expand
from mqctl.kinds.topics.spec import kafka_name_problem
from mqctl.spec.model import Source, SpecContext
from mqctl.yamlsource import PathKey, YamlDocument, format_path

PRINCIPAL = re.compile(r"^User:\S+$")
WILDCARD = "*"
_EXPLICIT_ONLY = ("resource_type", "name", "operations", "permission")
_ROLE_ONLY = ("topics", "group", "transactional_id")


def _full_name(
    name: str, resource_type: str, pattern: str, ctx: SpecContext, doc: YamlDocument, path: PathKey
) -> tuple[str, list[Diagnostic]]:
    """`<env>.<name>`, or `*` unchanged; with the reason Kafka would refuse the name, if any. An
    empty prefixed name is the environment's own prefix: every resource of the environment."""
    if name == WILDCARD:
        if pattern == "prefixed":
            return name, [doc.error(path, "'*' is a wildcard only with pattern_type literal")]
        return name, []
    full = f"{ctx.env.name}.{name}"
    if not name:
        problem = 'an empty name means "all of this environment": it needs pattern_type: prefixed'
        return full, [] if pattern == "prefixed" else [doc.error(path, problem)]
    reason = kafka_name_problem(full) if resource_type == "topic" else None
    return full, [doc.error(path, f"{full!r}: {reason}")] if reason else []


def _common(doc: YamlDocument, path: PathKey, entry: dict[str, Any]) -> list[Diagnostic]:
    problems = []
    principal = entry["principal"]
    if not PRINCIPAL.match(principal):
        problems.append(
            doc.error(
                (*path, "principal"),
                f"{principal!r} is not a principal; write User:<name> (e.g. User:order-service)",
            )
        )
    host = entry.get("host", "*")
    if host != "*":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            problems.append(
                doc.error((*path, "host"), f"{host!r}: Kafka matches hosts by IP address only, or '*' for any")
            )
    return problems


def _role_entry(
    doc: YamlDocument, path: PathKey, entry: dict[str, Any], ctx: SpecContext
) -> tuple[list[AclBinding], list[Diagnostic]]:
    name = entry["role"]
    role = ROLES[name]
    problems = [
        doc.error((*path, key), f"{key} is for explicit bindings; a role entry grants what role {name} needs")
        for key in _EXPLICIT_ONLY
        if key in entry
    ]
    if "topics" not in entry:
        problems.append(doc.error(path, f"role {name} needs topics: (the topics it {role.description})"))
    pattern = entry.get("pattern_type", "literal")
    topics = []
    for index, topic in enumerate(entry.get("topics", [])):
        full, found = _full_name(topic, "topic", pattern, ctx, doc, (*path, "topics", index))
        topics.append(full)
        problems += found
    names: dict[str, str | None] = {}
    for key, needed in (("group", role.group), ("transactional_id", role.transactional_id)):
        if needed and key not in entry:
            problems.append(doc.error(path, f"role {name} needs {key}: (written without the environment)"))
        elif key in entry and not needed:
            problems.append(doc.error((*path, key), f"role {name} uses no {key}"))
        if key in entry:
            names[key], found = _full_name(entry[key], key, pattern, ctx, doc, (*path, key))
            problems += found
    bindings = expand(
        role,
        entry["principal"],
        topics,
        names.get("group"),
        names.get("transactional_id"),
        pattern,
        entry.get("host", "*"),
    )
    return bindings, problems


def _explicit_entry(
    doc: YamlDocument, path: PathKey, entry: dict[str, Any], ctx: SpecContext
) -> tuple[list[AclBinding], list[Diagnostic]]:
    problems = [
        doc.error((*path, key), f"{key} is only used with role:; an explicit binding names one resource")
        for key in _ROLE_ONLY
        if key in entry
    ]
    missing = [key for key in ("resource_type", "operations") if key not in entry]
    if missing:
        problems.append(doc.error(path, f"an entry needs either role: or {' and '.join(missing)}:"))
        return [], problems
    kind = entry["resource_type"]
    pattern = entry.get("pattern_type", "literal")
    if kind == "cluster":
        if entry.get("name", CLUSTER_NAME) != CLUSTER_NAME:
            problems.append(doc.error((*path, "name"), f"the cluster resource is always named {CLUSTER_NAME}"))
        if pattern != "literal":
            problems.append(doc.error((*path, "pattern_type"), "the cluster resource is always literal"))
        name = CLUSTER_NAME
    elif "name" not in entry:
        problems.append(doc.error(path, f"a {kind} binding needs name: (written without the environment)"))
        return [], problems
    else:
        name, found = _full_name(entry["name"], kind, pattern, ctx, doc, (*path, "name"))
        problems += found
    allowed = OPERATIONS[kind]
    for index, op in enumerate(entry["operations"]):
        if op not in allowed:
            problems.append(
                doc.error(
                    (*path, "operations", index),
                    f"{op} is not an operation on a {kind}; a {kind} accepts {', '.join(sorted(allowed))}",
                )
            )
    bindings = [
        AclBinding(
            entry["principal"], kind, name, pattern, op, entry.get("permission", "allow"), entry.get("host", "*")
        )
        for op in entry["operations"]
    ]
    return bindings, problems


def _reach(doc: YamlDocument, path: PathKey, bindings: list[AclBinding], who: Login) -> list[Diagnostic]:
    """Bindings that lock mqctl out (an error unless mqctl.yaml allows it: mqctl.connecting), and
    grants wider than one environment's names or one principal (warnings: sometimes meant)."""
    if all(b.permission == "allow" and b.principal != ANYONE and b.name != WILDCARD for b in bindings):
        return []  # nearly every entry: no deny, no User:*, no '*', so none of the checks below applies
    problems = []
    denied = [b for b in bindings if denies_mqctl(b.principal, b.permission, b.operation, b.resource_type, b.name, who)]
    if denied and not who.allowed:
        ops = ", ".join(sorted({b.operation for b in denied}))
        problems.append(doc.error(path, (
            f"denies {denied[0].principal} {ops} on {denied[0].resource_type}:{denied[0].name}, which takes it from "
            f"{who.principal or 'the principal'} mqctl connects to environment {who.env} as: plan and apply would "
            f"lock themselves out ({who.hint()})")))
    allowed = [b for b in bindings if b.permission == "allow"]
    if any(b.principal == ANYONE and b.operation == "ALL" for b in allowed):
        problems.append(warning(doc.file, doc.line_of(path), format_path(path),
                                "grants ALL to User:* (every user of the cluster, including any created later)"))
    wildcard = sorted({b.resource_type for b in allowed if b.name == WILDCARD and b.resource_type != "cluster"})
    if wildcard:
        problems.append(warning(doc.file, doc.line_of(path), format_path(path),
                                f"grants on every {' and every '.join(wildcard)} of the cluster ('*'), other "
                                "environments' included; a prefixed name (pattern_type: prefixed) keeps it to this "
                                "environment's"))
    return problems


def build_acls(docs: Iterable[YamlDocument], ctx: SpecContext) -> tuple[list[AclSpec], list[Diagnostic]]:
    """Every binding the specs declare, role shorthands expanded. The same binding from two role
    entries of different roles is merged (producer and consumer both need DESCRIBE); declared twice
    by explicit entries, or twice by the same role, it is an error."""
    problems: list[Diagnostic] = []
    specs: list[AclSpec] = []
    first: dict[tuple[AclBinding, str], Source] = {}
    seen: set[AclBinding] = set()
    who = login(ctx.env)
    for doc in docs:
        for index, entry in doc.items("acls"):
            path: PathKey = ("acls", index)
            build = _role_entry if "role" in entry else _explicit_entry
            bindings, found = build(doc, path, entry, ctx)
            found += _common(doc, path, entry)
            if not found:
                found += _reach(doc, path, bindings, who)
            problems += found
            if errors_of(found):
                continue
            source = Source(doc.file, doc.line_of(path))
            origin = entry.get("role", "explicit")
            for binding in bindings:
                earlier = first.setdefault((binding, origin), source)
                if earlier is not source:
                    problems.append(doc.error(path, f"{binding} is already declared at {earlier}"))
                elif binding not in seen:
                    seen.add(binding)
                    specs.append(AclSpec(binding, source))
    return specs, problems
