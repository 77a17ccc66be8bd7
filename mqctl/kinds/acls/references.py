"""ACLs against the other kinds' specs: a grant on a topic no spec declares."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from mqctl.diagnostics import Diagnostic, warning
from mqctl.kinds.acls.model import AclSpec
from mqctl.kinds.topics.spec import TopicSpec

WILDCARD = "*"


def undeclared_acl_topics(acls: Sequence[AclSpec], topics: Sequence[TopicSpec], env: str) -> list[Diagnostic]:
    """An ACL on a topic no spec declares is most likely a typo: it grants on nothing, and the
    service fails at run time with an authorization error. A warning, not an error, since the
    topic may be managed elsewhere."""
    prefix = f"{env}."
    declared = sorted(prefix + topic.name for topic in topics)
    warned: set[tuple[object, ...]] = set()
    problems = []
    for acl in acls:
        binding = acl.binding
        if binding.resource_type != "topic" or binding.name == WILDCARD:
            continue
        key = (acl.source, binding.name, binding.pattern_type)
        if key in warned or _covers(declared, binding.name, binding.pattern_type == "prefixed"):
            continue
        warned.add(key)
        name = binding.name.removeprefix(prefix)
        what = f"topics starting with {name!r}" if binding.pattern_type == "prefixed" else f"topic {name!r}"
        if not name:
            what = "every topic of the environment"
        problems.append(
            warning(
                acl.source.file,
                acl.source.line,
                "acls",
                f"{binding.principal} is granted access to {what}, but no spec in topics/ declares "
                "one (a typo, or a topic managed elsewhere?)",
            )
        )
    return problems


def _covers(declared: list[str], name: str, prefixed: bool) -> bool:
    """Whether sorted `declared` holds `name`, or with `prefixed` a name starting with it."""
    at = bisect_left(declared, name)
    return at < len(declared) and (declared[at].startswith(name) if prefixed else declared[at] == name)
