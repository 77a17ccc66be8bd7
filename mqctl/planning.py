"""Making a plan: snapshot the cluster, diff it against the specs, ask the brokers to validate.

`compute_plan` is pure (desired + live -> Plan, with the policy's safety checks);
`plan_environment` is the thin orchestration around it that talks to the cluster.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from mqctl.config import Environment
from mqctl.diagnostics import Diagnostic, error
from mqctl.diff.topics import diff_topics
from mqctl.kafka.admin import KafkaAdmin, TopicAdmin
from mqctl.live import LiveState
from mqctl.plan import Action, Change, Plan, TopicDelete
from mqctl.spec.model import DesiredState

SAFE_DELETE_MIN_EXISTING = 10  # below this many managed topics the fraction check is noise


def delete_safety(changes: Sequence[Change], managed: int, env: Environment) -> list[Diagnostic]:
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
    if managed >= SAFE_DELETE_MIN_EXISTING and len(deletes) > policy.max_delete_fraction * managed:
        problems.append(
            error(
                "mqctl.yaml",
                None,
                f"environments.{env.name}.policy.max_delete_fraction",
                f"the plan deletes {len(deletes)} of the {managed} managed topics "
                f"(more than {policy.max_delete_fraction:.0%}); are the spec files all there? "
                "If that is intended, raise policy.max_delete_fraction",
            )
        )
    return problems


def compute_plan(
    desired: DesiredState, live: LiveState, env: Environment, diagnostics: Sequence[Diagnostic] = ()
) -> Plan:
    changes, problems = diff_topics(desired.topics, live, env.prefix, env.policy.protected_topics)
    problems += delete_safety(changes, len(live.topics), env)
    return Plan.build(env.name, changes, [*diagnostics, *problems])


@dataclass
class PlanResult:
    plan: Plan
    live: LiveState
    requests: int  # admin requests the plan cost (constant in the number of topics)


def validate_with_brokers(plan: Plan, admin: TopicAdmin) -> list[Diagnostic]:
    """Ask the controller, in validate-only mode, whether each create and update would succeed,
    so a plan that passes does not fail at apply for a reason the cluster could have told us."""
    by_type: dict[type[Change], list[Change]] = defaultdict(list)
    for change in plan.changes:
        if change.action is not Action.DELETE:
            by_type[type(change)].append(change)
    problems = []
    executors = admin.executors()
    for kind, changes in by_type.items():
        for name, reason in executors[kind](changes, True).items():
            if reason:
                problems.append(
                    error("(cluster)", None, name, f"the brokers would refuse this change: {reason}")
                )
    return problems


def plan_environment(
    desired: DesiredState, env: Environment, admin: KafkaAdmin, diagnostics: Sequence[Diagnostic] = ()
) -> PlanResult:
    topics = TopicAdmin(admin)
    before = admin.requests
    live = topics.snapshot(env.prefix)
    plan = compute_plan(desired, live, env, diagnostics)
    if not plan.errors and plan.changes:
        plan = Plan.build(
            plan.environment, plan.changes, [*plan.diagnostics, *validate_with_brokers(plan, topics)]
        )
    return PlanResult(plan, live, admin.requests - before)
