"""`mqctl cluster info`: what is this cluster, and can we reach it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from mqctl.cli.common import EnvOption, NoColorOption, RootOption, console, handled, project

app = typer.Typer(help="Inspect the cluster of an environment.", no_args_is_help=True)


@app.command("info")
def info(
    env: EnvOption,
    root: RootOption = Path("."),
    output: Annotated[str, typer.Option("-o", "--output", "--format", metavar="FORMAT", help="text or json")] = "text",
    no_color: NoColorOption = False,
) -> None:
    """Cluster id, controller, brokers (id, address, rack) and topic/partition counts."""
    with handled():
        config = project(root, env)
        from mqctl.kafka.admin import KafkaAdmin

        info = KafkaAdmin(config.environment).cluster_info()
    out = console(no_color)
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
                }
            )
        )
        return
    out.print(f"environment  {env}  ({config.environment.bootstrap_servers})")
    out.print(f"cluster id   {info.cluster_id}")
    out.print(f"controller   {info.controller_id}")
    from rich.table import Table

    table = Table("broker", "address", "rack", title=f"{len(info.brokers)} broker(s)", title_justify="left")
    for b in info.brokers:
        table.add_row(str(b.id), f"{b.host}:{b.port}", b.rack or "-")
    out.print(table)
    out.print(
        f"topics       {info.topic_count} (+{info.internal_topic_count} internal), "
        f"{info.partition_count} partitions"
    )
