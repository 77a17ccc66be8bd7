"""`mqctl init`: start a new project (mqctl.yaml, a folder per kind, editor schemas, a CI pipeline)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mqctl.cli.common import NoColorOption, RootOption, console, escape, handled


def init(
    env: Annotated[
        str, typer.Option("--env", "-e", metavar="ENV", help="The environment mqctl.yaml starts with.")
    ] = "dev",
    bootstrap: Annotated[
        str, typer.Option("--bootstrap", metavar="HOST:PORT,...", help="Its bootstrap servers.")
    ] = "127.0.0.1:9092",
    ci: Annotated[
        str, typer.Option("--ci", metavar="CI", help="The pipeline to add: github, gitlab or none.")
    ] = "github",
    registry: Annotated[
        str | None, typer.Option("--registry", metavar="URL", help="Its schema registry (makes schemas/).")
    ] = None,
    connect: Annotated[
        str | None, typer.Option("--connect", metavar="URL", help="Its Kafka Connect worker (makes connectors/).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that already exist.")] = False,
    root: RootOption = Path("."),
    no_color: NoColorOption = False,
) -> None:
    """Start a new project here: mqctl.yaml with one environment, a spec folder per kind, the JSON
    Schemas for editors (.mqctl/schemas) and a CI pipeline. Exit 0 written, 1 refused (nothing written)."""
    from mqctl.workflows.init import scaffold, write_scaffold  # the workflows load with the command

    out = console(no_color)
    with handled(no_color):
        made = scaffold(env, bootstrap, None if ci == "none" else ci, registry, connect)
        written = write_scaffold(root, made, force)
    out.print(f"wrote mqctl.yaml, {', '.join(f + '/' for f in made.folders)}, {len(written) - len(made.files)} "
              "editor schemas in .mqctl/schemas"
              + "".join(f", {escape(p)}" for p in made.files if p.startswith(".")))
    for kind, why in made.left_out.items():
        out.print(f"no {escape(kind)}/ folder: {escape(why)} (its section is commented out in mqctl.yaml)")
    out.print(
        f"next: mqctl validate, then mqctl plan --env {escape(env)}. An empty spec folder means \"none of this "
        "kind\": to adopt what the cluster already holds, write its specs with "
        f"mqctl export --env {escape(env)} --out . --force; delete the folder of a kind mqctl should leave alone."
    )
