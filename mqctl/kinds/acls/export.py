"""ACLs -> acls/acls.yaml, in the environment's scope exactly as the plan computes it
(mqctl.kinds.acls.diff.in_scope): bindings on names under `<env>.`, plus every cluster or `*`
binding of a principal the export declares. The users declared are the live users the environment
owns (`policy.managed_users`) or grants to; declaring one puts its cluster and `*` bindings in
scope, so the users kind's exporter (users/users.yaml) takes its users from the same `scope`.

Bindings are folded into a role entry only where the role's bindings are all there (then the role
expands to exactly them); everything else is an explicit binding. A binding no spec entry can
declare exactly (a prefix grant on `<env>.` itself, a non-User principal) is left
out with a note: a plan from the export will show it as a delete.
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from mqctl.exporting import Export, ExportContext, document
from mqctl.kinds.acls.diff import NAMESPACED, in_scope
from mqctl.kinds.acls.live import LiveAcls
from mqctl.kinds.acls.model import AclBinding
from mqctl.kinds.acls.roles import CLUSTER_NAME, OPERATIONS, ROLES, expand
from mqctl.kinds.acls.spec import PRINCIPAL, WILDCARD
from mqctl.kinds.topics.spec import kafka_name_problem
from mqctl.kinds.users.changes import LiveUsers

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")  # users.schema.json's name pattern
ROLE_ORDER = ("transactional-producer", "consumer", "producer")  # the role that grants more first
_EXTRAS = ("group", "transactional_id")  # what a role needs besides topics: one name each


def spec_name(binding: AclBinding, prefix: str) -> tuple[str | None, str | None]:
    """(the name an acls/ entry writes, None), or (None, why no entry can declare the binding)."""
    if not PRINCIPAL.match(binding.principal):
        return None, f"principal {binding.principal!r} is not User:<name>"
    if binding.operation not in OPERATIONS[binding.resource_type]:
        return None, f"{binding.operation} is not an operation acls/ accepts on a {binding.resource_type}"
    if binding.host != "*":
        try:
            ipaddress.ip_address(binding.host)
        except ValueError:
            return None, f"host {binding.host!r} is not an IP address"
    if binding.resource_type not in NAMESPACED:
        return (CLUSTER_NAME, None) if binding.pattern_type == "literal" else (None, "a prefixed cluster binding")
    if binding.name == WILDCARD and binding.pattern_type == "literal":
        return WILDCARD, None
    if not binding.name.startswith(prefix):
        return None, f"its name is not under {prefix}"
    short = binding.name[len(prefix) :]
    if short == "" and binding.pattern_type == "prefixed":
        return short, None  # every resource of the environment
    if short in ("", WILDCARD):
        return None, f"acls/ cannot name {binding.name!r} (an empty name or '*' means something else there)"
    if binding.resource_type == "topic" and (reason := kafka_name_problem(binding.name)):
        return None, reason
    return short, None


@dataclass
class Scope:
    """What the environment owns, as the export declares it, and what each kind has to say."""

    bindings: dict[AclBinding, str] = field(default_factory=dict)  # exported binding -> its spec name
    users: dict[str, Mapping[str, int]] = field(default_factory=dict)  # user -> mechanism -> iterations
    acl_report: Export = field(default_factory=lambda: Export([], [], []))  # what each kind tells
    user_report: Export = field(default_factory=lambda: Export([], [], []))


def _users(live: LiveUsers, principals: set[str], ctx: ExportContext, found: Scope) -> None:
    """Live users the environment owns or grants to; never the user mqctl connects as (mqctl.yaml
    holds its credentials)."""
    env, report = ctx.env, found.user_report
    for name, mechanisms in sorted(live.items()):
        managed = any(fnmatchcase(name, glob) for glob in env.policy.managed_users)
        if not managed and f"User:{name}" not in principals:
            continue
        if not ctx.select(name):
            report.left_out.append(f"user {name}")
        elif name == env.security.username:
            report.notes.append(f"user {name} is the user mqctl connects as; its credentials stay in mqctl.yaml")
        elif not USER_NAME.match(name) or not mechanisms:
            why = "a name users/ cannot hold" if mechanisms else "no SCRAM-SHA-256/512 credential"
            report.notes.append(f"user {name} is not exported: {why}")
        else:
            found.users[name] = mechanisms


def scope(acls: LiveAcls, users: LiveUsers, ctx: ExportContext) -> Scope:
    prefix = ctx.env.prefix
    found = Scope()
    named = {b: spec_name(b, prefix) for b in acls.bindings}
    own = (b for b in acls.bindings if in_scope(b, prefix, frozenset()))
    principals = {b.principal for b in own if named[b][0] is not None and ctx.select(str(named[b][0]))}
    _users(users, principals, ctx, found)
    declared = frozenset(principals | {f"User:{name}" for name in found.users})
    for binding in sorted(b for b in acls.bindings if in_scope(b, prefix, declared)):
        name, why = named[binding]
        if name is None:
            found.acl_report.notes.append(f"{binding} is in this environment's scope but not exported ({why}); "
                                    "a plan deletes it")
        elif not ctx.select(name):
            found.acl_report.left_out.append(str(binding))
        else:
            found.bindings[binding] = name
    return found


def _with_options(entry: dict[str, Any], binding: AclBinding) -> dict[str, Any]:
    if binding.pattern_type != "literal":
        entry["pattern_type"] = binding.pattern_type
    if binding.permission != "allow":
        entry["permission"] = binding.permission
    if binding.host != "*":
        entry["host"] = binding.host
    return entry


def _having(ops: Mapping[tuple[str, str], set[str]], kind: str, needed: Iterable[str]) -> list[str]:
    """Spec names of the `kind` resources granted every operation in `needed`."""
    return sorted(name for (t, name), have in ops.items() if t == kind and set(needed) <= have)


def _fold(bindings: Mapping[AclBinding, str], covered: set[AclBinding]) -> list[dict[str, Any]]:
    """Role entries for the allow bindings of one principal, pattern type and host: a role is
    written where every binding it expands to is there and it adds one not yet covered, with
    exactly one group / transactional id where it needs one."""
    first = next(iter(bindings))
    ops: dict[tuple[str, str], set[str]] = defaultdict(set)
    full: dict[tuple[str, str], str] = {}
    for b, name in bindings.items():
        ops[(b.resource_type, name)].add(b.operation)
        full[(b.resource_type, name)] = b.name
    entries = []
    for role_name in ROLE_ORDER:
        role = ROLES[role_name]
        extras = {key: _having(ops, key, getattr(role, key)) for key in _EXTRAS if getattr(role, key)}
        topics = _having(ops, "topic", role.topic)
        if not topics or any(len(names) != 1 for names in extras.values()):
            continue
        names = {key: found[0] for key, found in extras.items()}
        extra_full = {key: full[(key, name)] for key, name in names.items()}
        grants = expand(
            role,
            first.principal,
            [full[("topic", t)] for t in topics],
            extra_full.get("group"),
            extra_full.get("transactional_id"),
            first.pattern_type,
            first.host,
        )
        if set(grants) <= covered:
            continue
        covered.update(grants)
        entry = {"principal": first.principal, "role": role_name, "topics": topics, **names}
        entries.append(_with_options(entry, first))
    return entries


def acl_entries(bindings: Mapping[AclBinding, str]) -> list[dict[str, Any]]:
    """Role entries where exact, then one explicit entry per resource for what is left."""
    folds: dict[tuple[str, str, str], dict[AclBinding, str]] = defaultdict(dict)
    for b, name in sorted(bindings.items()):
        if b.permission == "allow":
            folds[(b.principal, b.pattern_type, b.host)][b] = name
    covered: set[AclBinding] = set()
    entries = [e for group in folds.values() for e in _fold(group, covered)]
    explicit: dict[tuple[str, str, str, str, str, str], list[AclBinding]] = defaultdict(list)
    for b, name in sorted(bindings.items()):
        if b not in covered:
            explicit[(b.principal, b.resource_type, name, b.pattern_type, b.permission, b.host)].append(b)
    for (principal, kind, name, *_), same in explicit.items():
        entry: dict[str, Any] = {"principal": principal, "resource_type": kind}
        if kind != "cluster":
            entry["name"] = name
        entry["operations"] = sorted(b.operation for b in same)
        entries.append(_with_options(entry, same[0]))
    return sorted(entries, key=lambda e: (e["principal"], "role" not in e))


def export_acls(acls: LiveAcls, users: LiveUsers, ctx: ExportContext) -> Export:
    found = scope(acls, users, ctx)
    report = found.acl_report
    if not acls.authorizer:
        report.notes.append("the cluster has no authorizer: it holds no ACLs to export")
    if found.bindings:
        body = {"acls": acl_entries(found.bindings)}
        report.files.append(document("acls/acls.yaml", "acls", ctx.env.name, body))
    return report
