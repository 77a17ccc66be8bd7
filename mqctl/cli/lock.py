"""`mqctl lock status|break`: see, and explicitly break, an environment's apply lock."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import typer

from mqctl.cli.common import EnvOption, NoColorOption, RootOption, console, handled, project

app = typer.Typer(help="The apply lock: one apply at a time per environment.", no_args_is_help=True)


@app.command("status")
def status(env: EnvOption, root: RootOption = Path("."), no_color: NoColorOption = False) -> None:
    """Who holds the lock of an environment. Exit 0 free, 2 held, 1 error."""
    out = console(no_color)
    with handled():
        from mqctl.kafka.lock import ApplyLock

        with closing(ApplyLock(project(root, env).environment)) as lock:
            held = lock.holder()
    if held is None:
        out.print(f"environment {env} is not locked")
        return
    out.print(f"environment {env} is locked by {held.describe()}")
    raise typer.Exit(2)


@app.command("break")
def break_lock(env: EnvOption, root: RootOption = Path("."), no_color: NoColorOption = False) -> None:
    """Remove the lock whoever holds it (for a lock left by an apply that was killed)."""
    out = console(no_color)
    with handled():
        from mqctl.kafka.lock import ApplyLock

        with closing(ApplyLock(project(root, env).environment)) as lock:
            held = lock.break_()
    if held is None:
        out.print(f"environment {env} was not locked; nothing to break")
    else:
        out.print(f"broke the lock of environment {env} held by {held.describe()}")
