"""`mqctl partitions calc`: how many partitions a topic needs (the order-system design, section 3),
optionally measured for real."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mqctl.cli.args import choice, number, optional_whole, rate, size, whole
from mqctl.cli.common import NoColorOption, RootOption, console, escape, handled, project
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
        str | None,
        typer.Option(
            "--target-throughput", metavar="RATE",
            help="Messages per second the topic must carry: 5000000, 5M, 200k; or bytes per second like the "
            "sizes in specs (100MB, 1MiB/s) with --message-size.",
        ),
    ] = None,
    partition_throughput: Annotated[
        str | None,
        typer.Option(
            "--partition-throughput", metavar="RATE",
            help="What one partition carries, written like --target-throughput (or --measure it).",
        ),
    ] = None,
    max_consumers: Annotated[
        str | None,
        typer.Option(
            "--max-consumers", metavar="N",
            help="Most consumers one group runs concurrently (optional: without it, throughput alone).",
        ),
    ] = None,
    message_size: Annotated[
        str | None,
        typer.Option(
            "--message-size", metavar="SIZE",
            help="Bytes per message (1024, 1KiB): MB/s shown, byte rates converted; probe message size.",
        ),
    ] = None,
    headroom: Annotated[str, typer.Option("--headroom", metavar="FACTOR",
        help="Growth factor ≥ 1 (1.5 = 50% growth).")] = "1",
    brokers: Annotated[str | None, typer.Option("--brokers", metavar="N", help="Broker count of the cluster.")] = None,
    round_to_brokers: Annotated[
        bool, typer.Option("--round-to-brokers", help="Round up to a multiple of --brokers.")
    ] = False,
    measure_flag: Annotated[
        bool, typer.Option("--measure", help="Measure per-partition throughput on --env instead of guessing.")
    ] = False,
    env: Annotated[str | None, typer.Option("--env", "-e", metavar="ENV", help="Environment to measure on.")] = None,
    measure_seconds: Annotated[str, typer.Option("--measure-seconds", metavar="SECONDS",
        help="How long to produce.")] = "5",
    profile: Annotated[
        str, typer.Option("--profile", metavar="PROFILE", help="Producer template profile used by --measure.")
    ] = "durable",
    root: RootOption = Path("."),
    output: Annotated[str, typer.Option("-o", "--output", "--format", metavar="FORMAT", help="text or json")] = "text",
    no_color: NoColorOption = False,
) -> None:
    """partitions = max(target / per-partition throughput, max consumers), then headroom and rounding."""
    from mqctl import templates
    from mqctl.calc import CalcError, calculate_partitions, explain

    probe: ProbeResult | None = None
    with handled():
        fmt = choice("--output", output, ("text", "json"))
        consumers = None if max_consumers is None else whole("--max-consumers", max_consumers)
        message_bytes = size("--message-size", message_size)
        growth = number("--headroom", headroom)
        broker_count = optional_whole("--brokers", brokers)
        if measure_flag:
            if partition_throughput is not None:
                raise MqctlError("use either --partition-throughput or --measure, not both")
            seconds = number("--measure-seconds", measure_seconds)
            if seconds > MAX_MEASURE_SECONDS:
                raise MqctlError(f"--measure-seconds must be at most {MAX_MEASURE_SECONDS}: the probe loads a "
                                 f"real cluster that long, and a few seconds measure a rate well")
            message_bytes = message_bytes or DEFAULT_PROBE_MESSAGE_SIZE
            template = templates.render("producer", choice("--profile", profile, templates.PROFILES))
            config = project(root, _required("--env (with --measure)", env))
            from mqctl.kafka.probe import measure

            probe = measure(config.environment, seconds=seconds, message_size=message_bytes,
                            producer_template=template.values())
            per_partition = probe.produce_msgs_per_s
        else:
            per_partition = rate(
                "--partition-throughput",
                _required("--partition-throughput (or --measure)", partition_throughput),
                message_bytes,
            )
        target = rate("--target-throughput", _required("--target-throughput", target_throughput), message_bytes)
        try:
            result: PartitionCalculation = calculate_partitions(
                target, per_partition, consumers, message_size=message_bytes, headroom=growth,
                brokers=broker_count, round_to_brokers=round_to_brokers, limits=True,
            )
        except CalcError as exc:
            raise MqctlError(str(exc)) from None
    warnings = _guidance(result, probe)
    out = console(no_color)
    if fmt == "json":
        out.print_json(json.dumps({
            **result.to_dict(), "measurement": probe.to_dict() if probe else None, "warnings": warnings,
        }))
        return
    for line in ([*_measurement_lines(probe), ""] if probe else []) + explain(result):
        out.print(line, markup=False)
    for warning in warnings:
        out.print(f"[yellow]warning:[/] {escape(warning)}")  # rich is loaded: `out` is its console


def _guidance(result: PartitionCalculation, probe: ProbeResult | None) -> list[str]:
    """The answer against the cluster's size: the measured one's brokers and probe replicas, else
    --brokers with the design's 3 replicas (fewer when there are fewer brokers)."""
    from mqctl.calc import partition_guidance

    if probe is not None and probe.brokers:
        return partition_guidance(result.partitions, probe.brokers, probe.replication_factor)
    if result.brokers:
        return partition_guidance(result.partitions, result.brokers, min(3, result.brokers))
    return []
