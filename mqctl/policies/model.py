"""Policy files: `policies/*.yaml` read, schema-checked and turned into Policy values, every problem
collected with its file, line and key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from mqctl import schema_check
from mqctl.config import unknown_environments
from mqctl.diagnostics import Diagnostic, Severity
from mqctl.spec.loader import spec_files
from mqctl.spec.units import parse_duration_ms
from mqctl.yamlsource import PathKey, YamlDocument, format_path, load_yaml_file

FOLDER = "policies"
FORBID = "forbid_changes"  # the one rule type checked on planned changes instead of resources
REQUIRES = "requires"


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


def _check_rule(doc: YamlDocument, path: PathKey, rule: str, params: Any, kinds: Iterable[str]) -> list[Diagnostic]:
    """What the JSON Schema cannot say about a rule's parameters."""
    at = (*path, "rule", rule)
    problems = []
    if rule == "retention":
        for bound in ("min", "max"):
            value = params.get(bound)
            if isinstance(value, str) and value != "infinite" and parse_duration_ms(value) is None:
                problems.append(doc.error((*at, bound), f"{value!r} is not a duration (7d, 12h, 30m)"))
    if rule == REQUIRES and params["kind"] not in kinds:
        problems.append(doc.error((*at, "kind"), f"no kind is named {params['kind']!r} (kinds: {', '.join(kinds)})"))
    return problems


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
    first: dict[str, Policy] = {}
    for file in spec_files(root, FOLDER):
        doc = load_yaml_file(file, str(file.relative_to(root)))
        if isinstance(doc, Diagnostic):
            problems.append(doc)
            continue
        if doc.data is None:
            continue
        schema_problems = schema_check.check(doc, "policies")
        if schema_problems:
            problems += schema_problems
            continue
        for index, entry in enumerate(doc.data["policies"]):
            policy, entry_problems = _policy(doc, index, entry, kinds, environments)
            problems += entry_problems
            if policy is None:
                continue
            earlier = first.setdefault(policy.name, policy)
            if earlier is not policy:
                problems.append(doc.error((*policy.path, "name"),
                                          f"policy {policy.name!r} is declared twice; first at {earlier.where}"))
                continue
            found.append(policy)
    return PolicySet(tuple(found)), problems


def key_of(policy: Policy, *rest: str | int) -> str:
    return format_path((*policy.path, *rest))
