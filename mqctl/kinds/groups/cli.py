"""`mqctl groups status | reset-offsets | replay-dlq` and `mqctl alerts export`.

Exit codes follow Terraform's -detailed-exitcode: `groups status` exits 0 when every group is
within its alerts, 2 on any breach, 1 on an error; the dry runs exit 0.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from mqctl.cli.args import choice, integer, optional_whole
from mqctl.cli.common import EnvOption, NoColorOption, RootOption, console, handled
from mqctl.diagnostics import MqctlError

groups_app = typer.Typer(help="Watch and repair consumer groups.", no_args_is_help=True)
alerts_app = typer.Typer(help="Alerting rules from the groups' alerts.", no_args_is_help=True)

OutputOption = Annotated[str, typer.Option("-o", "--output", help="text, json or markdown")]


def emit(no_color: bool, fmt: str, body: Callable[[], Any], lines: Callable[[], list[str]]) -> None:
    """A report as JSON (`-o json`) or as lines of already escaped text."""
    out = console(no_color)
    if fmt == "json":
        out.out(json.dumps(body(), indent=2), highlight=False)
        return
    # one print: per line, rich and the redaction layer would each be paid 2,000 times for 1,000 groups
    out.print("\n".join(lines()), markup=False, highlight=False)


@groups_app.command("status")
def status(
    env: EnvOption,
    group: Annotated[list[str] | None, typer.Option("--group", "-g", help="A declared group (repeatable).")] = None,
    include_all: Annotated[bool, typer.Option("--all", help="Also live groups under the environment.")] = False,
    output: OutputOption = "text",
    root: RootOption = Path("."),
    no_color: NoColorOption = False,
) -> None:
    """State, members, lag and time lag of every declared group against its alerts: exit 2 on a breach."""
    with handled(no_color):
        fmt = choice("--output", output, ("text", "json", "markdown"))
        from mqctl.kinds.groups.render import status_lines, status_markdown
        from mqctl.kinds.groups.workflow import status_report

        report = status_report(root, env, group or (), include_all)
    emit(no_color, fmt, report.to_dict, lambda: status_lines(report) if fmt == "text" else status_markdown(report))
    if report.breached:
        raise typer.Exit(2)


@alerts_app.command("export")
def export_alerts(
    env: EnvOption,
    fmt: Annotated[str, typer.Option("--format", help="prometheus")] = "prometheus",
    exporter: Annotated[str, typer.Option("--exporter", help="kminion or kafka-exporter")] = "kminion",
    out: Annotated[Path | None, typer.Option("--out", help="Write the rules to this file.")] = None,
    root: RootOption = Path("."),
    no_color: NoColorOption = False,
) -> None:
    """Prometheus alerting rules from every group's alerts, with the chosen exporter's metric names."""
    with handled(no_color):
        from mqctl.kinds.groups.prometheus import EXPORTERS
        from mqctl.kinds.groups.workflow import alert_rules

        choice("--format", fmt, ("prometheus",))
        choice("--exporter", exporter, tuple(EXPORTERS))
        text = alert_rules(root, env, exporter)
        if out is not None:
            try:
                out.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise MqctlError(f"cannot write {out}: {exc.strerror}") from None
    if out is None:
        console(no_color).out(text, highlight=False, end="")


@groups_app.command("reset-offsets")
def reset_offsets(
    env: EnvOption,
    group: Annotated[str, typer.Argument(help="A declared group (its name without the environment).")],
    topic: Annotated[str, typer.Option("--topic", "-t", help="One of the group's topics.")],
    to_earliest: Annotated[bool, typer.Option("--to-earliest")] = False,
    to_latest: Annotated[bool, typer.Option("--to-latest")] = False,
    to_datetime: Annotated[str | None, typer.Option("--to-datetime", help="ISO-8601, UTC when no offset")] = None,
    to_offset: Annotated[str | None, typer.Option("--to-offset")] = None,
    shift_by: Annotated[str | None, typer.Option("--shift-by", help="Offsets to move, negative to go back.")] = None,
    partitions: Annotated[str | None, typer.Option("--partitions", help="e.g. 0,3 (default: all)")] = None,
    execute: Annotated[bool, typer.Option("--execute", help="Apply (default: a dry run).")] = False,
    output: Annotated[str, typer.Option("-o", "--output", help="text or json")] = "text",
    root: RootOption = Path("."),
    no_color: NoColorOption = False,
) -> None:
    """Move a group's committed offsets (before → after per partition); refused while it has members."""
    with handled(no_color):
        fmt = choice("--output", output, ("text", "json"))
        chosen = {"to_earliest": to_earliest or None, "to_latest": to_latest or None, "to_datetime": to_datetime,
                  "to_offset": to_offset, "shift_by": shift_by}
        given = [name for name, value in chosen.items() if value is not None]
        if len(given) != 1:
            raise MqctlError("give exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset, --shift-by")
        (target,) = given
        numeric = target in ("to_offset", "shift_by")
        value = integer(f"--{target.replace('_', '-')}", str(chosen[target])) if numeric else None
        from mqctl.kinds.groups.render import reset_lines
        from mqctl.kinds.groups.workflow import reset_offsets as run

        result = run(root, env, group, topic, target, value, to_datetime, partitions, execute)
    emit(no_color, fmt, result.to_dict, lambda: reset_lines(result))
    if result.failures:
        raise typer.Exit(1)


@groups_app.command("replay-dlq")
def replay_dlq(
    env: EnvOption,
    group: Annotated[str, typer.Argument(help="A declared group with a dlq_topic.")],
    limit: Annotated[str | None, typer.Option("--limit", help="Replay at most this many dead letters.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="One of the group's topics (default: its first).")] = None,
    execute: Annotated[bool, typer.Option("--execute", help="Re-publish and commit (default: a dry run).")] = False,
    output: Annotated[str, typer.Option("-o", "--output", help="text or json")] = "text",
    root: RootOption = Path("."),
    no_color: NoColorOption = False,
) -> None:
    """Re-publish a group's dead letters to its main topic with an idempotent producer."""
    with handled(no_color):
        fmt = choice("--output", output, ("text", "json"))
        count = optional_whole("--limit", limit)
        from mqctl.kinds.groups.render import replay_lines
        from mqctl.kinds.groups.workflow import replay_dlq as run

        result = run(root, env, group, count, to, execute)
    emit(no_color, fmt, result.to_dict, lambda: replay_lines(result))
    if not result.complete:
        raise typer.Exit(1)
