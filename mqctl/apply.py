"""Executing a plan: in dependency order, batched per change type, every outcome recorded.

A partial failure never stops independent work; the report says exactly what was and was not
done, and since plans are computed from live state, re-running apply converges.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from mqctl.plan import Action, Change, Plan

Results = dict[str, str | None]  # what an executor reports: change name -> None when done, else why not
Executor = Callable[[Sequence[Any], bool], Results]


@dataclass(frozen=True)
class Outcome:
    change: Change
    error: str | None = None  # None: done

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ApplyReport:
    done: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    skipped: list[tuple[Change, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def held_back(plan: Plan, allow_delete: bool) -> dict[str, str]:
    """Changes (by key) the plan shows but apply leaves alone without an explicit flag."""
    if allow_delete:
        return {}
    return {c.key: "needs --allow-delete" for c in plan.changes if c.action is Action.DELETE}


def execute(
    plan: Plan,
    executors: dict[type[Change], Executor],
    allow_delete: bool,
    on_result: Callable[[Outcome], None] = lambda _: None,
) -> ApplyReport:
    """Run the plan's changes; `executors` maps each change type to its batch executor."""
    report = ApplyReport()
    skip = held_back(plan, allow_delete)
    report.skipped.extend((c, skip[c.key]) for c in plan.changes if c.key in skip)
    todo = [c for c in plan.changes if c.key not in skip]
    for kind, group in groupby(todo, key=type):
        changes = list(group)
        results = executors[kind](changes, False)
        for change in changes:
            outcome = Outcome(change, results.get(change.name, "no result from the cluster"))
            (report.done if outcome.ok else report.failed).append(outcome)
            on_result(outcome)
    return report
