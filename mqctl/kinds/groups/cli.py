"""`mqctl groups status | reset-offsets | replay-dlq` and `mqctl alerts export`.

Exit codes follow Terraform's -detailed-exitcode: `groups status` exits 0 when every group is
within its alerts, 2 on any breach, 1 on an error; the dry runs exit 0.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from mqctl.cli.args import choice
from mqctl.cli.common import EnvOption, NoColorOption, RootOption, console, handled
from mqctl.diagnostics import MqctlError

groups_app = typer.Typer(help="Watch and repair consumer groups.", no_args_is_help=True)
alerts_app = typer.Typer(help="Alerting rules from the groups' alerts.", no_args_is_help=True)

OutputOption = Annotated[str, typer.Option("-o", "--output", help="text, json or markdown")]


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
    out = console(no_color)
    if fmt == "json":
        out.out(json.dumps(report.to_dict(), indent=2), highlight=False)
    else:
        for line in status_lines(report) if fmt == "text" else status_markdown(report):
            out.print(line, markup=False, highlight=False)
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
