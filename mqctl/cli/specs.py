"""`mqctl validate`, `mqctl plan`, `mqctl apply`: the spec-to-cluster workflow."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from mqctl.apply import ApplyReport, Outcome, execute, held_back
from mqctl.cli.common import EnvOption, NoColorOption, RootOption, console, fail, handled
from mqctl.config import ProjectConfig, environment_names, load_config
from mqctl.diagnostics import Diagnostic, MqctlError, error, errors_of, warnings_of
from mqctl.kinds import Edges, all_executors
from mqctl.plan import Plan
from mqctl.planning import PlanResult, plan_project
from mqctl.render.formats import FORMATS, OutputFormat
from mqctl.render.text import render_plan
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
from mqctl.spec.loader import load_specs

OutputOption = Annotated[
    str, typer.Option("-o", "--output", help="text, json or markdown (a pull-request comment).")
]
EXIT_CHANGES = 2


def _print_diagnostics(out: Console, diagnostics: list[Diagnostic]) -> None:
    for diag in sorted(diagnostics):
        colour = "red" if diag in errors_of(diagnostics) else "yellow"
        out.print(f"[{colour}]{diag.severity}:[/] {escape(str(diag))}")


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


def _make_plan(
    root: Path, env: str, notify: Callable[[str], None] = lambda _: None
) -> tuple[PlanResult, Edges, ProjectConfig]:
    config = load_config(root.resolve(), env)
    edges = Edges(config.environment, notify)
    result, _ = plan_project(config, edges)
    return result, edges, config


def _fingerprints(result: PlanResult, config: ProjectConfig) -> Fingerprints:
    files, folders = read_spec_sources(config.root)
    env = config.environment
    return fingerprints(result.plan, result.snapshots, files, folders, env, config.naming_pattern)


def _save(path: Path, result: PlanResult, config: ProjectConfig) -> None:
    text = json.dumps(saved_plan_dict(result.plan, _fingerprints(result, config)), indent=2) + "\n"
    if leaked_secret(text, config.environment, result.plan):  # defence in depth: never expected
        raise MqctlError(f"refusing to write {path}: the plan would contain a secret")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise MqctlError(f"cannot write the plan to {path}: {exc.strerror}") from None


def _format(output: str) -> OutputFormat:
    if output not in FORMATS:
        raise MqctlError(f"unknown output format {output!r}; use one of: {', '.join(FORMATS)}")
    return FORMATS[output]


def plan(
    env: EnvOption,
    root: RootOption = Path("."),
    output: OutputOption = "text",
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Also save the plan (JSON with fingerprints) for `mqctl apply --env ENV FILE`."
        ),
    ] = None,
    no_color: NoColorOption = False,
) -> None:
    """Show what apply would change. Exit 0 no changes, 2 changes present, 1 error."""
    out = console(no_color)
    with handled(no_color):
        fmt = _format(output)
    try:
        result, _, config = _make_plan(root, env)
    except MqctlError as exc:
        if not fmt.document_on_failure:
            raise fail(exc, no_color) from None
        problems = exc.diagnostics or [error("", None, "", exc.message)]
        fmt.render(out, Plan.build(env, [], problems))
        raise typer.Exit(1) from None
    plan = result.plan
    fmt.render(out, plan)
    if plan.errors:
        if out_file is not None:
            console(no_color, stderr=True).print(f"The plan has errors; it was not saved to {escape(str(out_file))}.")
        raise typer.Exit(1)
    if out_file is not None:
        with handled(no_color):
            _save(out_file, result, config)
        console(no_color, stderr=True).print(f"Saved the plan to {escape(str(out_file))}.")
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


def _read_saved(path: Path, env: str) -> SavedPlan:
    try:
        saved = read_saved_plan(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise MqctlError(f"cannot read the saved plan {path}: {exc.strerror}") from None
    if saved.environment != env:
        raise MqctlError(f"{path} is a plan for environment {saved.environment}, not {env}")
    return saved


def _check_saved(saved: SavedPlan, result: PlanResult, config: ProjectConfig) -> None:
    """The fresh plan is executed only if it is the saved one, made from the same specs and state."""
    changed = what_changed(saved, _fingerprints(result, config))
    if changed:
        lines = "\n".join(f"  - {line}" for line in changed)
        raise MqctlError(
            f"refusing to apply {saved.source}; nothing was changed. Since the plan was saved:\n{lines}\n"
            "Make and review a new plan (mqctl plan --out)."
        )


def apply(
    env: EnvOption,
    plan_file: Annotated[
        Path | None,
        typer.Argument(
            help="A plan saved by `mqctl plan --out`: apply exactly it (no prompt), or refuse if the specs "
            "or the cluster changed since it was made.",
            show_default=False,
        ),
    ] = None,
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
    def notify(line: str) -> None:
        out.print(escape(line))

    from mqctl.kafka.lock import holding

    # the apply lock spans plan to report, so the plan stays true while it is applied
    with handled(no_color), holding(load_config(root.resolve(), env).environment, f"mqctl apply --env {env}", notify):
        saved = _read_saved(plan_file, env) if plan_file is not None else None
        result, edges, config = _make_plan(root, env, notify)
        plan = result.plan
        if saved is not None:
            _check_saved(saved, result, config)
        render_plan(out, plan, held_back(plan, allow_delete))
        if plan.errors:
            raise typer.Exit(1)
        if not plan.has_changes:
            return
        if saved is None and not _confirm(auto_approve):
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
