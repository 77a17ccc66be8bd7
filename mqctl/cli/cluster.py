"""`mqctl cluster info | health | elect-leaders`: what is this cluster, is it healthy, and put
leadership back where it belongs."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mqctl.cli.args import choice, number
from mqctl.cli.common import EnvOption, NoColorOption, RootOption, console, escape, handled, project
from mqctl.diagnostics import MqctlError

if TYPE_CHECKING:
    from mqctl.kafka.certificates import CertificateInfo

app = typer.Typer(help="Inspect the cluster of an environment.", no_args_is_help=True)


@app.command("info")
def info(
    env: EnvOption,
    root: RootOption = Path("."),
    output: Annotated[str, typer.Option("-o", "--output", "--format", metavar="FORMAT", help="text or json")] = "text",
    no_color: NoColorOption = False,
) -> None:
    """Cluster id, controller, brokers (id, address, rack), topic/partition counts, how mqctl
    connects (protocol, SASL mechanism, principal) and, over TLS, each broker's certificate."""
    with handled():
        config = project(root, env)
        from mqctl.kafka.admin import KafkaAdmin

        with closing(KafkaAdmin(config.environment)) as admin:
            info = admin.cluster_info()
    out = console(no_color)
    warn_days = config.environment.security.certificate_warning_days
    if output == "json":
        out.print_json(
            json.dumps(
                {
                    "environment": env,
                    "cluster_id": info.cluster_id,
                    "controller_id": info.controller_id,
                    "brokers": [b.__dict__ for b in info.brokers],
                    "topics": info.topic_count,
                    "internal_topics": info.internal_topic_count,
                    "partitions": info.partition_count,
                    "security": {
                        "protocol": info.protocol,
                        "sasl_mechanism": info.sasl_mechanism,
                        "principal": info.principal,
                        "certificate_warning_days": warn_days,
                        "broker_certificates": {
                            str(b): c if isinstance(c, str) else c.to_dict() for b, c in info.certificates.items()
                        },
                    },
                }
            )
        )
        return
    for problem in config.warnings:
        out.print(f"[yellow]warning:[/] {escape(str(problem))}")
    out.print(f"environment  {env}  ({config.environment.bootstrap_servers})")
    mechanism = f", {info.sasl_mechanism}" if info.sasl_mechanism else ""
    out.print(escape(f"security     {info.protocol}{mechanism}, as {info.principal}"))
    out.print(f"cluster id   {info.cluster_id}")
    out.print(f"controller   {info.controller_id}")
    from rich.table import Table

    table = Table("broker", "address", "rack", title=f"{len(info.brokers)} broker(s)", title_justify="left")
    if info.certificates:
        table.add_column("certificate")
    for b in info.brokers:
        cells = [str(b.id), f"{b.host}:{b.port}", b.rack or "-"]
        if info.certificates:
            cells.append(_certificate_cell(info.certificates.get(b.id, "not read"), warn_days))
        table.add_row(*cells)
    out.print(table)
    out.print(
        f"topics       {info.topic_count} (+{info.internal_topic_count} internal), "
        f"{info.partition_count} partitions"
    )


def _certificate_cell(cert: CertificateInfo | str, warn_days: int) -> str:
    """Subject, issuer and expiry on three lines; the expiry in yellow when it is within `warn_days`,
    red once it has passed."""
    if isinstance(cert, str):
        return f"[red]{escape(cert)}[/]"
    days = cert.days_left()
    expiry = f"expires {cert.not_after:%Y-%m-%d %H:%M} UTC"
    if days < 0:
        expiry = f"[red]{expiry}: EXPIRED[/]"
    elif days < warn_days:
        expiry = f"[yellow]{expiry}, in {days:.0f} day(s) (warning at {warn_days})[/]"
    else:
        expiry += f", in {days:.0f} days"
    return f"{escape(cert.subject)}\nissued by {escape(cert.issuer)}\n{expiry}"


TopicsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--topics",
        metavar="GLOB",
        help="Only topics matching this glob of full names (repeatable), e.g. 'prod.*' for one environment's.",
    ),
]
EXIT_PROBLEMS = 2


@app.command("health")
def health(
    env: EnvOption,
    root: RootOption = Path("."),
    output: Annotated[
        str, typer.Option("-o", "--output", "--format", metavar="FORMAT", help="text, json or markdown")
    ] = "text",
    topics: TopicsOption = None,
    disk_warning: Annotated[
        str | None,
        typer.Option(
            "--disk-warning", metavar="FRACTION", show_default=False,
            help="Used fraction of a log dir's volume that is a problem (default 0.85: the design alerts at 85 %).",
        ),
    ] = None,
    no_color: NoColorOption = False,
) -> None:
    """One read of the cluster: offline, under-replicated and under-min-ISR partitions, rack spread,
    leadership, the controller quorum, disk use, broker config drift and, over TLS, broker certificate
    expiry. Exit 0 healthy, 2 problems, 1 error (including a check that could not run)."""
    with handled(no_color):
        from mqctl.render.health import FORMATS as HEALTH_FORMATS  # rendering loads with the command

        fmt = choice("--output", output, tuple(HEALTH_FORMATS))
        from mqctl.health import DISK_WARNING_FRACTION, Status  # the checks load with the command

        fraction = DISK_WARNING_FRACTION if disk_warning is None else number("--disk-warning", disk_warning)
        if fraction > 1:
            raise MqctlError(f"--disk-warning is a fraction of the volume (0-1], got {disk_warning!r}")
        from mqctl.workflows.health import HealthOptions, cluster_health

        report = cluster_health(root, env, HealthOptions(tuple(topics or ()), fraction))
    HEALTH_FORMATS[fmt](console(no_color), report)
    if report.status is Status.PROBLEMS:
        raise typer.Exit(EXIT_PROBLEMS)
    if report.status is Status.ERROR:
        raise typer.Exit(1)


@app.command("elect-leaders")
def elect_leaders(
    env: EnvOption,
    root: RootOption = Path("."),
    topics: TopicsOption = None,
    execute: Annotated[bool, typer.Option("--execute", help="Run the elections (default: only show them).")] = False,
    no_color: NoColorOption = False,
) -> None:
    """Move leadership back to each partition's preferred replica (after a broker restart). A dry
    run by default: exit 0 nothing to do, 2 elections to run; with --execute, 0 done, 1 failures."""
    with handled(no_color):
        from mqctl.workflows.health import elect_leaders as run

        found = run(root, env, tuple(topics or ()), execute)
    out = console(no_color)
    for p in found.electable:
        reason = (found.outcome or {}).get((p.topic, p.partition))
        state = "" if found.outcome is None else ("  done" if reason is None else f"  failed: {reason}")
        out.print(escape(f"  {p.topic}[{p.partition}]  leader {p.leader} → {p.replicas[0]}{state}"))
    for p in found.blocked:
        out.print(escape(f"  {p.topic}[{p.partition}]  leader {p.leader}; preferred {p.replicas[0]} is not in sync "
                         f"(isr {','.join(map(str, p.isr)) or '-'}): not electable yet"))  # fmt: skip
    if found.outcome is None:
        verb = "would move" if found.electable else "No partition needs a preferred-leader election"
        if found.electable:
            out.print(f"{len(found.electable)} partition(s): the election {verb} leadership back; run with --execute.")
            raise typer.Exit(EXIT_PROBLEMS)
        out.print(f"{verb}.")
        return
    failed = [k for k, reason in found.outcome.items() if reason is not None]
    out.print(f"Elected {len(found.outcome) - len(failed)} preferred leader(s), {len(failed)} failed.")
    if failed:
        raise typer.Exit(1)
