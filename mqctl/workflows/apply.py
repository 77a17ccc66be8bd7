"""Applying: under the environment's apply lock, plan from live state, check a saved plan, confirm,
execute in dependency order batched per change type, and record every outcome.

A partial failure never stops independent work; the report says exactly what was and was not
done, and since plans are computed from live state, re-running apply converges.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from mqctl.config import ProjectConfig, load_config
from mqctl.diagnostics import Diagnostic, MqctlError
from mqctl.edges import Edges
from mqctl.kind import Executor
from mqctl.kinds import KINDS
from mqctl.plan import Change, Plan
from mqctl.policies import FOLDER as POLICY_FOLDER
from mqctl.saved_plan import (
    Fingerprints,
    SavedPlan,
    fingerprints,
    leaked_secret,
    read_saved_plan,
    read_spec_sources,
    saved_plan_dict,
    what_changed,
)
from mqctl.targets import parse_targets
from mqctl.workflows.plan import PlanOptions, PlanResult, all_executors, plan_project
from mqctl.yamlsource import read_text_file


@dataclass(frozen=True)
class Outcome:
    change: Change
    error: str | None = None  # None: done

    @property
    def ok(self) -> bool:
        return self.error is None


RUNNING_WHEN_INTERRUPTED = "interrupted while it ran: it may or may not have happened, the next plan shows which"
NOT_STARTED = "not started: the apply was interrupted"


@dataclass
class ApplyReport:
    done: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    skipped: list[tuple[Change, str]] = field(default_factory=list)
    interrupted: list[tuple[Change, str]] = field(default_factory=list)  # Ctrl-C: what has no outcome, and why

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    @property
    def complete(self) -> bool:
        """Every planned change was carried out: none failed, none was held back for a flag, none
        was left by an interruption."""
        return self.ok and not self.skipped


def execute(
    plan: Plan,
    executors: Mapping[type[Change], Executor],
    allow_delete: bool,
    on_result: Callable[[Outcome], None] = lambda _: None,
) -> ApplyReport:
    """Run the plan's changes; `executors` maps each change type to its batch executor. Ctrl-C
    stops it: the report then says which changes were running (their outcome is unknown) and which
    never started, next to those already done."""
    report = ApplyReport()
    skip = plan.held_back(allow_delete)
    report.skipped.extend((c, skip[c.key]) for c in plan.changes if c.key in skip)
    todo = [c for c in plan.changes if c.key not in skip]
    running: list[Change] = []
    try:
        for kind, group in groupby(todo, key=type):
            running = list(group)
            results = executors[kind](running, False)
            for change in running:
                outcome = Outcome(change, results.get(change.name, "no result from the cluster"))
                (report.done if outcome.ok else report.failed).append(outcome)
                on_result(outcome)
    except KeyboardInterrupt:
        settled = {o.change.key for o in (*report.done, *report.failed)}
        report.interrupted = [
            (c, RUNNING_WHEN_INTERRUPTED if c in running else NOT_STARTED) for c in todo if c.key not in settled
        ]
    return report


# --- saved plans ---------------------------------------------------------------------------------


def plan_fingerprints(result: PlanResult, config: ProjectConfig) -> Fingerprints:
    files, folders = read_spec_sources(config.root, [kind.name for kind in KINDS] + [POLICY_FOLDER])
    env = config.environment
    return fingerprints(result.plan, dict(result.snapshots.items()), files, folders, env, config.naming_pattern)


def save_plan(path: Path, result: PlanResult, config: ProjectConfig) -> None:
    """Write the plan with its fingerprints for `apply PLAN`; never a plan that holds a secret."""
    text = json.dumps(saved_plan_dict(result.plan, plan_fingerprints(result, config)), indent=2) + "\n"
    if leaked_secret(text, config.environment, result.plan):  # defence in depth: never expected
        raise MqctlError(f"refusing to write {path}: the plan would contain a secret")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise MqctlError(f"cannot write the plan to {path}: {exc.strerror}") from None


MAX_PLAN_BYTES = 256 * 2**20  # a plan of 10,000 changes is a few MiB


def read_saved(path: Path, env: str) -> SavedPlan:
    """The saved plan at `path`, refused (before any connection or lock) when it cannot be read (a
    FIFO or device is not waited on), is not UTF-8 or not a plan file of this format, is for another
    environment, or was edited after it was saved."""
    text = read_text_file(path, str(path), MAX_PLAN_BYTES)
    if isinstance(text, Diagnostic):
        where = f" (line {text.line})" if text.line is not None else ""
        raise MqctlError(f"cannot read the saved plan {path}{where}: {text.message}")
    saved = read_saved_plan(text, str(path))
    if saved.environment != env:
        raise MqctlError(f"{path} is a plan for environment {saved.environment}, not {env}")
    return saved


def check_saved(saved: SavedPlan, result: PlanResult, config: ProjectConfig) -> None:
    """The fresh plan is executed only if it is the saved one, made from the same specs and state."""
    changed = what_changed(saved, plan_fingerprints(result, config))
    if changed:
        lines = "\n".join(f"  - {line}" for line in changed)
        raise MqctlError(
            f"refusing to apply {saved.source}; nothing was changed. Since the plan was saved:\n{lines}\n"
            "Make and review a new plan (mqctl plan --out)."
        )


# --- the workflow --------------------------------------------------------------------------------


@dataclass
class ApplyHooks:
    """How the caller (the CLI) shows and steers an apply; every hook is optional."""

    notify: Callable[[str], None] = lambda _: None  # progress of long operations
    show: Callable[[Plan, Mapping[str, str]], None] = lambda plan, held: None  # the plan, before confirming
    confirm: Callable[[Plan], bool] = lambda plan: True  # asked unless a reviewed plan file is applied
    starting: Callable[[int], None] = lambda total: None  # execution starts, with this many changes
    on_result: Callable[[Outcome], None] = lambda _: None  # each change's outcome as it comes


@dataclass
class ApplyRun:
    """What an apply did: `report` is None when nothing was executed (see `status`)."""

    plan: Plan
    status: str  # "errors" | "no changes" | "cancelled" | "applied"
    report: ApplyReport | None = None
    lock_error: str | None = None  # the lock could not be released afterwards: it stays held


def _saved_targets(saved: SavedPlan, options: PlanOptions) -> PlanOptions:
    """A saved plan was made for its `--target`s: applying it plans for the same ones."""
    if options.targets and tuple(options.targets) != saved.targets:
        raise MqctlError(
            f"{saved.source} was planned with --target {' '.join(saved.targets) or '(none)'}; apply it without "
            "--target (it applies exactly the saved plan), or make a new plan"
        )
    return PlanOptions(saved.targets, options.allowed, options.policies)


def apply_project(
    root: Path, env: str, hooks: ApplyHooks, plan_file: Path | None = None, options: PlanOptions | None = None
) -> ApplyRun:
    """Make the cluster match the specs. The apply lock spans plan to report, so the plan stays
    true while it is applied; a saved plan is checked before anything connects. A lock that cannot
    be released afterwards is reported with the run (`lock_error`), never instead of it: what was
    changed under the lock must still be said."""
    from mqctl.kafka.lock import run_holding

    options = options or PlanOptions()
    parse_targets(options.targets, [kind.name for kind in KINDS])  # a bad --target fails before the lock
    config = load_config(root.resolve(), env)
    saved = read_saved(plan_file, env) if plan_file is not None else None
    if saved is not None:
        options = _saved_targets(saved, options)
    command = f"mqctl apply --env {env}"
    run, lock_error = run_holding(
        config.environment, command, lambda: _apply_locked(config, hooks, saved, options), hooks.notify
    )
    run.lock_error = lock_error
    return run


def _apply_locked(config: ProjectConfig, hooks: ApplyHooks, saved: SavedPlan | None, options: PlanOptions) -> ApplyRun:
    """Plan, check, show, confirm and execute, under the lock."""
    with Edges(config.environment, hooks.notify) as edges:
        return _apply_with(config, edges, hooks, saved, options)


def _apply_with(
    config: ProjectConfig, edges: Edges, hooks: ApplyHooks, saved: SavedPlan | None, options: PlanOptions
) -> ApplyRun:
    result, _ = plan_project(config, edges, options)
    plan = result.plan
    if saved is not None:
        check_saved(saved, result, config)
    hooks.show(plan, plan.held_back(options.allow_delete))
    if plan.errors:
        return ApplyRun(plan, "errors")
    if not plan.has_changes:
        return ApplyRun(plan, "no changes")
    if saved is None and not hooks.confirm(plan):
        return ApplyRun(plan, "cancelled")
    hooks.starting(len(plan.changes))
    report = execute(plan, all_executors(edges, result.kinds), options.allow_delete, hooks.on_result)
    return ApplyRun(plan, "applied", report)
