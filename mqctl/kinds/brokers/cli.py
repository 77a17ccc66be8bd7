"""`mqctl brokers check`: does every broker run with the broker template's settings?

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

        live = Edges(config.environment).service(BrokerConfigAdmin).describe_brokers()
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
