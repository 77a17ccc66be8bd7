"""Policy files: `policies/*.yaml` read, schema-checked and turned into Policy values, every problem
collected with its file, line and key."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from mqctl import schema_check
from mqctl.config import unknown_environments
from mqctl.diagnostics import Diagnostic, Severity
from mqctl.policies import FOLDER
from mqctl.spec.loader import spec_files
from mqctl.yamlsource import PathKey, YamlDocument, format_path, load_yaml_file

SCHEMA = "policies"  # policies.schema.json, next to mqctl.yaml's
FORBID = "forbid_changes"  # the one rule type checked on planned changes instead of resources
REQUIRES = "requires"
_ITEM = re.compile(r"^policies\[(\d+)\]")


@dataclass(frozen=True)
class Policy:
    """One policy entry: which resources it looks at, and the rule or CEL expression they must pass."""

    name: str
    kind: str
    file: str
    line: int | None
    path: PathKey  # `("policies", 3)`
    environments: tuple[str, ...] | None  # None: every environment
    match: tuple[str, ...]
    exclude: tuple[str, ...]
    severity: Severity
    message: str | None
    rule: str | None  # a built-in rule type (`min_partitions`), or None for CEL
    params: Any  # the rule's parameters
    cel: str | None

    @property
    def where(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def applies_to(self, env: str) -> bool:
        return self.environments is None or env in self.environments

    def selects(self, name: str) -> bool:
        """Whether the resource named `name` (without the environment) is in the policy's scope."""
        included = not self.match or any(fnmatchcase(name, glob) for glob in self.match)
        return included and not any(fnmatchcase(name, glob) for glob in self.exclude)


@dataclass(frozen=True)
class PolicySet:
    policies: tuple[Policy, ...] = ()

    def active(self, env: str) -> list[Policy]:
        return [p for p in self.policies if p.applies_to(env)]

    @property
    def expressions(self) -> list[Policy]:
        return [p for p in self.policies if p.cel is not None]


def _globs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def _check_rule(doc: YamlDocument, path: PathKey, rule: str, params: Any, kinds: Sequence[str]) -> list[Diagnostic]:
    """What the JSON Schema cannot say about a rule's parameters."""
    if rule == REQUIRES and params["kind"] not in kinds:
        at = (*path, "rule", rule, "kind")
        return [doc.error(at, f"no kind is named {params['kind']!r} (kinds: {', '.join(kinds)})")]
    return []


def _policy(doc: YamlDocument, index: int, entry: Mapping[str, Any], kinds: Sequence[str],
            environments: tuple[str, ...]) -> tuple[Policy | None, list[Diagnostic]]:
    path: PathKey = ("policies", index)
    problems = []
    if entry["kind"] not in kinds:
        problems.append(doc.error((*path, "kind"), f"no kind is named {entry['kind']!r} (kinds: {', '.join(kinds)})"))
    envs = entry.get("environments")
    if envs is not None and environments:
        for i, name in enumerate(envs):
            problems += [doc.error((*path, "environments", i), p) for p in unknown_environments([name], environments)]
    rule, params = next(iter(entry["rule"].items())) if "rule" in entry else (None, None)
    if rule is not None:
        problems += _check_rule(doc, path, rule, params, kinds)
    policy = Policy(
        name=entry["name"],
        kind=entry["kind"],
        file=doc.file,
        line=doc.line_of(path),
        path=path,
        environments=tuple(envs) if envs is not None else None,
        match=_globs(entry.get("match")),
        exclude=_globs(entry.get("exclude")),
        severity=Severity(entry.get("severity", "error")),
        message=entry.get("message"),
        rule=rule,
        params=params,
        cel=entry.get("cel"),
    )
    return (None if problems else policy), problems


def load_policies(
    root: Path, kinds: Sequence[str], environments: tuple[str, ...] = ()
) -> tuple[PolicySet, list[Diagnostic]]:
    """Every policy under `root/policies/`; a folder that does not exist means no policies."""
    problems: list[Diagnostic] = []
    found: list[Policy] = []
    first: dict[str, str] = {}  # policy name -> where it is declared
    for file in spec_files(root, FOLDER, problems):
        doc = load_yaml_file(file, str(file.relative_to(root)))
        if isinstance(doc, Diagnostic):
            problems.append(doc)
            continue
        if doc.data is None:
            continue
        schema_problems = schema_check.check(doc, SCHEMA)
        problems += schema_problems
        bad_items = {_ITEM.match(p.key) for p in schema_problems}
        if None in bad_items:  # not inside one policy: the file as a whole is wrong
            continue
        skip = {int(m.group(1)) for m in bad_items if m is not None}
        for index, entry in enumerate(doc.data["policies"]):
            if index in skip:
                continue
            path = ("policies", index)
            where = f"{doc.file}:{doc.line_of(path)}"
            earlier = first.setdefault(entry["name"], where)
            if earlier != where:
                problems.append(doc.error((*path, "name"), f"policy {entry['name']!r} is declared twice; first at "
                                                           f"{earlier}"))
                continue
            policy, entry_problems = _policy(doc, index, entry, kinds, environments)
            problems += entry_problems
            if policy is not None:
                found.append(policy)
    return PolicySet(tuple(found)), sorted(problems)


def key_of(policy: Policy, *rest: str | int) -> str:
    return format_path((*policy.path, *rest))
