"""Options and error handling shared by every command.

Cheap to import: `mqctl --help` builds every command from these modules, so rich, the config
loader and everything behind them load inside the functions that use them.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from mqctl import redact
from mqctl.diagnostics import MqctlError
from mqctl.textsafe import visible

if TYPE_CHECKING:
    from rich.console import Console

    from mqctl.config import ProjectConfig

EnvOption = Annotated[str, typer.Option("--env", "-e", metavar="ENV", help="Environment name from mqctl.yaml.")]
RootOption = Annotated[
    Path, typer.Option("--root", metavar="DIR", help="Project root holding mqctl.yaml and the spec folders.")
]
NoColorOption = Annotated[bool, typer.Option("--no-color", help="Plain output (also when NO_COLOR is set).")]
OptionalEnvOption = Annotated[
    str | None, typer.Option("--env", "-e", metavar="ENV", help="Environment name from mqctl.yaml (or --all-envs).")
]
AllEnvsOption = Annotated[
    bool, typer.Option("--all-envs", help="Every environment of mqctl.yaml, concurrently; exit code: the worst.")
]
TargetOption = Annotated[
    list[str] | None,
    typer.Option("--target", metavar="KIND:NAME",
        help="Only KIND:NAME (globs, NAME without the environment), e.g. 'topics:order.*'."),
]
AllowOption = Annotated[
    list[str] | None,
    typer.Option("--allow", metavar="CLASS",
        help="A change class a policy forbids (retention-cut, keyed-partition-increase, ...)."),
]


def escape(text: str) -> str:
    """rich.markup.escape, loaded when something is printed (rich's markup module pulls in most of
    rich: 0.3 s that `mqctl --help` need not pay)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def console(no_color: bool = False, stderr: bool = False) -> Console:
    """A rich console that respects --no-color / NO_COLOR and is never wider than a CI log needs.
    It writes through the redaction layer (mqctl.redact), even when `main` did not install it
    (tests, or mqctl used as a library)."""
    from rich.console import Console

    plain = no_color or bool(os.environ.get("NO_COLOR"))
    stream = redact.wrap(sys.stderr if stderr else sys.stdout)
    # Off a terminal (CI logs, pipes) lines are never folded: a folded error line is hard to grep.
    # emoji=False: spec text such as ":warning:" is printed as written, never as a symbol.
    return Console(file=stream, stderr=stderr, no_color=plain, highlight=False, emoji=False,
                   soft_wrap=not stream.isatty())


def _readable(message: str) -> str:
    """A message's own lines kept; control characters from spec text in it shown as escapes."""
    return "\n".join(visible(line) for line in message.split("\n"))


def plain_stream(no_color: bool, stream: IO[str]) -> bool:
    """Whether rich would print plain text to `stream` anyway, so a command may print there without
    loading it (~25 ms of a 0.14 s validate): off a terminal (where console() never folds lines)
    and without colour: turned off (--no-color, NO_COLOR), or not forced on by TTY_COMPATIBLE=1 or
    FORCE_COLOR (https://force-color.org), which rich obeys in that order."""
    try:
        if stream.isatty():
            return False
    except ValueError:  # a closed stream: rich takes it for no terminal
        pass
    if no_color or os.environ.get("NO_COLOR"):
        return True
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "0"
    return not os.environ.get("FORCE_COLOR")


def console_to_buffer(no_color: bool = False) -> Console:
    """A console writing to memory, for output shown later as one block (one environment of many)."""
    from rich.console import Console

    plain = no_color or bool(os.environ.get("NO_COLOR"))
    return Console(file=io.StringIO(), no_color=plain, highlight=False, emoji=False, soft_wrap=True,
                   force_terminal=False if plain else None)


def buffered_text(buffer: Console) -> str:
    stream = buffer.file
    return stream.getvalue() if isinstance(stream, io.StringIO) else ""


def fail(error: MqctlError, no_color: bool = False) -> typer.Exit:
    """Print an MqctlError (and each of its diagnostics) to stderr; the caller raises the Exit.
    Messages are escaped: `topics[dev.a.v1]` in a message is text, not rich markup."""
    from rich.markup import escape

    err = console(no_color, stderr=True)
    if error.diagnostics:
        for diag in error.diagnostics:
            err.print(f"[red]error:[/red] {escape(str(diag))}", markup=True, highlight=False)
        err.print(f"{_readable(error.message)}: {len(error.diagnostics)} problem(s)", markup=False)
    else:
        err.print(f"[red]error:[/red] {escape(_readable(error.message))}", highlight=False)
    return typer.Exit(1)


@contextmanager
def handled(no_color: bool = False) -> Iterator[None]:
    """Turn MqctlError into a readable message and exit code 1, never a traceback."""
    try:
        yield
    except MqctlError as exc:
        raise fail(exc, no_color) from None
    except KeyboardInterrupt:
        console(no_color, stderr=True).print("interrupted")
        raise typer.Exit(130) from None


def project(root: Path, env: str) -> ProjectConfig:
    from mqctl.config import load_config

    return load_config(root.resolve(), env)
