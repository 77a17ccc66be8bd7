"""Checking policies: over the declared resources (validate and plan), and over planned changes
(`forbid_changes`, at plan). Every violation is a Diagnostic at the resource's file and line, naming
the policy, the resource and the policy's message, with the policy's severity."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from mqctl.config import ProjectConfig
from mqctl.diagnostics import Diagnostic, error
from mqctl.kind import DesiredState, Kind, ResourceView
from mqctl.plan import Action, Change
from mqctl.policies import cel
from mqctl.policies.model import FORBID, REQUIRES, Policy, PolicySet, key_of, load_policies
from mqctl.policies.rules import FIELD_OF, RULES, Unreadable

AnyKind = Kind[Any, Any]


@dataclass(frozen=True)
class Violation:
    policy: Policy
    view: ResourceView | None  # None: a change to a resource the specs no longer declare
    resource: str  # `topic order.created.v1`
    detail: str  # what the rule found

    def diagnostic(self) -> Diagnostic:
        policy, view = self.policy, self.view
        source = view.source if view is not None else None
        file, line = (source.file, source.line) if source is not None else (policy.file, policy.line)
        detail = f"{policy.message} ({self.detail})" if policy.message else self.detail
        message = f"policy {policy.name} ({policy.where}): {self.resource}: {detail}"
        key = FIELD_OF.get(policy.rule or "", "") if view is not None else key_of(policy)
        return Diagnostic(file, line, key, message, policy.severity)


def _policy_error(policy: Policy, message: str, *key: str | int) -> Diagnostic:
    return error(policy.file, policy.line, key_of(policy, *key), f"policy {policy.name}: {message}")


def _views(desired: DesiredState, kinds: Sequence[AnyKind], needed: set[str]) -> dict[str, list[ResourceView]]:
    return {kind.name: desired.views(kind) for kind in kinds if kind.name in needed}


def _resource(view: ResourceView) -> str:
    return f"{view.kind} {view.name}"


def _rule_violations(
    policy: Policy, views: list[ResourceView], index: Mapping[str, Mapping[str, ResourceView]],
    managed: frozenset[str],
) -> list[Diagnostic]:
    assert policy.rule is not None
    if policy.rule == REQUIRES and policy.params["kind"] not in managed:
        other = policy.params["kind"]
        return [_policy_error(policy, f"requires {other} resources, but this project has no {other}/ folder",
                              "rule", REQUIRES, "kind")]
    check = RULES[policy.rule]
    found = []
    for view in views:
        try:
            detail = check(view, policy.params, index)
        except Unreadable as missing:
            return [_policy_error(policy, f"rule {policy.rule} reads {missing.field}, which {policy.kind} "
                                          "resources do not have", "rule")]
        if detail is not None:
            found.append(Violation(policy, view, _resource(view), detail).diagnostic())
    return found


def _cel_violations(
    policies: Sequence[Policy], targets: Sequence[list[ResourceView]], every: Sequence[Policy], env: str,
    evaluator: cel.Evaluator | None,
) -> list[Diagnostic]:
    """Compile every CEL policy (so validate reports a bad expression in any environment) and evaluate
    the active ones on their resources, in the run's bounded child process."""
    if not every:
        return []
    if evaluator is None:
        raise ValueError("CEL policies need the run's evaluator (PolicyCheck starts it)")
    expressions = [p.cel or "" for p in every]
    resources: list[Mapping[str, Any]] = []
    checks = []
    for policy, views in zip(policies, targets, strict=True):
        start = len(resources)
        resources += [dict(v.data) for v in views]
        checks.append((every.index(policy), list(range(start, len(resources)))))
    outcome = evaluator.evaluate(cel.CelJob(expressions, checks, resources, env))
    problems = [
        _policy_error(policy, f"the CEL expression does not compile: {reason}", "cel")
        for policy, reason in zip(every, outcome.compile_errors, strict=False)
        if reason
    ]
    if outcome.failure is not None:
        running = policies[outcome.failed_check] if outcome.failed_check is not None else None
        reason = f"CEL evaluation {outcome.failure}; nothing was decided, so this run fails"
        if running is None:
            return [*problems, error("policies/", None, "", reason)]
        return [*problems, _policy_error(running, f"{reason}. Simplify the expression", "cel")]
    broken = {p.name for p, reason in zip(every, outcome.compile_errors, strict=False) if reason}
    for policy, views, results in zip(policies, targets, outcome.results, strict=True):
        if policy.name in broken:
            continue
        for view, result in zip(views, results, strict=True):
            if result is True:
                continue
            detail = f"could not be evaluated ({result.removeprefix('error: ')})" if isinstance(result, str) \
                else f"the CEL rule is false: {policy.cel}"
            problems.append(Violation(policy, view, _resource(view), detail).diagnostic())
    return problems


def check_resources(
    policies: PolicySet, desired: DesiredState, kinds: Sequence[AnyKind], evaluator: cel.Evaluator | None
) -> list[Diagnostic]:
    """Every rule and CEL policy of `desired.env` over the declared resources in its scope (CEL in
    `evaluator`, which PolicyCheck starts when the project has CEL policies)."""
    active = policies.active(desired.env)
    needed = {p.kind for p in active} | {p.params["kind"] for p in active if p.rule == REQUIRES}
    views = _views(desired, kinds, needed)
    index = {kind: {v.name: v for v in found} for kind, found in views.items()}
    problems: list[Diagnostic] = []
    cel_policies: list[Policy] = []
    cel_targets: list[list[ResourceView]] = []
    for policy in active:
        if policy.rule == FORBID:
            continue
        selected = [v for v in views.get(policy.kind, []) if policy.selects(v.name)]
        if policy.cel is not None:
            cel_policies.append(policy)
            cel_targets.append(selected)
        else:
            problems += _rule_violations(policy, selected, index, desired.folders)
    return problems + _cel_violations(cel_policies, cel_targets, policies.expressions, desired.env, evaluator)


def allow_hint(change_class: str) -> str:
    return "--allow-delete" if change_class == str(Action.DELETE) else f"--allow {change_class}"


def check_changes(
    policies: PolicySet, changes: Iterable[Change], desired: DesiredState, kinds: Sequence[AnyKind],
    allowed: frozenset[str],
) -> list[Diagnostic]:
    """`forbid_changes`: a planned change of a forbidden class is an error unless `--allow CLASS`."""
    forbidding = [p for p in policies.active(desired.env) if p.rule == FORBID]
    if not forbidding:
        return []
    changes = list(changes)
    needed = {c.kind for c in changes} & {p.kind for p in forbidding}
    by_address = {(v.kind, v.address): v for found in _views(desired, kinds, needed).values() for v in found}
    prefix = f"{desired.env}."
    problems = []
    for change in changes:
        view = by_address.get((change.kind, change.name))
        name = view.name if view is not None else change.name.removeprefix(prefix)
        for policy in forbidding:
            if policy.kind != change.kind or not policy.selects(name):
                continue
            for found in sorted((change.classes & set(policy.params)) - allowed):
                detail = (f"{found} is forbidden in {desired.env} ({change.action} of {change.resource_type} "
                          f"{change.name}); pass {allow_hint(found)} to plan and apply it anyway")
                problems.append(Violation(policy, view, f"{change.resource_type} {name}", detail).diagnostic())
    return problems



class PolicyCheck(AbstractContextManager["PolicyCheck"]):
    """A run's policies: loaded, and the CEL evaluator started when any policy has an expression,
    before the run parses its specs (mqctl.policies.cel says why); `check` then takes each
    environment's declared resources. Close it (a context manager) to stop the evaluator."""

    def __init__(self, config: ProjectConfig, kinds: Sequence[AnyKind]) -> None:
        self.kinds = kinds
        self.policies, self.problems = load_policies(config.root, [kind.name for kind in kinds], config.environments)
        self._evaluator = cel.Evaluator() if self.policies.expressions else None

    def check(self, desired: DesiredState) -> list[Diagnostic]:
        """The problems of the policy files, and of `desired` under them."""
        return self.problems + check_resources(self.policies, desired, self.kinds, self._evaluator)

    def close(self) -> None:
        if self._evaluator is not None:
            self._evaluator.close()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
