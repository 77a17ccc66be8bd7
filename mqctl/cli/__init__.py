"""Command-line wiring only: flags -> library calls -> exit codes. No decisions are made here.

Exit codes follow Terraform's -detailed-exitcode: 0 success / no changes, 1 error, 2 changes present.
"""

from __future__ import annotations

import typer

from mqctl.cli import brokers, cluster, partitions, specs, template

app = typer.Typer(
    name="mqctl",
    help="Keep Kafka topics, ACLs, users, schemas and broker config in the state your git repo describes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(specs.validate)
app.command()(specs.plan)
app.command()(specs.apply)
app.add_typer(cluster.app, name="cluster")
app.add_typer(partitions.app, name="partitions")
app.add_typer(brokers.app, name="brokers")
app.add_typer(template.app, name="template")


def main() -> None:
    app()
