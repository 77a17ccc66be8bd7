"""Command-line wiring only: flags -> library calls -> exit codes. No decisions are made here.

Exit codes follow Terraform's -detailed-exitcode: 0 success / no changes, 1 error, 2 changes present.
The Kafka and registry clients take about 0.3 s to import: commands import them only when they
connect, so offline ones (validate, partitions calc, template) start without them.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Annotated

import typer

from mqctl import redact
from mqctl.cli import cluster, export, init, lock, partitions, specs, template
from mqctl.cli.common import console
from mqctl.kinds import KINDS

app = typer.Typer(
    name="mqctl",
    help="Keep a Kafka cluster's topics, ACLs, users, client quotas, consumer groups, schemas, broker config "
    "and connectors in the state your git repository describes.\n\nExit codes: 0 ok or no changes, 1 error, "
    "2 changes present (plan) or left undone (apply). Shell completion: mqctl --install-completion.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Click's plain help: typer's rich panels label every flag `<bool>` and every value `<str>`;
    # plain help shows flags bare and values by their metavar (--env ENV, --out FILE).
    rich_markup_mode=None,
)


def _version(shown: bool) -> None:
    if shown:
        from importlib.metadata import version  # 50 ms of imports: only for --version

        typer.echo(f"mqctl {version('mqctl')}")
        raise typer.Exit()


@app.callback()
def _options(
    _show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print mqctl's version and exit."),
    ] = False,
) -> None:
    """Options of mqctl itself (the app's help is given above)."""
app.command()(init.init)
app.command()(specs.validate)
app.command()(specs.plan)
app.command()(specs.apply)
app.command()(export.export)
app.add_typer(cluster.app, name="cluster")
app.add_typer(partitions.app, name="partitions")
app.add_typer(template.app, name="template")
app.add_typer(export.schema_app, name="schema")
app.add_typer(lock.app, name="lock")
for kind in KINDS:  # the kinds' own commands (`mqctl brokers check`)
    for name, group in kind.commands():
        app.add_typer(group, name=name)


def _internal_error(exc: Exception) -> int:
    """A bug, not bad input: one paragraph and exit 1 instead of a traceback in a CI log (where a
    library's exception text could carry configuration); MQCTL_DEBUG=1 shows the traceback (redacted)."""
    err = console(stderr=True)
    if os.environ.get("MQCTL_DEBUG"):
        err.out("".join(traceback.format_exception(exc)), highlight=False)
    err.print(
        f"error: mqctl hit an internal error ({type(exc).__name__}: {exc}). This is a bug: please report it "
        "with the command that caused it; MQCTL_DEBUG=1 shows the traceback.",
        markup=False,
    )
    return 1


def main() -> None:
    """Click exits 2 on a usage error (a mistyped flag), which CI reads as "plan has changes": exit 1.
    All output goes through the redaction layer (mqctl.redact), installed first."""
    redact.install()
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # a usage error: typer would show it and exit 2
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            console(stderr=True).print(f"error: {exc}", markup=False)
        code = 1
    except typer.Abort:
        console(stderr=True).print("interrupted")
        code = 130
    except Exception as exc:  # never a traceback: see _internal_error
        code = _internal_error(exc)
    sys.exit(code if isinstance(code, int) else 0)
