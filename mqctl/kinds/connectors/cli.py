"""`mqctl connectors status` and `mqctl connectors restart`: the health of an environment's connectors.

Exit codes follow Terraform's -detailed-exitcode: status exits 0 when nothing failed, 2 when a
connector or task is FAILED, 1 on error; restart exits 0 when every restart was accepted, 1 otherwise.
Only connectors under the environment's prefix are shown or restarted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mqctl.cli.args import choice
from mqctl.cli.common import EnvOption, NoColorOption, RootOption, console, handled, project
from mqctl.diagnostics import MqctlError

if TYPE_CHECKING:  # the status module loads the Connect transport: commands import it when they run
    from mqctl.kinds.connectors.status import ConnectorReport

app = typer.Typer(help="Kafka Connect connectors of an environment: status and restarts.", no_args_is_help=True)
EXIT_FAILED = 2


def _lines(report: ConnectorReport) -> list[str]:
    own, *tasks = report.instances
    lines = [f"{report.name}  {own.state}  ({report.type}{', worker ' + own.worker if own.worker else ''})"]
    if own.error:
        lines.append(f"    connector: {own.error}")
    for task in tasks:
        lines.append(f"    {task.what}: {task.state}" + (f"  {task.error}" if task.error else ""))
    return lines


@app.command("status")
def status(
    env: EnvOption,
    root: RootOption = Path("."),
    output: Annotated[str, typer.Option("-o", "--output", "--format", metavar="FORMAT", help="text or json")] = "text",
    no_color: NoColorOption = False,
) -> None:
    """Connector and task states, with the first line of each failure. Exit 2 when any is FAILED."""
    with handled(no_color):
        fmt = choice("--output", output, ("text", "json"))
        config = project(root, env)
        from mqctl.connect import ConnectClient
        from mqctl.kinds.connectors.status import status_report

        connect = ConnectClient(config.environment)
        report = status_report(env, config.environment.prefix, connect.connectors())
    out = console(no_color)
    if fmt == "json":
        out.print_json(json.dumps(report.to_dict()))
    else:
        out.print(f"environment  {env}  (Kafka Connect at {connect.url})", markup=False)
        for connector in report.connectors:
            for line in _lines(connector):
                out.print(line, markup=False)
        failed = sum(len(c.failed) for c in report.connectors)
        out.print(f"{len(report.connectors)} connector(s), {failed} failed instance(s)", markup=False)
    if report.failed:
        raise typer.Exit(EXIT_FAILED)


@app.command("restart")
def restart(
    env: EnvOption,
    name: Annotated[
        str | None, typer.Argument(metavar="[NAME]",
            help="One connector, written without the environment (default: all).")
    ] = None,
    failed: Annotated[
        bool, typer.Option("--failed", help="Only the connector instances and tasks that FAILED.")
    ] = False,
    root: RootOption = Path("."),
    no_color: NoColorOption = False,
) -> None:
    """Restart connectors and their tasks (with --failed only those that FAILED). Exit 1 if a restart
    is refused."""
    out = console(no_color)
    refused = 0
    with handled(no_color):
        config = project(root, env)
        from mqctl.connect import ConnectClient, ConnectFailure
        from mqctl.kinds.connectors.status import connector_report

        connect = ConnectClient(config.environment)
        statuses = connect.connectors()
        prefix = config.environment.prefix
        names = sorted(n for n in statuses if n.startswith(prefix))
        if name is not None:
            if prefix + name not in statuses:
                known = ", ".join(n[len(prefix) :] for n in names) or "none"
                raise MqctlError(f"environment {env} has no connector {name!r} on the worker (it has: {known})")
            names = [prefix + name]
        for full in names:
            if failed and not connector_report(statuses[full]).failed:
                out.print(f"{full}: nothing failed", markup=False)
                continue
            try:
                after = connector_report(connect.restart(full, only_failed=failed))
            except ConnectFailure as exc:
                out.print(f"{full}: not restarted: {exc.reason}", markup=False)
                refused += 1
                continue
            restarting = [i.what for i in after.instances if i.state == "RESTARTING"]
            out.print(f"{full}: restarting {', '.join(restarting) or 'nothing'}", markup=False)
    if refused:
        raise typer.Exit(1)
