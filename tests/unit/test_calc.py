"""The partition calculator: the design's formula, headroom, rounding to brokers and refusals."""

from __future__ import annotations

import json

import pytest

from mqctl.calc import CalcError, calculate_partitions, explain
from tests.conftest import Project


def test_design_example_is_a_tie_at_50() -> None:
    calc = calculate_partitions(5_000_000, 100_000, 50)
    assert calc.partitions == 50
    assert (calc.throughput_term, calc.consumer_term, calc.winner) == (50, 50, "tie")
    assert calc.throughput_ratio == 50.0


def test_throughput_term_is_rounded_up() -> None:
    calc = calculate_partitions(1000, 300, 2)
    assert calc.partitions == 4
    assert calc.throughput_term == 4
    assert calc.winner == "throughput"
    assert calc.throughput_ratio == pytest.approx(3.333, abs=0.001)


@pytest.mark.parametrize(
    ("per_partition", "shown", "term"),
    [(3935.455, "2,541.002", 2542), (3935.4587, "2,540.9999", 2541), (4000, "2,500.00", 2500),
     (3000, "3,333.33", 3334)],
)
def test_the_explained_ratio_never_looks_whole_when_it_is_not(per_partition: float, shown: str, term: int) -> None:
    """A measured per-partition rate can put the ratio a hair above or below a whole number: the
    line shows enough decimals that its ceil is the term printed beside it."""
    calc = calculate_partitions(10_000_000, per_partition, None)
    assert calc.throughput_term == term
    assert f"= ceil({shown}) = {term}" in explain(calc)[0]


def test_consumers_win_when_there_are_more_consumers_than_throughput_needs() -> None:
    calc = calculate_partitions(1000, 1000, 12)
    assert (calc.partitions, calc.winner, calc.throughput_term) == (12, "consumers", 1)


def test_defaults_change_nothing_after_the_formula() -> None:
    calc = calculate_partitions(1000, 300, 2)
    assert calc.base == calc.after_headroom == calc.after_rounding == calc.partitions == 4
    assert calc.headroom == 1.0
    assert calc.brokers is None
    assert calc.partitions_per_broker is None


def test_headroom_multiplies_and_rounds_up_without_float_noise() -> None:
    # 50 * 1.1 is 55.00000000000001 in floats, whose ceiling is 56; the calculator must say 55.
    assert calculate_partitions(5_000_000, 100_000, 50, headroom=1.1).partitions == 55
    assert calculate_partitions(5_000_000, 100_000, 50, headroom=1.2).partitions == 60
    calc = calculate_partitions(1000, 300, 2, headroom=1.5)
    assert (calc.base, calc.after_headroom, calc.partitions) == (4, 6, 6)
    assert calculate_partitions(1000, 300, 2, headroom=1.1).partitions == 5  # ceil(4.4)


def test_round_to_brokers_goes_up_to_the_next_multiple() -> None:
    calc = calculate_partitions(1000, 300, 2, brokers=3, round_to_brokers=True)
    assert (calc.after_headroom, calc.after_rounding, calc.partitions) == (4, 6, 6)
    assert calc.partitions_per_broker == 2
    exact = calculate_partitions(5_000_000, 100_000, 50, headroom=1.2, brokers=6, round_to_brokers=True)
    assert exact.partitions == 60  # already a multiple: unchanged


def test_brokers_without_rounding_only_reports_the_spread() -> None:
    calc = calculate_partitions(1000, 300, 2, brokers=3)
    assert calc.partitions == 4
    assert calc.partitions_per_broker == pytest.approx(4 / 3)


def test_message_size_gives_mb_per_second() -> None:
    calc = calculate_partitions(5_000_000, 100_000, 50, message_size=1000)
    assert calc.target_mb_per_s == 5000.0
    assert calc.partition_mb_per_s == 100.0
    assert calculate_partitions(1, 1, 1).target_mb_per_s is None


def test_fractional_throughputs_are_accepted() -> None:
    assert calculate_partitions(10.5, 2.5, 1).partitions == 5  # ceil(4.2)


def test_to_dict_leads_with_partitions_and_has_every_term() -> None:
    data = calculate_partitions(1000, 300, 2, headroom=1.5, brokers=4, round_to_brokers=True).to_dict()
    assert next(iter(data)) == "partitions"
    assert data["partitions"] == 8
    for key in ("throughput_ratio", "throughput_term", "consumer_term", "winner", "base",
                "after_headroom", "after_rounding", "partitions_per_broker"):
        assert key in data


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target_throughput": 0}, "target throughput must be a number greater than 0"),
        ({"target_throughput": -5}, "target throughput"),
        ({"target_throughput": float("nan")}, "target throughput"),
        ({"target_throughput": float("inf")}, "target throughput"),
        ({"partition_throughput": 0}, "per-partition throughput must be a number greater than 0"),
        ({"max_consumers": 0}, "max consumers must be a whole number"),
        ({"max_consumers": 2.5}, "max consumers must be a whole number"),
        ({"message_size": 0}, "message size must be a whole number"),
        ({"headroom": 0.9}, "headroom must be a growth factor ≥ 1"),
        ({"brokers": 0}, "brokers must be a whole number"),
        ({"round_to_brokers": True}, "rounding to brokers needs the broker count"),
    ],
)
def test_refuses_nonsense(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"target_throughput": 1000, "partition_throughput": 300, "max_consumers": 2}
    args.update(kwargs)
    with pytest.raises(CalcError, match=message):
        calculate_partitions(**args)  # type: ignore[arg-type]
    assert issubclass(CalcError, ValueError)


def test_explain_says_which_term_won_and_why() -> None:
    lines = explain(calculate_partitions(1000, 300, 2))
    assert "ceil(3.33) = 4" in lines[0]
    assert any(line.startswith("throughput wins: 4 > 2") for line in lines)
    assert lines[-1].split() == ["partitions", "4"]
    consumers = explain(calculate_partitions(10, 10, 8))
    assert any("consumers win: 8 > 1" in line for line in consumers)
    tie = explain(calculate_partitions(5_000_000, 100_000, 50))
    assert any("both terms are 50" in line for line in tie)


def test_explain_shows_headroom_rounding_and_mb() -> None:
    text = "\n".join(explain(calculate_partitions(
        1000, 300, 2, message_size=1000, headroom=1.5, brokers=4, round_to_brokers=True)))
    assert "(1.00 MB/s)" in text
    assert "ceil(4 * 1.5) = 6" in text
    assert "6 -> 8 (next multiple of 4" in text
    assert "8 (2 per broker across 4)" in text


def test_cli_explains_the_design_example(offline_project: Project) -> None:
    res = offline_project.run("partitions", "calc", "--target-throughput", "5000000",
                              "--partition-throughput", "100000", "--max-consumers", "50")
    assert res.exit_code == 0, res.output
    assert "both terms are 50" in res.stdout
    assert res.stdout.splitlines()[-1].split() == ["partitions", "50"]


def test_cli_json_has_partitions_and_every_term(offline_project: Project) -> None:
    res = offline_project.run("partitions", "calc", "--target-throughput", "1000", "--partition-throughput",
                              "300", "--max-consumers", "2", "--brokers", "3", "--round-to-brokers",
                              "-o", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["partitions"] == 6
    assert (data["throughput_term"], data["consumer_term"], data["winner"]) == (4, 2, "throughput")
    assert (data["after_headroom"], data["after_rounding"], data["measurement"]) == (4, 6, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target-throughput", "lots"], "--target-throughput must be a number, got 'lots'"),
        (["--target-throughput", "-1"], "--target-throughput must be greater than 0"),
        (["--partition-throughput", "0"], "--partition-throughput must be greater than 0"),
        (["--max-consumers", "2.5"], "--max-consumers must be a whole number"),
        (["--headroom", "0.5"], "headroom must be a growth factor"),
        (["--round-to-brokers"], "rounding to brokers needs the broker count"),
        (["--brokers", "x"], "--brokers must be a number"),
        (["-o", "xml"], "--output must be one of text, json"),
        (["--measure"], "use either --partition-throughput or --measure"),
    ],
)
def test_cli_refuses_nonsense_with_exit_1_and_one_line(
    offline_project: Project, args: list[str], message: str
) -> None:
    base = {"--target-throughput": "1000", "--partition-throughput": "300", "--max-consumers": "2"}
    flags = [a for k, v in base.items() if k not in args for a in (k, v)]
    res = offline_project.run("partitions", "calc", *flags, *args)
    assert res.exit_code == 1
    assert res.stdout == ""
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.output


def test_cli_measure_needs_an_environment(offline_project: Project) -> None:
    res = offline_project.run("partitions", "calc", "--measure", "--target-throughput", "10",
                              "--max-consumers", "1")
    assert res.exit_code == 1
    assert "--env (with --measure) is required" in res.stderr


def test_cli_missing_required_flag_is_exit_1(offline_project: Project) -> None:
    res = offline_project.run("partitions", "calc", "--target-throughput", "10")
    assert res.exit_code == 1
    assert "--partition-throughput (or --measure) is required" in res.stderr


@pytest.mark.parametrize(
    ("target", "per_partition", "extra", "partitions"),
    [
        ("5M", "100k", [], 50),  # SI counts: 5,000,000 / 100,000 msg/s
        ("5M/s", "100000", [], 50),
        ("1.5M", "0.5M", [], 3),
        ("100MB/s", "1MiB", ["--message-size", "1KiB"], 96),  # byte rates, the specs' size units
        ("100MB", "1MB", ["--message-size", "1000"], 100),
    ],
)
def test_cli_takes_rates_and_sizes_in_the_specs_notation(
    offline_project: Project, target: str, per_partition: str, extra: list[str], partitions: int
) -> None:
    res = offline_project.run("partitions", "calc", "--target-throughput", target,
                              "--partition-throughput", per_partition, *extra, "-o", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["partitions"] == partitions
    assert data["max_consumers"] is None and data["consumer_term"] == 0  # --max-consumers is optional


def test_cli_a_byte_rate_without_a_message_size_says_what_to_add(offline_project: Project) -> None:
    res = offline_project.run("partitions", "calc", "--target-throughput", "1MiB", "--partition-throughput", "1k")
    assert res.exit_code == 1
    assert "'1MiB' is a byte rate: give --message-size too" in res.stderr


def test_without_max_consumers_throughput_alone_decides_and_says_so(offline_project: Project) -> None:
    res = offline_project.run("partitions", "calc", "--target-throughput", "5M", "--partition-throughput", "100k")
    assert res.exit_code == 0, res.output
    assert "consumer term    - (no --max-consumers: sized for throughput alone)" in res.stdout
    assert res.stdout.rstrip().endswith("partitions       50")


def test_guidance_warns_against_the_clusters_size() -> None:
    from mqctl.calc import partition_guidance

    assert partition_guidance(50, 3, 3) == []
    (share,) = partition_guidance(1_454, 3, 3)  # what a slow probe once recommended for 3 brokers
    assert share.startswith(
        "1,454 partitions x 3 replicas on 3 broker(s) is 1,454 per broker: this one topic takes 36%"
    )
    (over,) = partition_guidance(5_000, 3, 3)
    assert "more than the 4,000 per broker that Kafka's guidance allows" in over
    assert any("200,000 per cluster" in w for w in partition_guidance(10_000, 100, 30))


def test_cli_warns_when_one_topic_crowds_the_brokers(offline_project: Project) -> None:
    res = offline_project.run("partitions", "calc", "--target-throughput", "5M", "--partition-throughput", "1000",
                              "--brokers", "3", "--no-color")
    assert res.exit_code == 0, res.output
    assert "warning: 5,000 partitions x 3 replicas on 3 broker(s) is 5,000 per broker" in res.stdout
    data = json.loads(offline_project.run("partitions", "calc", "--target-throughput", "5M", "--partition-throughput",
                                          "1000", "--brokers", "3", "-o", "json").stdout)
    assert len(data["warnings"]) == 1
