"""`mqctl validate`, `mqctl plan`, `mqctl apply`: the spec-to-cluster workflow."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from mqctl.apply import ApplyReport, Outcome, execute, held_back
from mqctl.cli.common import EnvOption, NoColorOption, RootOption, console, handled
from mqctl.config import ProjectConfig, environment_names, load_config
from mqctl.diagnostics import Diagnostic, MqctlError, errors_of, warnings_of
from mqctl.kinds import Edges, all_executors
from mqctl.planning import PlanResult, plan_environment
from mqctl.render.text import render_plan
from mqctl.spec.loader import load_specs
from mqctl.spec.model import DesiredState

OutputOption = Annotated[str, typer.Option("-o", "--output", help="text or json")]
EXIT_CHANGES = 2


def _print_diagnostics(out: Console, diagnostics: list[Diagnostic]) -> None:
    for diag in sorted(diagnostics):
        colour = "red" if diag in errors_of(diagnostics) else "yellow"
        out.print(f"[{colour}]{diag.severity}:[/] {escape(str(diag))}")


def _specs(config: ProjectConfig) -> tuple[DesiredState, list[Diagnostic]]:
    desired, diagnostics = load_specs(config)
    if errors_of(diagnostics):
        raise MqctlError(f"the specs for environment {config.environment.name} have errors", diagnostics)
    return desired, diagnostics


def validate(
    env: Annotated[
        str | None, typer.Option("--env", "-e", help="Validate for one environment (default: all).")
    ] = None,
    root: RootOption = Path("."),
    no_color: NoColorOption = False,
) -> None:
    """Lint every spec file offline (no cluster needed); report all errors at once. Exit 0 clean, 1 errors."""
    out = console(no_color)
    with handled():
        names = [env] if env else environment_names(root)
        found: set[Diagnostic] = set()
        counts = {}
        for name in names:
            desired, diagnostics = load_specs(load_config(root.resolve(), name, secrets=False))
            found.update(diagnostics)
            counts[name] = desired.resource_count()
    _print_diagnostics(out, list(found))
    errors = errors_of(found)
    summary = ", ".join(f"{n}: {c} resource(s)" for n, c in counts.items())
    if errors:
        out.print(f"validate: {len(errors)} error(s), {len(warnings_of(found))} warning(s) ({summary})")
        raise typer.Exit(1)
    out.print(f"validate: OK, {len(warnings_of(found))} warning(s) ({summary})")


def _make_plan(root: Path, env: str) -> tuple[PlanResult, Edges]:
    config = load_config(root.resolve(), env)
    desired, diagnostics = _specs(config)
    edges = Edges(config.environment)
    return plan_environment(desired, edges, diagnostics), edges


def plan(
    env: EnvOption,
    root: RootOption = Path("."),
    output: OutputOption = "text",
    no_color: NoColorOption = False,
) -> None:
    """Show what apply would change. Exit 0 no changes, 2 changes present, 1 error."""
    out = console(no_color)
    try:
        result, _ = _make_plan(root, env)
    except MqctlError as exc:
        if output == "json":
            errors = [d.to_dict() for d in exc.diagnostics] or [{"message": exc.message}]
            print(
                json.dumps(
                    {
                        "format_version": 1,
                        "environment": env,
                        "changes": [],
                        "warnings": [],
                        "errors": errors,
                    },
                    indent=2,
                )
            )
            raise typer.Exit(1) from None
        with handled():
            raise
    plan = result.plan
    if output == "json":
        print(json.dumps(plan.to_dict(), indent=2))
    else:
        render_plan(out, plan)
    if plan.errors:
        raise typer.Exit(1)
    if plan.has_changes:
        raise typer.Exit(EXIT_CHANGES)


def _confirm(auto_approve: bool) -> bool:
    if auto_approve:
        return True
    if not sys.stdin.isatty():
        raise MqctlError("refusing to apply without a terminal to confirm on; pass --auto-approve in CI")
    return typer.confirm("Apply these changes?", default=False)


def _report_line(out: Console, outcome: Outcome) -> None:
    change = outcome.change
    verb = {"create": "created", "update": "updated", "delete": "deleted"}[str(change.action)]
    if outcome.ok:
        out.print(f"[green]✓[/] {verb} {change.resource_type} {escape(change.name)}")
    else:
        out.print(
            f"[red]✗[/] {change.resource_type} {escape(change.name)} not {verb}: "
            f"{escape(outcome.error or '')}"
        )


def _summary(out: Console, report: ApplyReport) -> None:
    for change, reason in report.skipped:
        out.print(
            f"[yellow]-[/] skipped {change.action!s} of {change.resource_type} "
            f"{escape(change.name)} ({reason})"
        )
    parts = [f"{len(report.done)} done", f"{len(report.failed)} failed"]
    if report.skipped:
        parts.append(f"{len(report.skipped)} skipped")
    status = "Apply complete" if report.ok else "Apply incomplete"
    out.print(f"{status}: {', '.join(parts)}.")
    if not report.ok:
        out.print(
            "Nothing else was changed. Fix the failures and run apply again; "
            "it starts from the live state, so it converges."
        )


def apply(
    env: EnvOption,
    root: RootOption = Path("."),
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")
    ] = False,
    allow_delete: Annotated[
        bool, typer.Option("--allow-delete", help="Also delete resources that are absent from the specs.")
    ] = False,
    no_color: NoColorOption = False,
) -> None:
    """Make the cluster match the specs: show the plan, confirm, apply in batches, report each change."""
    out = console(no_color)
    with handled():
        result, edges = _make_plan(root, env)
        plan = result.plan
        render_plan(out, plan, held_back(plan, allow_delete))
        if plan.errors:
            raise typer.Exit(1)
        if not plan.has_changes:
            return
        if not _confirm(auto_approve):
            out.print("Apply cancelled; nothing was changed.")
            raise typer.Exit(1)
        executors = all_executors(edges, result.kinds)
        with Progress(console=out, transient=True, disable=len(plan.changes) < 20) as progress:
            task = progress.add_task("applying", total=len(plan.changes))

            def on_result(outcome: Outcome) -> None:
                progress.advance(task)
                _report_line(progress.console, outcome)

            report = execute(plan, executors, allow_delete, on_result)
        _summary(out, report)
    if not report.ok:
        raise typer.Exit(1)
