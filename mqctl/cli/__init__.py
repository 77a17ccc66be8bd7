"""Command-line wiring only: flags -> library calls -> exit codes. No decisions are made here.

Exit codes follow Terraform's -detailed-exitcode: 0 success / no changes, 1 error, 2 changes present.
The Kafka and registry clients take about 0.3 s to import: commands import them only when they
connect, so offline ones (validate, partitions calc, template) start without them.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Annotated, NoReturn

import typer

from mqctl import redact
from mqctl.cli.common import console
from mqctl.kinds import KINDS

HELP = (
    "Keep a Kafka cluster's topics, ACLs, users, client quotas, consumer groups, schemas, broker config "
    "and connectors in the state your git repository describes.\n\nExit codes: 0 ok or no changes, 1 error, "
    "2 changes present (plan) or left undone (apply). Shell completion: mqctl --install-completion."
)


def _version(shown: bool) -> None:
    if shown:
        from importlib.metadata import version  # 50 ms of imports: only for --version

        typer.echo(f"mqctl {version('mqctl')}")
        raise typer.Exit()


def _options(
    _show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print mqctl's version and exit."),
    ] = False,
) -> None:
    """Options of mqctl itself (the app's help is given above)."""


def _commands() -> dict[str, Callable[[typer.Typer], None]]:
    """Top-level name -> how to mount it; each imports its module only when called."""

    def command(module: str, function: str) -> Callable[[typer.Typer], None]:
        return lambda app: app.command()(getattr(importlib.import_module(f"mqctl.cli.{module}"), function))

    def loaded(module: str, attribute: str) -> Callable[[], typer.Typer]:
        return lambda: getattr(importlib.import_module(f"mqctl.cli.{module}"), attribute)

    def group(name: str, load: Callable[[], typer.Typer]) -> Callable[[typer.Typer], None]:
        return lambda app: app.add_typer(load(), name=name)

    mounts = {
        "init": command("init", "init"),
        "validate": command("specs", "validate"),
        "plan": command("specs", "plan"),
        "apply": command("specs", "apply"),
        "export": command("export", "export"),
        "cluster": group("cluster", loaded("cluster", "app")),
        "partitions": group("partitions", loaded("partitions", "app")),
        "template": group("template", loaded("template", "app")),
        "schema": group("schema", loaded("export", "schema_app")),
        "lock": group("lock", loaded("lock", "app")),
    }
    for kind in KINDS:  # the kinds' own commands (`mqctl brokers check`)
        for name, load in kind.commands():
            mounts[name] = group(name, load)
    return mounts


def build_app(only: str | None = None) -> typer.Typer:
    """The CLI; with `only`, just that top-level command mounted: typer reads the signature of every
    mounted function, and the other commands' modules need not be imported at all."""
    built = typer.Typer(
        name="mqctl",
        help=HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        # Click's plain help: typer's rich panels label every flag `<bool>` and every value `<str>`;
        # plain help shows flags bare and values by their metavar (--env ENV, --out FILE).
        rich_markup_mode=None,
    )
    built.callback()(_options)
    for name, mount in _commands().items():
        if only is None or name == only:
            mount(built)
    return built


def _command_of(argv: Sequence[str]) -> str | None:
    """The top-level command `argv` runs, None for `mqctl --help`, `--version` or a mistyped name."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in _commands() else None


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # the whole CLI, for tests and completion
        return build_app()
    raise AttributeError(name)


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


def main() -> NoReturn:
    """The command of sys.argv, then leave without the interpreter's teardown (`leave`). The `mqctl`
    script and `python -m mqctl` reach it through mqctl.__main__, which sets the run's GC thresholds
    before this module's imports."""
    leave(run())


def run() -> int:
    """The command of sys.argv, as an exit code. Click exits 2 on a usage error (a mistyped flag),
    which CI reads as "plan has changes": exit 1. All output goes through the redaction layer
    (mqctl.redact), installed first."""
    redact.install()
    try:
        code = build_app(_command_of(sys.argv[1:]))(standalone_mode=False)
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
    return code if isinstance(code, int) else 0


def leave(code: int) -> NoReturn:
    """Flush the output and close logging's handlers, then os._exit. CPython's own exit destroys
    librdkafka's handles (joining their broker threads) and tears down every module: 60-80 ms of a
    0.3 s `plan` of 500 topics, 10-20 ms of `validate`, measured. mqctl needs none of it: a command
    returns only after closing its files and consumers and flushing its producers, and a snapshot
    still waiting on a silent cluster (a daemon thread) has nothing to finish."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (`mqctl plan | head`): nothing more to say
            pass
    logging = sys.modules.get("logging")  # not loaded by every command (mqctl.redact)
    if logging is not None:
        logging.shutdown()
    os._exit(code)
