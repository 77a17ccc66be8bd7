"""`mqctl template <kind>`: the design's broker, producer, consumer and topic settings, with reasons."""

from __future__ import annotations

from typing import Annotated

import typer

from mqctl.cli.args import choice, optional_whole
from mqctl.cli.common import handled
from mqctl.diagnostics import MqctlError

app = typer.Typer(
    help="Print tuning templates (durable | throughput | latency) as .properties, YAML or JSON.",
    no_args_is_help=True,
)

ProfileOption = Annotated[str, typer.Option("--profile", "-p", metavar="PROFILE",
    help="durable, throughput or latency.")]
OutputOption = Annotated[str, typer.Option("-o", "--output", "--format", metavar="FORMAT",
    help="properties, yaml or json.")]


def _print(kind: str, profile: str, output: str, cores: str | None = None, disks: str | None = None,
           rack: str | None = None) -> None:
    from mqctl import templates

    with handled():
        fmt = choice("--output", output, templates.OUTPUTS)
        try:
            rendered = templates.render(
                kind, profile,
                cores=optional_whole("--cores", cores), disks=optional_whole("--disks", disks), rack=rack,
            )
        except templates.TemplateError as exc:
            raise MqctlError(str(exc)) from None
    typer.echo(templates.FORMATTERS[fmt](rendered), nl=False)


@app.command("broker")
def broker(
    profile: ProfileOption = "durable",
    cores: Annotated[str | None, typer.Option("--cores", metavar="N", help="CPU cores of the broker host.")] = None,
    disks: Annotated[str | None, typer.Option("--disks", metavar="N", help="Data disks (one log dir each).")] = None,
    rack: Annotated[str | None, typer.Option("--rack", metavar="RACK", help="broker.rack of this host.")] = None,
    output: OutputOption = "properties",
) -> None:
    """server.properties for a broker host; thread counts and log dirs follow --cores and --disks."""
    _print("broker", profile, output, cores, disks, rack)


@app.command("producer")
def producer(profile: ProfileOption = "durable", output: OutputOption = "properties") -> None:
    """Producer properties: acks=all, idempotence, retries with backoff, 64 KB LZ4 batches."""
    _print("producer", profile, output)


@app.command("consumer")
def consumer(profile: ProfileOption = "durable", output: OutputOption = "properties") -> None:
    """Consumer properties: manual commit, 500 records per poll, 30 s session."""
    _print("consumer", profile, output)


@app.command("topic")
def topic(profile: ProfileOption = "durable", output: OutputOption = "properties") -> None:
    """Topic settings: 3 replicas, min ISR 2, 7-day retention, LZ4."""
    _print("topic", profile, output)
