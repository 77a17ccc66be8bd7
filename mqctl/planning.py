"""Making a plan: snapshot the cluster, diff it against the specs, ask the brokers to validate.

`compute_plan` is pure (desired + snapshots -> Plan, with the policy's safety checks);
`plan_environment` is the thin orchestration around it that talks to the cluster.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from mqctl.config import Environment, ProjectConfig
from mqctl.diagnostics import Diagnostic, MqctlError, error, errors_of
from mqctl.kinds import Edges, Kind, all_executors, managed
from mqctl.plan import Action, Change, Plan, TopicDelete
from mqctl.spec.loader import load_specs, spec_folders
from mqctl.spec.model import DesiredState

T = TypeVar("T")

SAFE_DELETE_MIN_EXISTING = 10  # below this many managed topics the fraction check is noise


def delete_safety(changes: Sequence[Change], managed_topics: int, env: Environment) -> list[Diagnostic]:
    """Refuse plans that delete too much at once: an empty or half-loaded spec directory must
    never wipe a cluster."""
    deletes = [c for c in changes if isinstance(c, TopicDelete)]
    policy = env.policy
    problems = []
    if len(deletes) > policy.max_deletes:
        problems.append(
            error(
                "mqctl.yaml",
                None,
                f"environments.{env.name}.policy.max_deletes",
                f"the plan deletes {len(deletes)} topics; this environment allows at most "
                f"{policy.max_deletes} per run. If that is intended, raise policy.max_deletes",
            )
        )
    if (
        managed_topics >= SAFE_DELETE_MIN_EXISTING
        and len(deletes) > policy.max_delete_fraction * managed_topics
    ):
        problems.append(
            error(
                "mqctl.yaml",
                None,
                f"environments.{env.name}.policy.max_delete_fraction",
                f"the plan deletes {len(deletes)} of the {managed_topics} managed topics "
                f"(more than {policy.max_delete_fraction:.0%}); are the spec files all there? "
                "If that is intended, raise policy.max_delete_fraction",
            )
        )
    return problems


def compute_plan(
    desired: DesiredState,
    snapshots: Mapping[str, Any],
    env: Environment,
    kinds: Sequence[Kind],
    diagnostics: Sequence[Diagnostic] = (),
) -> Plan:
    """Pure: diff every managed kind against its snapshot, then apply the policy's safety checks."""
    changes: list[Change] = []
    problems: list[Diagnostic] = list(diagnostics)
    for kind in kinds:
        found, kind_problems = kind.diff(desired, snapshots[kind.name], env)
        changes += found
        problems += kind_problems
    if "topics" in snapshots:
        problems += delete_safety(changes, len(snapshots["topics"].topics), env)
    return Plan.build(env.name, changes, problems)


@dataclass
class PlanResult:
    plan: Plan
    snapshots: dict[str, Any]
    kinds: list[Kind]
    requests: int  # admin requests the plan cost (constant in the number of resources)


def validate_with_cluster(plan: Plan, edges: Edges, kinds: Sequence[Kind]) -> list[Diagnostic]:
    """Dry-run every create and update (validate-only), so a plan that passes does not fail at
    apply for a reason the cluster could have told us."""
    by_type: dict[type[Change], list[Change]] = defaultdict(list)
    for change in plan.changes:
        if change.action is not Action.DELETE:
            by_type[type(change)].append(change)
    executors = all_executors(edges, kinds)
    problems = []
    for kind, changes in by_type.items():
        for name, reason in executors[kind](changes, True).items():
            if reason:
                problems.append(
                    error("(cluster)", None, name, f"the cluster would refuse this change: {reason}")
                )
    return problems


class _Background(Generic[T]):
    """One call on a daemon thread. Daemon, so that a cluster that does not answer never holds up
    reporting spec errors, nor the exit of the process."""

    def __init__(self, call: Callable[[], T]) -> None:
        self._result: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], T]) -> None:
        try:
            self._result = call()
        except BaseException as exc:  # re-raised in the caller's thread by result()
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return cast(T, self._result)


def _snapshots(edges: Edges, kinds: Sequence[Kind]) -> dict[str, Any]:
    return {kind.name: kind.snapshot(edges) for kind in kinds}


def plan_project(config: ProjectConfig, edges: Edges) -> tuple[PlanResult, DesiredState]:
    """Read the cluster while the specs are parsed: the snapshot is mostly waiting on the brokers,
    spec parsing is CPU, so the two overlap (about 1 s saved on 10,000 topics). Spec errors are
    raised first, whatever the cluster does."""
    kinds = managed(spec_folders(config.root))
    before = edges.requests
    reading = _Background(lambda: _snapshots(edges, kinds))
    desired, diagnostics = load_specs(config)
    if errors_of(diagnostics):
        raise MqctlError(f"the specs for environment {config.environment.name} have errors", diagnostics)
    return _finish(desired, edges, kinds, reading.result(), diagnostics, before), desired


def plan_environment(
    desired: DesiredState, edges: Edges, diagnostics: Sequence[Diagnostic] = ()
) -> PlanResult:
    kinds = managed(desired.folders)
    before = edges.requests
    return _finish(desired, edges, kinds, _snapshots(edges, kinds), diagnostics, before)


def _finish(
    desired: DesiredState,
    edges: Edges,
    kinds: Sequence[Kind],
    snapshots: dict[str, Any],
    diagnostics: Sequence[Diagnostic],
    before: int,
) -> PlanResult:
    """Diff, then dry-run what the diff wants on the cluster."""
    plan = compute_plan(desired, snapshots, edges.env, kinds, diagnostics)
    if not plan.errors and plan.changes:
        checked = validate_with_cluster(plan, edges, kinds)
        plan = Plan.build(plan.environment, plan.changes, [*plan.diagnostics, *checked])
    return PlanResult(plan, snapshots, list(kinds), edges.requests - before)
