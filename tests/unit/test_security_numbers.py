"""No traceback, ever, from numbers (issue 12, items 6 and 7 where spec/units.py, calc.py, templates.py
and the CLI parse them). Each test fails on the previous code: `format_ms(inf)` and
`format_bytes(inf)` raised OverflowError; units had no strict integer parser (`"--5"` and `"²"`
pass `str.isdigit`-style checks and then crash `int()`); `\\d` read `٣d` as a duration; `partitions
calc` raised OverflowError on `1e308 / 1e-308` and printed 300-digit partition counts; `template
broker --disks 1e9` tried to build a billion log dirs; `--rack` could inject a line into
server.properties.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from mqctl import templates
from mqctl.calc import MAX_PARTITIONS, CalcError, calculate_partitions
from mqctl.cli import app
from mqctl.render.values import format_bytes, show
from mqctl.spec.units import (
    UnitError,
    duration_ms,
    format_ms,
    parse_duration_ms,
    parse_finite,
    parse_integer,
    parse_size_bytes,
    size_bytes,
)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), "1e999", "--5", "²", None, [1]])
def test_formatting_any_value_never_raises(value: object) -> None:
    assert isinstance(format_ms(value), str)  # type: ignore[arg-type]
    assert isinstance(format_bytes(value), str)
    assert isinstance(show("config.retention.ms", value), str)
    assert isinstance(show("config.segment.bytes", value), str)


@pytest.mark.parametrize("text", ["--5", "²", "٣", "7²d", "٣d", "1e3", "5.0", " ", "", "+-1", "0x10", "1_000"])
def test_parse_integer_is_strict(text: str) -> None:
    assert parse_integer(text) is None


def test_parse_integer_accepts_what_kafka_accepts() -> None:
    assert [parse_integer(v) for v in ("5", "-1", "+7", " 12 ", 3, True)] == [5, -1, 7, 12, 3, None]


@pytest.mark.parametrize("text", ["٣d", "\uff17d", "²h", "--5d", "5 dd", "d"])
def test_durations_and_sizes_take_ascii_digits_only(text: str) -> None:
    assert parse_duration_ms(text) is None and parse_size_bytes(text.replace("d", "KiB")) is None


@pytest.mark.parametrize("value", [5, None, 1.5, b"7d", ["7d"]])
def test_unit_parsers_take_any_value(value: object) -> None:
    assert parse_duration_ms(value) is None and parse_size_bytes(value) is None


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999", float("nan"), float("inf"), True, "x", None])
def test_parse_finite_refuses_non_numbers(value: object) -> None:
    assert parse_finite(value) is None


def test_strict_unit_parsers_say_why() -> None:
    assert duration_ms("7d") == 604_800_000 and duration_ms("-1") == -1 and size_bytes("64KiB") == 65536
    with pytest.raises(UnitError, match=r"'7x' is not a duration \(e.g. 7d, 12h, 30m"):
        duration_ms("7x")
    with pytest.raises(UnitError, match="too large"):
        duration_ms("99999999999999999999w")
    with pytest.raises(UnitError, match="is not a size"):
        size_bytes("--5")


# --- partitions calc ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"target_throughput": 1e308, "partition_throughput": 1e-308, "max_consumers": 1}, "at most 1,000,000,000,000"),
        ({"target_throughput": 1e12, "partition_throughput": 1e-3, "max_consumers": 1}, "more than 10,000"),
        ({"target_throughput": 5, "partition_throughput": 1, "max_consumers": 10**300}, r"about 10\^300"),
        ({"target_throughput": 5, "partition_throughput": 1, "max_consumers": 1, "headroom": 1e308}, "at most 100"),
        ({"target_throughput": 9000, "partition_throughput": 1, "max_consumers": 1, "headroom": 2}, "headroom gives"),
        ({"target_throughput": 5, "partition_throughput": 1, "max_consumers": 1, "brokers": 10**20,
          "round_to_brokers": True}, "not a real cluster"),
        ({"target_throughput": 5, "partition_throughput": 1, "max_consumers": 1, "message_size": 2**40}, "32-bit"),
        ({"target_throughput": float("nan"), "partition_throughput": 1, "max_consumers": 1}, "greater than 0"),
    ],
)
def test_absurd_calc_inputs_are_refused_with_a_reason(kwargs: dict[str, object], reason: str) -> None:
    with pytest.raises(CalcError, match=reason):
        calculate_partitions(**kwargs, limits=True)  # type: ignore[arg-type]


def test_the_largest_sane_calc_still_works() -> None:
    result = calculate_partitions(1e12, 1e8, MAX_PARTITIONS, headroom=1, brokers=MAX_PARTITIONS, round_to_brokers=True,
                                  limits=True)
    assert result.partitions == MAX_PARTITIONS


def test_without_limits_only_a_result_no_float_can_hold_is_refused() -> None:
    """Spec `sizing:` hints call the calculator without limits (their schema bounds them); there
    only what used to raise OverflowError is refused, as a CalcError."""
    assert calculate_partitions(5, 1, 100_000).partitions == 100_000
    with pytest.raises(CalcError, match="partitions"):
        calculate_partitions(1e308, 1e-308, 1)


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target-throughput", "1e308", "--partition-throughput", "1e-308", "--max-consumers", "1"], "at most"),
        (["--target-throughput", "1e999", "--partition-throughput", "1", "--max-consumers", "1"], "finite number"),
        (["--target-throughput", "5", "--partition-throughput", "1", "--max-consumers", "1e300"], "at most 10,000"),
        (["--target-throughput", "5", "--partition-throughput", "1", "--max-consumers", "1", "--headroom", "1e308"],
         "headroom must be at most 100"),
        (["--target-throughput", "\x1b[2J5", "--partition-throughput", "1", "--max-consumers", "1"], "\\x1b"),
    ],
)
def test_calc_cli_refuses_absurd_input_in_one_line(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["partitions", "calc", *args])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1 and len(result.output) < 400
    assert "\x1b" not in result.output


# --- template ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--disks", "1e9"], "--disks must be at most 256"),
        (["--cores", "99999999999999999999"], "--cores must be at most 1,024, got about 10^20"),
        (["--rack", "a\nauthorizer.class.name=evil"], "printable"),
        (["--rack", "r" * 300], "at most 255"),
    ],
)
def test_template_refuses_absurd_machines_in_one_line(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["template", "broker", *args])
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output


def test_the_largest_sane_machine_renders() -> None:
    rendered = templates.render("broker", "durable", cores=templates.MAX_CORES, disks=templates.MAX_DISKS, rack="r1")
    assert rendered.get("log.dirs").text is not None


@pytest.mark.parametrize("value", [None, 5, "", "M", "5m", "5 MiBs", "\u0665M", "5²k", "1e3k", "-5M", "5MM", "1GiB/ms"])
def test_parse_rate_takes_any_value_and_only_its_notation(value: object) -> None:
    from mqctl.spec.units import parse_rate

    assert parse_rate(value) is None
