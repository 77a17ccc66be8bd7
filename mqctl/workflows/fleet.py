"""`--all-envs`: plan or apply every environment of mqctl.yaml at once, one thread each.

Environments are independent (their own cluster connections, lock and prefix), so they run
concurrently; an environment that fails (unreachable, bad specs, a missing secret) is reported
with its error and never hides the others' results. Each plan is bounded by its environment's
`timeout_seconds` (every cluster call is); as a last guard, a plan still running after
`PLAN_GUARD_TIMEOUTS` of its timeouts is reported as not answering and left behind (daemon threads).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from mqctl.config import environment_names, load_config
from mqctl.diagnostics import MqctlError
from mqctl.edges import Edges
from mqctl.plan import Plan
from mqctl.workflows.apply import ApplyHooks, ApplyRun, apply_project
from mqctl.workflows.plan import PlanOptions, plan_project

T = TypeVar("T")
PLAN_GUARD_TIMEOUTS = 6  # a plan makes a handful of sequential calls, each bounded by the timeout
EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT


@dataclass
class EnvironmentResult(Generic[T]):
    environment: str
    result: T | None = None
    error: MqctlError | None = None  # why the environment produced no result

    @property
    def ok(self) -> bool:
        return self.error is None


def worst_exit_code(codes: list[int]) -> int:
    """1 (an error anywhere) over 2 (changes) over 0."""
    return EXIT_ERROR if EXIT_ERROR in codes else EXIT_CHANGES if EXIT_CHANGES in codes else EXIT_OK


def _guard_seconds(root: Path, env: str) -> float | None:
    try:
        return PLAN_GUARD_TIMEOUTS * load_config(root, env, secrets=False).environment.timeout_seconds
    except MqctlError:
        return None  # the run itself reports it


def run_everywhere(
    root: Path, work: Callable[[str], T], guard: bool
) -> list[EnvironmentResult[T]]:
    """`work(env)` for every environment of mqctl.yaml, concurrently; results in name order."""
    names = environment_names(root)
    results = {name: EnvironmentResult[T](name) for name in names}

    def run(name: str) -> None:
        try:
            results[name].result = work(name)
        except MqctlError as exc:
            results[name].error = exc
        except Exception as exc:  # a bug in one environment's run must not hide the others'
            results[name].error = MqctlError(f"{type(exc).__name__}: {exc}")

    threads = {name: threading.Thread(target=run, args=(name,), daemon=True, name=f"env-{name}") for name in names}
    started = time.monotonic()
    for thread in threads.values():
        thread.start()
    for name, thread in threads.items():
        limit = _guard_seconds(root, name) if guard else None
        thread.join(None if limit is None else max(0.0, started + limit - time.monotonic()))
        if thread.is_alive():
            results[name].error = MqctlError(f"environment {name} did not answer within {limit:g} s; left behind")
    return [results[name] for name in names]


def plan_all(root: Path, options: PlanOptions | None = None) -> list[EnvironmentResult[Plan]]:
    """The plan of every environment."""
    base = root.resolve()

    def plan_one(env: str) -> Plan:
        config = load_config(base, env)
        with Edges(config.environment) as edges:
            result, _ = plan_project(config, edges, options)
        return result.plan

    return run_everywhere(base, plan_one, guard=True)


def apply_all(
    root: Path, hooks_for: Callable[[str], ApplyHooks], options: PlanOptions | None = None
) -> list[EnvironmentResult[ApplyRun]]:
    """Apply every environment (each under its own lock); `hooks_for(env)` shows and confirms it."""
    base = root.resolve()
    return run_everywhere(base, lambda env: apply_project(base, env, hooks_for(env), None, options), guard=False)


def plan_exit_code(plan: Plan) -> int:
    return EXIT_ERROR if plan.errors else EXIT_CHANGES if plan.has_changes else EXIT_OK


def apply_exit_code(run: ApplyRun) -> int:
    """1 when something failed (the lock's release too), 2 when planned changes were left undone
    (they need a flag such as --allow-delete, so the next plan still shows them), 0 when the
    environment matches the plan."""
    if run.status in ("errors", "cancelled") or run.lock_error is not None:
        return EXIT_ERROR
    if run.report is None:
        return EXIT_OK
    if run.report.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_ERROR if not run.report.ok else EXIT_OK if run.report.complete else EXIT_CHANGES
