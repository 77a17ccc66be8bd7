"""`mqctl brokers check`: does every broker run with the broker template's settings?
`mqctl brokers drain`: move every replica (of the chosen topics) off a broker.

Exit codes follow Terraform's -detailed-exitcode: 0 no difference, 2 differences, 1 error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mqctl.cli.args import choice, optional_whole
from mqctl.cli.common import EnvOption, NoColorOption, RootOption, console, handled, project
from mqctl.diagnostics import MqctlError

if TYPE_CHECKING:  # the templates (YAML) load when the command runs, not for `mqctl --help`
    from mqctl.kinds.brokers.check import BrokerCheck
    from mqctl.plan import Plan

app = typer.Typer(help="Inspect the brokers of an environment.", no_args_is_help=True)


def _lines(report: BrokerCheck) -> list[str]:
    """One block per differing key; brokers with the same value and source share a line."""
    from mqctl.kinds.brokers.check import CHANGES

    lines = []
    for diff in report.differences:
        lines.append(f"~ {diff.key}: template {diff.expected}  [{diff.change}: {CHANGES[diff.change]}]")
        groups: dict[tuple[str | None, str, bool], list[int]] = {}
        for b in diff.brokers:
            groups.setdefault((b.value, b.origin, b.matches), []).append(b.broker)
        for (value, origin, matches), ids in groups.items():
            label = "broker" if len(ids) == 1 else "brokers"
            mark = "=" if matches else "≠"
            lines.append(f"    {mark} {label} {', '.join(map(str, ids))}: "
                         f"{'-' if value is None else value} ({origin})")
    return lines


@app.command("check")
def check(
    env: EnvOption,
    profile: Annotated[
        str, typer.Option("--profile", "-p", metavar="PROFILE", help="durable, throughput or latency.")
    ] = "durable",
    cores: Annotated[str | None, typer.Option("--cores", metavar="N", help="CPU cores of the broker hosts.")] = None,
    disks: Annotated[str | None, typer.Option("--disks", metavar="N", help="Data disks per broker host.")] = None,
    root: RootOption = Path("."),
    output: Annotated[str, typer.Option("-o", "--output", "--format", metavar="FORMAT", help="text or json")] = "text",
    no_color: NoColorOption = False,
) -> None:
    """Compare each broker's live config (static keys included) with `mqctl template broker`."""
    from mqctl import templates
    from mqctl.kinds.brokers.check import check_brokers

    with handled():
        fmt = choice("--output", output, ("text", "json"))
        try:
            template = templates.render(
                "broker", profile,
                cores=optional_whole("--cores", cores), disks=optional_whole("--disks", disks),
            )
        except templates.TemplateError as exc:
            raise MqctlError(str(exc)) from None
        config = project(root, env)
        from mqctl.edges import Edges
        from mqctl.kinds.brokers.admin import BrokerConfigAdmin

        with Edges(config.environment) as edges:
            live = edges.service(BrokerConfigAdmin).describe_brokers()
        report = check_brokers(template, live)
    out = console(no_color)
    if fmt == "json":
        out.print_json(json.dumps({"environment": env, **report.to_dict()}))
    else:
        machine = template.machine
        shape = f", {machine.cores} cores, {machine.disks} disk(s)" if machine else ""
        out.print(f"environment  {env}  ({config.environment.bootstrap_servers})", markup=False)
        out.print(f"template     broker --profile {profile}{shape}", markup=False)
        out.print(f"checked      {len(report.checked)} keys on {len(report.brokers)} broker(s); "
                  f"skipped {', '.join(report.skipped) or 'none'} (host-specific or unset)", markup=False)
        if report.differences:
            count = len(report.differences)
            out.print(f"{count} difference(s); live values with their source:", markup=False)
            for line in _lines(report):
                out.print(line, markup=False)
        else:
            out.print("no differences", markup=False)
    if report.differences:
        raise typer.Exit(2)


@app.command("drain")
def drain(
    env: EnvOption,
    broker: Annotated[int, typer.Argument(help="The id of the broker to move replicas off.", show_default=False)],
    topics: Annotated[
        list[str] | None,
        typer.Option(
            "--topics", metavar="GLOB",
            help="Only topics matching this glob of full names (repeatable), e.g. 'prod.*'. "
            "Default: every topic, other environments' and internal ones included.",
        ),
    ] = None,
    execute: Annotated[bool, typer.Option("--execute", help="Move the replicas (default: show the plan).")] = False,
    root: RootOption = Path("."),
    output: Annotated[
        str, typer.Option("-o", "--output", "--format", metavar="FORMAT", help="text, json or markdown")
    ] = "text",
    no_color: NoColorOption = False,
) -> None:
    """Plan moving every replica off BROKER (decommission), rack-aware, as a throttled reassignment;
    a dry run unless --execute. Exit 0 nothing to move, 2 moves planned, 1 error (or a move failed)."""
    from mqctl.render.formats import FORMATS

    out = console(no_color)
    with handled(no_color):
        fmt = choice("--output", output, tuple(FORMATS))
        config = project(root, env)
        from mqctl.kinds.topics.drain import drain_broker, read_drain

        notify = lambda line: out.print(line, markup=False)  # noqa: E731 - progress of the moves
        selected = tuple(topics or ())

        def show(plan: Plan) -> None:
            if plan.changes or plan.errors or fmt != "text":
                FORMATS[fmt].render(out, plan)
            else:
                out.print(f"Broker {broker} holds no replica of the selected topics: nothing to move.", markup=False)

        if not execute:
            from mqctl.edges import Edges

            with Edges(config.environment, notify) as edges:
                plan = read_drain(edges, broker, selected)
            show(plan)
            raise typer.Exit(1 if plan.errors else 2 if plan.changes else 0)
        run = drain_broker(config, broker, selected, show, notify)
        for topic, reason in sorted(run.outcome.items()):
            out.print(f"✓ drained {topic}" if reason is None else f"✗ not drained {topic}: {reason}", markup=False)
        if run.lock_error is not None:  # after the report: what was moved must still be said
            raise MqctlError(run.lock_error)
    if run.failed:
        raise typer.Exit(1)
