"""Partition count from throughput and consumer concurrency (the order-system design, section 3
"Partition count calculation"), pure.

    partitions = max(ceil(target / per_partition), max_consumers)       # the design's formula
               -> ceil(that * headroom)                                  # growth factor, default 1
               -> rounded up to a multiple of the broker count           # only with round_to_brokers

Arithmetic is done on exact fractions of the numbers as written (1.2 is 6/5, not 1.19999…), so a
ceiling never adds a partition because of float noise. Refused input, with the reason:
throughputs and message size must be > 0; max consumers and brokers must be whole numbers ≥ 1;
headroom must be ≥ 1 (it is a growth factor: below 1 it would size under the design's own formula).

With `limits=True` (what `mqctl partitions calc` passes) absurd input is refused too, before any
arithmetic could overflow a float (`1e308 / 1e-308`); without it only a result too large for a float
is (spec `sizing:` hints keep the bounds of their JSON Schema):
- at most `MAX_PARTITIONS` (10,000) partitions, from any term: KRaft takes at most 10,000 records in
  one request (one per partition of a new topic), and a topic that size means the inputs are wrong;
- throughputs at most `MAX_THROUGHPUT` (10^12 msg/s), far beyond any real cluster;
- message size at most 2^31 - 1 bytes: Kafka's size settings are 32-bit;
- headroom at most `MAX_HEADROOM` (100): more is not headroom, size for the future load instead;
- brokers at most `MAX_BROKERS` (10,000).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Literal

BYTES_PER_MB = 1_000_000  # MB/s in the SI sense, as network and disk throughput is usually quoted
MAX_PARTITIONS = 10_000
MAX_THROUGHPUT = 1e12
MAX_MESSAGE_BYTES = 2**31 - 1
MAX_HEADROOM = 100
MAX_BROKERS = 10_000

Winner = Literal["throughput", "consumers", "tie"]


class CalcError(ValueError):
    """Input the calculator refuses; the message names the flag-like argument and why."""


@dataclass(frozen=True)
class PartitionCalculation:
    """The result and every intermediate term, so a renderer can show the arithmetic."""

    target_throughput: float
    partition_throughput: float
    max_consumers: int | None  # None: not given, the topic is sized for throughput alone
    message_size: int | None
    headroom: float
    brokers: int | None
    round_to_brokers: bool
    throughput_ratio: float  # target / per-partition, before the ceiling
    throughput_term: int  # ceil(throughput_ratio)
    consumer_term: int  # one partition per concurrent consumer of a group (0: max_consumers not given)
    winner: Winner
    base: int  # max(throughput_term, consumer_term): the design's formula
    after_headroom: int  # ceil(base * headroom)
    after_rounding: int  # after_headroom rounded up to a multiple of brokers (or unchanged)
    partitions: int
    target_mb_per_s: float | None
    partition_mb_per_s: float | None

    @property
    def partitions_per_broker(self) -> float | None:
        return self.partitions / self.brokers if self.brokers else None

    def to_dict(self) -> dict[str, object]:
        return {"partitions": self.partitions, **asdict(self),
                "partitions_per_broker": self.partitions_per_broker}


def _exact(value: float) -> Fraction:
    """The number as the user wrote it: repr() is the shortest decimal that round-trips."""
    return Fraction(repr(float(value)))


def _positive(name: str, value: float, limits: bool) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise CalcError(f"{name} must be a number greater than 0, got {value!r}")
    if limits and value > MAX_THROUGHPUT:
        raise CalcError(f"{name} must be at most {MAX_THROUGHPUT:,.0f} msg/s, got {value:g}: "
                        "no Kafka cluster carries that much; check the unit (messages per second)")
    return _exact(value)


def _big(n: int) -> str:
    """A count for a message: 12,345, or `about 10^300` when it would fill the screen."""
    return f"{n:,}" if n < 10**15 else f"about 10^{len(str(n)) - 1}"


def _whole(name: str, value: int, maximum: int | None, why: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CalcError(f"{name} must be a whole number ≥ 1, got {value!r}")
    if maximum is not None and value > maximum:
        raise CalcError(f"{name} must be at most {maximum:,}, got {_big(value)}: {why}")
    return value


_PARTITION_CAP = (
    "KRaft takes at most 10,000 records in one request (one per partition of a new topic), "
    "and a topic that large means the inputs are wrong"
)


_FLOAT_SAFE = 10**300  # a count float() still takes (a ratio beyond it raised OverflowError)


def _capped(name: str, partitions: int, limits: bool) -> int:
    if limits and partitions > MAX_PARTITIONS:
        raise CalcError(f"{name} gives {_big(partitions)} partitions, more than {MAX_PARTITIONS:,}: {_PARTITION_CAP}")
    if partitions > _FLOAT_SAFE:
        raise CalcError(f"{name} gives {_big(partitions)} partitions: the inputs are far outside any real range")
    return partitions


def _ceil(value: Fraction) -> int:
    return -(-value.numerator // value.denominator)


def calculate_partitions(
    target_throughput: float,
    partition_throughput: float,
    max_consumers: int | None,
    *,
    message_size: int | None = None,
    headroom: float = 1.0,
    brokers: int | None = None,
    round_to_brokers: bool = False,
    limits: bool = False,
) -> PartitionCalculation:
    """Partitions for a topic; with defaults exactly ceil(max(target / per_partition, consumers)).
    `limits`: refuse absurd input (see the module doc), as the CLI does."""
    target = _positive("target throughput", target_throughput, limits)
    per_partition = _positive("per-partition throughput", partition_throughput, limits)
    consumers = 0 if max_consumers is None else _whole(
        "max consumers", max_consumers, MAX_PARTITIONS if limits else _FLOAT_SAFE,
        f"each needs a partition of its own, and {_PARTITION_CAP}",
    )
    if message_size is not None:
        _whole("message size", message_size, MAX_MESSAGE_BYTES if limits else None, "Kafka's size settings are 32-bit")
    if (isinstance(headroom, bool) or not isinstance(headroom, (int, float)) or not math.isfinite(headroom)
            or headroom < 1):
        raise CalcError(
            f"headroom must be a growth factor ≥ 1 (1.5 = 50% growth), got {headroom!r}; "
            "below 1 it would size under the design's formula"
        )
    if limits and headroom > MAX_HEADROOM:
        raise CalcError(f"headroom must be at most {MAX_HEADROOM} (100x growth), got {headroom:g}: "
                        "size for the future load itself instead")
    if brokers is not None:
        _whole("brokers", brokers, MAX_BROKERS if limits else None, "that is not a real cluster")
    if round_to_brokers and brokers is None:
        raise CalcError("rounding to brokers needs the broker count")

    ratio = target / per_partition
    throughput_term = _capped("the throughput term", _ceil(ratio), limits)
    winner: Winner = (
        "tie" if throughput_term == consumers
        else "throughput" if throughput_term > consumers else "consumers"
    )
    base = max(throughput_term, consumers)
    after_headroom = _capped("the headroom", _ceil(base * _exact(headroom)), limits)
    after_rounding = after_headroom
    if round_to_brokers and brokers is not None:
        after_rounding = _capped("rounding to brokers", _ceil(Fraction(after_headroom, brokers)) * brokers, limits)
    return PartitionCalculation(
        target_throughput=float(target_throughput),
        partition_throughput=float(partition_throughput),
        max_consumers=max_consumers,
        message_size=message_size,
        headroom=float(headroom),
        brokers=brokers,
        round_to_brokers=round_to_brokers,
        throughput_ratio=float(ratio),
        throughput_term=throughput_term,
        consumer_term=consumers,
        winner=winner,
        base=base,
        after_headroom=after_headroom,
        after_rounding=after_rounding,
        partitions=after_rounding,
        target_mb_per_s=None if message_size is None else float(target * message_size / BYTES_PER_MB),
        partition_mb_per_s=(
            None if message_size is None else float(per_partition * message_size / BYTES_PER_MB)
        ),
    )


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _ratio(value: float) -> str:
    """Two decimals, or as many more as it takes for a fraction not to look whole: a measured rate
    put a ratio just above 2,541, which two decimals print as `ceil(2,541.00) = 2542`, an apparent
    mistake."""
    shown = f"{value:,.2f}"
    places = 2
    while not value.is_integer() and shown.rstrip("0").endswith(".") and places < 15:
        places += 1
        shown = f"{value:,.{places}f}"
    return shown


def explain(calc: PartitionCalculation) -> list[str]:
    """The arithmetic in plain lines, ending with the answer; the text renderer prints these."""

    def mb(value: float | None) -> str:
        return "" if value is None else f" ({value:,.2f} MB/s)"

    lines = [
        f"throughput term  ceil({_num(calc.target_throughput)} msg/s{mb(calc.target_mb_per_s)}"
        f" / {_num(calc.partition_throughput)} msg/s per partition{mb(calc.partition_mb_per_s)})"
        f" = ceil({_ratio(calc.throughput_ratio)}) = {calc.throughput_term}",
        f"consumer term    {calc.consumer_term} (each concurrent consumer of a group needs its own partition)"
        if calc.max_consumers is not None
        else "consumer term    - (no --max-consumers: sized for throughput alone)",
    ]
    if calc.max_consumers is None:
        pass  # the throughput term is the answer; the line above says why
    elif calc.winner == "tie":
        lines.append(f"both terms are {calc.base}: throughput and consumer concurrency need the same")
    elif calc.winner == "throughput":
        lines.append(
            f"throughput wins: {calc.throughput_term} > {calc.consumer_term}, fewer partitions could "
            f"not carry {_num(calc.target_throughput)} msg/s"
        )
    else:
        lines.append(
            f"consumers win: {calc.consumer_term} > {calc.throughput_term}, fewer partitions would "
            f"leave consumers of a group idle"
        )
    if calc.headroom != 1:
        lines.append(
            f"headroom         ceil({calc.base} * {calc.headroom:g}) = {calc.after_headroom}"
        )
    if calc.round_to_brokers and calc.brokers:
        lines.append(
            f"round to brokers {calc.after_headroom} -> {calc.after_rounding} "
            f"(next multiple of {calc.brokers}, so every broker leads the same number)"
        )
    per_broker = calc.partitions_per_broker
    suffix = f" ({per_broker:g} per broker across {calc.brokers})" if per_broker is not None else ""
    lines.append(f"partitions       {calc.partitions}{suffix}")
    return lines


# Kafka's guidance (KIP-578, quoting the project's long-standing recommendation): no more than 4,000
# partitions per broker (replicas included) and 200,000 per cluster; it is not enforced, and clusters
# past it have live-locked. One topic that takes a good share of it on its own is worth a word.
PARTITIONS_PER_BROKER_GUIDANCE = 4_000
PARTITIONS_PER_CLUSTER_GUIDANCE = 200_000
_GUIDANCE_SHARE = 4  # warn when one topic takes more than a quarter of a broker's guidance


def partition_guidance(partitions: int, brokers: int, replication_factor: int) -> list[str]:
    """Warnings about `partitions` (with `replication_factor` replicas each) on a cluster of
    `brokers`: against the per-broker and per-cluster guidance, and the spread over the brokers."""
    replicas = partitions * replication_factor
    per_broker = _ceil(Fraction(replicas, brokers))
    where = (
        f"{partitions:,} partitions x {replication_factor} replicas on {brokers} broker(s) is {per_broker:,} per broker"
    )
    warnings = []
    if per_broker > PARTITIONS_PER_BROKER_GUIDANCE:
        warnings.append(
            f"{where}, more than the {PARTITIONS_PER_BROKER_GUIDANCE:,} per broker that Kafka's guidance allows for "
            "all topics together (KIP-578): add brokers, raise the per-partition throughput (a faster producer "
            "setup, larger batches) or measure on the production cluster"
        )
    elif per_broker * _GUIDANCE_SHARE > PARTITIONS_PER_BROKER_GUIDANCE:
        warnings.append(
            f"{where}: this one topic takes {per_broker / PARTITIONS_PER_BROKER_GUIDANCE:.0%} of the "
            f"{PARTITIONS_PER_BROKER_GUIDANCE:,} partitions per broker that Kafka's guidance allows for all topics "
            "together (KIP-578); check that the per-partition throughput was measured where the topic will run"
        )
    if replicas > PARTITIONS_PER_CLUSTER_GUIDANCE:
        warnings.append(
            f"{replicas:,} partition replicas is more than the {PARTITIONS_PER_CLUSTER_GUIDANCE:,} per cluster of "
            "Kafka's guidance (KIP-578)"
        )
    return warnings
