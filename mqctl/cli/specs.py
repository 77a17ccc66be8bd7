"""`mqctl validate`, `mqctl plan`, `mqctl apply`: flags in, workflow calls, rendering, exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mqctl import redact
from mqctl.cli.common import (
    AllEnvsOption,
    AllowOption,
    NoColorOption,
    OptionalEnvOption,
    RootOption,
    TargetOption,
    buffered_text,
    console,
    console_to_buffer,
    fail,
    handled,
    plain_stream,
)
from mqctl.diagnostics import Diagnostic, MqctlError, Severity, errors_of, warnings_of

if TYPE_CHECKING:  # each command imports what it runs (the workflows, rich), so --help stays light
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from mqctl.render.formats import OutputFormat
    from mqctl.workflows.apply import ApplyHooks, ApplyReport, Outcome
    from mqctl.workflows.plan import PlanOptions

OutputOption = Annotated[
    str,
    typer.Option(
        "-o", "--output", "--format", metavar="FORMAT",
        help="What is printed: text, json or markdown (a pull-request comment). To save a plan file: --out FILE.",
    ),
]
EXIT_CHANGES = 2


def _diagnostic_line(diag: Diagnostic) -> str:
    """A diagnostic as validate and apply print it: its severity, then its one escaped line."""
    return f"{diag.severity}: {diag}"


def _print_diagnostics(out: Console, diagnostics: list[Diagnostic]) -> None:
    """Each on a line, its severity coloured; the line is text (rich.text.Text), never markup."""
    from rich.text import Text

    for diag in diagnostics:
        line = Text(_diagnostic_line(diag))
        line.stylize("red" if diag.severity is Severity.ERROR else "yellow", 0, len(str(diag.severity)) + 1)
        out.print(line)


def validate(
    env: Annotated[
        str | None, typer.Option("--env", "-e", metavar="ENV", help="Validate for one environment (default: all).")
    ] = None,
    root: RootOption = Path("."),
    no_color: NoColorOption = False,
) -> None:
    """Lint every spec file offline (no cluster needed); report all errors at once. Exit 0 clean, 1 errors."""
    from mqctl.workflows.validate import validate_project

    with handled():
        found = validate_project(root, env)
    errors, warnings = errors_of(found.diagnostics), warnings_of(found.diagnostics)
    summary = ", ".join(f"{n}: {c} resource(s)" for n, c in found.counts.items())
    verdict = f"validate: {f'{len(errors)} error(s)' if errors else 'OK'}, {len(warnings)} warning(s) ({summary})"
    if found.diagnostics and not plain_stream(no_color, sys.stdout):
        out = console(no_color)
        _print_diagnostics(out, found.diagnostics)
        out.print(verdict, markup=False)
    else:  # a pre-commit hook's or a CI log's answer: plain lines, without loading rich to colour nothing
        lines = [_diagnostic_line(diag) for diag in found.diagnostics]
        redact.wrap(sys.stdout).write("\n".join([*lines, verdict]) + "\n")
    if errors:
        raise typer.Exit(1)


def _format(output: str) -> OutputFormat:
    from mqctl.render.formats import FORMATS

    if output not in FORMATS:
        raise MqctlError(f"unknown output format {output!r}; use one of: {', '.join(FORMATS)}")
    return FORMATS[output]


def _problems(exc: MqctlError | None) -> list[Diagnostic]:
    return list(exc.diagnostics) if exc is not None else []


def _options(target: list[str] | None, allow: list[str] | None, allow_delete: bool) -> PlanOptions:
    from mqctl.workflows.plan import PlanOptions

    allowed = set(allow or ()) | ({"delete"} if allow_delete else set())
    return PlanOptions(tuple(target or ()), frozenset(allowed))


def _one_environment(env: str | None, all_envs: bool) -> str | None:
    """The environment of a single run, None for --all-envs; exactly one of the two is given."""
    if all_envs and env:
        raise MqctlError("give either --env ENV or --all-envs, not both")
    if not all_envs and not env:
        raise MqctlError("missing --env ENV (an environment of mqctl.yaml), or --all-envs for every one")
    return env


def plan(
    env: OptionalEnvOption = None,
    all_envs: AllEnvsOption = False,
    target: TargetOption = None,
    allow: AllowOption = None,
    allow_delete: Annotated[
        bool, typer.Option("--allow-delete", help="Same as --allow delete: deletions a policy forbids.")
    ] = False,
    root: RootOption = Path("."),
    output: OutputOption = "text",
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", "--save-plan", metavar="FILE",
            help="Also save the plan to FILE (JSON with fingerprints) for `mqctl apply --env ENV FILE`. "
            "The format of what is printed is -o/--format.",
        ),
    ] = None,
    no_color: NoColorOption = False,
) -> None:
    """Show what apply would change. Exit 0 no changes, 2 changes present, 1 error."""
    from rich.markup import escape

    from mqctl.config import load_config
    from mqctl.edges import Edges
    from mqctl.plan import Plan
    from mqctl.workflows.plan import plan_project

    out = console(no_color)
    with handled(no_color):
        fmt = _format(output)
        name = _one_environment(env, all_envs)
        if name is None and out_file is not None:
            raise MqctlError("--out saves the plan of one environment; use --env ENV")
    options = _options(target, allow, allow_delete)
    if name is None:
        from mqctl.render.fleet import render_fleet
        from mqctl.workflows.fleet import plan_all, plan_exit_code, worst_exit_code

        with handled(no_color):
            results = plan_all(root, options)
        plans = [
            r.result if r.result is not None else Plan.failed(r.environment, str(r.error), _problems(r.error))
            for r in results
        ]
        codes = [plan_exit_code(p) for p in plans]
        render_fleet(out, output, list(zip(plans, codes, strict=True)), worst_exit_code(codes))
        raise typer.Exit(worst_exit_code(codes))
    try:
        config = load_config(root.resolve(), name)
        with Edges(config.environment) as edges:
            result, _ = plan_project(config, edges, options)
    except MqctlError as exc:
        if not fmt.document_on_failure:
            raise fail(exc, no_color) from None
        fmt.render(out, Plan.failed(name, exc.message, exc.diagnostics))
        raise typer.Exit(1) from None
    plan = result.plan
    fmt.render(out, plan)
    if plan.errors:
        if out_file is not None:
            console(no_color, stderr=True).print(f"The plan has errors; it was not saved to {escape(str(out_file))}.")
        raise typer.Exit(1)
    if out_file is not None:
        from mqctl.workflows.apply import save_plan  # with the fingerprints: only to save a plan

        with handled(no_color):
            save_plan(out_file, result, config)
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
    from rich.markup import escape

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
    from rich.markup import escape

    for change, reason in report.skipped:
        out.print(
            f"[yellow]-[/] skipped {change.action!s} of {change.resource_type} "
            f"{escape(change.name)} ({reason})"
        )
    for change, reason in report.interrupted:
        out.print(f"[yellow]![/] {change.action!s} of {change.resource_type} {escape(change.name)}: {reason}")
    parts = [f"{len(report.done)} done", f"{len(report.failed)} failed"]
    if report.skipped:
        parts.append(f"{len(report.skipped)} skipped")
    if report.interrupted:
        parts.append(f"{len(report.interrupted)} interrupted")
    status = "Apply interrupted" if report.interrupted else "Apply complete" if report.complete else "Apply incomplete"
    out.print(f"{status}: {', '.join(parts)}.")
    if report.interrupted:
        out.print("Run apply again to finish: it starts from the live state, so it converges.")
    elif not report.ok:
        out.print(
            "Nothing else was changed. Fix the failures and run apply again; "
            "it starts from the live state, so it converges."
        )
    elif report.skipped:
        flags = sorted({reason.removeprefix("needs ") for _, reason in report.skipped})
        out.print(
            f"{len(report.skipped)} planned change(s) left undone (exit 2): run apply again with "
            f"{' '.join(flags)} to carry them out."
        )


def _hooks(out: Console, auto_approve: bool, progress: Progress) -> ApplyHooks:
    """The terminal side of an apply: the plan, the prompt, a progress bar and a line per change."""
    from rich.markup import escape

    from mqctl.render.text import render_plan
    from mqctl.workflows.apply import ApplyHooks

    tasks: list[TaskID] = []

    def starting(total: int) -> None:
        progress.disable = total < 20
        progress.start()
        tasks.append(progress.add_task("applying", total=total))

    def on_result(outcome: Outcome) -> None:
        for task in tasks:
            progress.advance(task)
        _report_line(progress.console, outcome)

    return ApplyHooks(
        notify=lambda line: out.print(escape(line)),
        show=lambda plan, held: render_plan(out, plan, dict(held)),
        confirm=lambda plan: _confirm(auto_approve),
        starting=starting,
        on_result=on_result,
    )


def _fleet_hooks(buffers: dict[str, Console], no_color: bool) -> Callable[[str], ApplyHooks]:
    """Hooks for one environment of `apply --all-envs`: output collected per environment, shown
    together once all are done (threads' lines would interleave)."""
    from rich.markup import escape

    from mqctl.render.text import render_plan
    from mqctl.workflows.apply import ApplyHooks


    def hooks_for(env: str) -> ApplyHooks:
        buffer = buffers[env] = console_to_buffer(no_color)
        return ApplyHooks(
            notify=lambda line: buffer.print(escape(line)),
            show=lambda plan, held: render_plan(buffer, plan, dict(held)),
            starting=lambda total: None,
            on_result=lambda outcome: _report_line(buffer, outcome),
        )

    return hooks_for


def _apply_all(out: Console, root: Path, options: PlanOptions, no_color: bool) -> int:
    from rich.markup import escape

    from mqctl.workflows.fleet import apply_all, apply_exit_code, worst_exit_code

    buffers: dict[str, Console] = {}
    with handled(no_color):
        results = apply_all(root, _fleet_hooks(buffers, no_color), options)
    codes = []
    for found in results:
        out.rule(f"environment {escape(found.environment)}")
        buffer = buffers.get(found.environment)
        if buffer is not None:
            out.out(buffered_text(buffer), end="", highlight=False)
        if found.result is not None and found.result.report is not None:
            _summary(out, found.result.report)
        if found.result is not None and found.result.lock_error is not None:
            out.print(f"[red]error:[/] {escape(found.result.lock_error)}")
        if found.error is not None:
            _print_diagnostics(out, found.error.diagnostics)
            out.print(f"[red]error:[/] {escape(found.error.message)}")
        codes.append(apply_exit_code(found.result) if found.result is not None else 1)
    out.rule("summary")
    for found, code in zip(results, codes, strict=True):
        status = found.result.status if found.result is not None else "failed"
        out.print(f"{escape(found.environment)}: {status} (exit {code})")
    return worst_exit_code(codes)


def apply(
    env: OptionalEnvOption = None,
    plan_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="[PLAN_FILE]",
            help="A plan saved by `mqctl plan --out`: apply exactly it (no prompt), or refuse if the specs "
            "or the cluster changed since it was made.",
            show_default=False,
        ),
    ] = None,
    all_envs: AllEnvsOption = False,
    target: TargetOption = None,
    allow: AllowOption = None,
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
    from rich.progress import Progress

    from mqctl.workflows.apply import apply_project

    out = console(no_color)
    options = _options(target, allow, allow_delete)
    with handled(no_color):
        name = _one_environment(env, all_envs)
        if name is None and (plan_file is not None or not auto_approve):
            raise MqctlError("apply --all-envs runs unattended: it needs --auto-approve and takes no plan file")
    if name is None:
        raise typer.Exit(_apply_all(out, root, options, no_color))
    progress = Progress(console=out, transient=True)
    try:
        with handled(no_color):
            run = apply_project(root, name, _hooks(out, auto_approve, progress), plan_file, options)
    finally:
        progress.stop()
    from mqctl.workflows.fleet import apply_exit_code

    if run.status == "cancelled":
        out.print("Apply cancelled; nothing was changed.")
    if run.report is not None:
        _summary(out, run.report)
    if run.lock_error is not None:  # after the report: what was done must still be said
        raise fail(MqctlError(run.lock_error), no_color)
    raise typer.Exit(apply_exit_code(run))
