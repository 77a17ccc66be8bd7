"""`mqctl export` (specs from a live cluster) and `mqctl schema export` (JSON Schemas for editors)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mqctl.cli.common import EnvOption, NoColorOption, RootOption, console, handled
from mqctl.exporting import SCHEMA_DIR

schema_app = typer.Typer(help="JSON Schemas of the spec files, for editor completion and checks.", no_args_is_help=True)


def export(
    env: EnvOption,
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR", help="Directory to write the specs to.")],
    include: Annotated[
        list[str] | None, typer.Option("--include", metavar="GLOB",
            help="Only names (without the environment) matching this glob.")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", metavar="GLOB",
            help="Skip names (without the environment) matching this glob.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite spec files that already exist.")] = False,
    root: RootOption = Path("."),
    no_color: NoColorOption = False,
) -> None:
    """Write specs for everything this environment manages, so that `mqctl plan` there is empty."""
    from rich.markup import escape

    from mqctl.config import CONFIG_FILE  # the configuration's dataclasses load with the command
    from mqctl.exporting import Selection
    from mqctl.workflows.export import export_project

    out = console(no_color)
    with handled(no_color):
        run = export_project(root, env, out_dir, Selection(tuple(include or ()), tuple(exclude or ())), force)
    result = run.result
    if run.config_copied:
        out.print(f"copied {CONFIG_FILE} (unchanged: ${{VAR}} placeholders, no secret values)")
    for file in result.files:
        out.print(f"wrote {escape(file.path)}")
    out.print(f"wrote {len(run.schemas)} JSON Schemas to {SCHEMA_DIR}/ for editors")
    for note in result.notes:
        out.print(f"[yellow]note:[/] {escape(note)}")
    if result.left_out:
        out.print(
            f"[yellow]note:[/] left out {len(result.left_out)} resource(s) by --include/--exclude; those this "
            "environment manages show in a plan from the export as deletes (or broker-config drift): "
            + escape(", ".join(result.left_out))
        )
    for kind, why in run.unavailable.items():
        out.print(f"[yellow]note:[/] {kind} not exported: {escape(why)}")
    if result.variables:
        out.print(
            "[yellow]set before plan/apply:[/] "
            + ", ".join(result.variables)
            + " (the current secrets: each user's password, which Kafka never reveals, so plan cannot compare it "
            "and apply sets it only for a new or changed credential, or with rotate: true; each connector "
            "secret, which plan compares with the worker's value)"
        )


@schema_app.command("export")
def schema_export(
    out_dir: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Directory to write the schemas to.")
    ] = Path(SCHEMA_DIR),
    no_color: NoColorOption = False,
) -> None:
    """Write the JSON Schemas of mqctl.yaml and every spec kind, for yaml-language-server modelines."""
    from rich.markup import escape

    from mqctl.workflows.export import export_schemas

    out = console(no_color)
    with handled(no_color):
        written = export_schemas(out_dir)
    for path in written:
        out.print(f"wrote {escape(str(path))}")
