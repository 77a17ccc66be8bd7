"""Making a plan: snapshot the cluster, diff it against the specs, ask the brokers to validate.

`compute_plan` is pure (desired + snapshots -> Plan, with the policy's safety checks);
`plan_environment` is the thin orchestration around it that talks to the cluster.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mqctl.config import Environment
from mqctl.diagnostics import Diagnostic, error
from mqctl.kinds import Edges, Kind, all_executors, managed
from mqctl.plan import Action, Change, Plan, TopicDelete
from mqctl.spec.model import DesiredState

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


def plan_environment(
    desired: DesiredState, edges: Edges, diagnostics: Sequence[Diagnostic] = ()
) -> PlanResult:
    kinds = managed(desired)
    before = edges.requests
    snapshots = {kind.name: kind.snapshot(edges) for kind in kinds}
    plan = compute_plan(desired, snapshots, edges.env, kinds, diagnostics)
    if not plan.errors and plan.changes:
        checked = validate_with_cluster(plan, edges, kinds)
        plan = Plan.build(plan.environment, plan.changes, [*plan.diagnostics, *checked])
    return PlanResult(plan, snapshots, kinds, edges.requests - before)
