"""`mqctl cluster info`: what is this cluster, how does mqctl reach it, and can it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from mqctl.cli.common import EnvOption, NoColorOption, RootOption, console, handled, project

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

        info = KafkaAdmin(config.environment).cluster_info()
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
