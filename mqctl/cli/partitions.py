"""`mqctl partitions calc`: how many partitions a topic needs (design §3), optionally measured for real."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mqctl.cli.args import choice, number, optional_whole, whole
from mqctl.cli.common import NoColorOption, RootOption, console, handled, project
from mqctl.diagnostics import MqctlError

if TYPE_CHECKING:  # the calculator and the templates (YAML) load when the command runs
    from mqctl.calc import PartitionCalculation
    from mqctl.kafka.probe import ProbeResult

app = typer.Typer(
    help="Size topics: partitions from throughput and consumer concurrency.", no_args_is_help=True
)

DEFAULT_PROBE_MESSAGE_SIZE = 1024
MAX_MEASURE_SECONDS = 300  # the probe produces for this long on a real cluster


def _required(flag: str, text: str | None) -> str:
    if text is None:
        raise MqctlError(f"{flag} is required")
    return text


def _measurement_lines(probe: ProbeResult) -> list[str]:
    return [
        f"measured on {probe.topic} (1 partition, {probe.replication_factor} replicas, "
        f"{probe.message_size}-byte random messages, {probe.seconds:g}s)",
        f"  produce  {probe.produced:,} msgs in {probe.produce_seconds:.2f}s = "
        f"{probe.produce_msgs_per_s:,.0f} msg/s, {probe.produce_mb_per_s:,.2f} MB/s",
        f"  consume  {probe.consumed:,} msgs in {probe.consume_seconds:.2f}s = "
        f"{probe.consume_msgs_per_s:,.0f} msg/s, {probe.consume_mb_per_s:,.2f} MB/s",
        "  the produce rate is used as the per-partition throughput; probe topic deleted",
    ]


@app.command("calc")
def calc(
    target_throughput: Annotated[
        str | None, typer.Option("--target-throughput", help="Messages per second the topic must carry.")
    ] = None,
    partition_throughput: Annotated[
        str | None, typer.Option("--partition-throughput", help="Messages per second one partition carries.")
    ] = None,
    max_consumers: Annotated[
        str | None, typer.Option("--max-consumers", help="Most consumers one group runs concurrently.")
    ] = None,
    message_size: Annotated[
        str | None, typer.Option("--message-size", help="Bytes per message: MB/s shown; probe message size.")
    ] = None,
    headroom: Annotated[str, typer.Option("--headroom", help="Growth factor ≥ 1 (1.5 = 50% growth).")] = "1",
    brokers: Annotated[str | None, typer.Option("--brokers", help="Broker count of the cluster.")] = None,
    round_to_brokers: Annotated[
        bool, typer.Option("--round-to-brokers", help="Round up to a multiple of --brokers.")
    ] = False,
    measure_flag: Annotated[
        bool, typer.Option("--measure", help="Measure per-partition throughput on --env instead of guessing.")
    ] = False,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Environment to measure on.")] = None,
    measure_seconds: Annotated[str, typer.Option("--measure-seconds", help="How long to produce.")] = "5",
    profile: Annotated[
        str, typer.Option("--profile", help="Producer template profile used by --measure.")
    ] = "durable",
    root: RootOption = Path("."),
    output: Annotated[str, typer.Option("-o", "--output", help="text or json")] = "text",
    no_color: NoColorOption = False,
) -> None:
    """partitions = max(target / per-partition throughput, max consumers), then headroom and rounding."""
    from mqctl import templates
    from mqctl.calc import CalcError, calculate_partitions, explain

    probe: ProbeResult | None = None
    with handled():
        fmt = choice("--output", output, ("text", "json"))
        target = number("--target-throughput", _required("--target-throughput", target_throughput))
        consumers = whole("--max-consumers", _required("--max-consumers", max_consumers))
        size = optional_whole("--message-size", message_size)
        growth = number("--headroom", headroom)
        broker_count = optional_whole("--brokers", brokers)
        if measure_flag:
            if partition_throughput is not None:
                raise MqctlError("use either --partition-throughput or --measure, not both")
            seconds = number("--measure-seconds", measure_seconds)
            if seconds > MAX_MEASURE_SECONDS:
                raise MqctlError(f"--measure-seconds must be at most {MAX_MEASURE_SECONDS}: the probe loads a "
                                 f"real cluster that long, and a few seconds measure a rate well")
            size = size or DEFAULT_PROBE_MESSAGE_SIZE
            template = templates.render("producer", choice("--profile", profile, templates.PROFILES))
            config = project(root, _required("--env (with --measure)", env))
            from mqctl.kafka.probe import measure

            probe = measure(config.environment, seconds=seconds, message_size=size,
                            producer_template=template.values())
            per_partition = probe.produce_msgs_per_s
        else:
            per_partition = number(
                "--partition-throughput",
                _required("--partition-throughput (or --measure)", partition_throughput),
            )
        try:
            result: PartitionCalculation = calculate_partitions(
                target, per_partition, consumers, message_size=size, headroom=growth,
                brokers=broker_count, round_to_brokers=round_to_brokers, limits=True,
            )
        except CalcError as exc:
            raise MqctlError(str(exc)) from None
    out = console(no_color)
    if fmt == "json":
        out.print_json(json.dumps({**result.to_dict(), "measurement": probe.to_dict() if probe else None}))
        return
    for line in ([*_measurement_lines(probe), ""] if probe else []) + explain(result):
        out.print(line, markup=False)
