"""The pure broker-config diff, driven by plain specs and live data (no Kafka)."""

from __future__ import annotations

from mqctl.diagnostics import Severity
from mqctl.kinds.brokers.changes import BrokerConfigUpdate
from mqctl.kinds.brokers.diff import diff_brokers, reported
from mqctl.kinds.brokers.live import LiveBrokerConfigs
from mqctl.kinds.brokers.spec import BrokerConfigSpec
from mqctl.live import LiveConfig
from mqctl.spec.model import Source

FILE = "brokers/cluster.yaml"


def spec(broker: int | None, reset: bool = False, **config: str) -> BrokerConfigSpec:
    keys = {k.replace("_", "."): v for k, v in config.items()}
    return BrokerConfigSpec(broker, keys, Source(FILE, 2), dict.fromkeys(keys, 3), reset)


def dyn(value: str | None, default: bool = False, sensitive: bool = False) -> LiveConfig:
    source = "DYNAMIC_DEFAULT_BROKER_CONFIG" if default else "DYNAMIC_BROKER_CONFIG"
    return LiveConfig(value, source, False, sensitive)


def static(value: str, read_only: bool = False) -> LiveConfig:
    return LiveConfig(value, "STATIC_BROKER_CONFIG", read_only)


def live(default: dict[str, LiveConfig] | None = None, **per_broker: dict[str, LiveConfig]) -> LiveBrokerConfigs:
    base = {
        "log.retention.ms": static("604800000"),
        "log.cleaner.threads": static("1"),
        "log.dirs": static("/data", read_only=True),
    }
    brokers = {b: {**base, **per_broker.get(f"b{b}", {})} for b in (1, 2, 3)}
    return LiveBrokerConfigs(default or {}, brokers)


def test_nothing_declared_for_this_environment_is_silent() -> None:
    assert diff_brokers((), live({"x": dyn("1", default=True)})) == ([], [])


def test_cluster_default_set_changed_and_converged() -> None:
    desired = (spec(None, log_retention_ms="259200000", log_cleaner_threads="2"),)
    changes, problems = diff_brokers(desired, live({"log.cleaner.threads": dyn("1", default=True)}))
    assert problems == []
    (change,) = changes
    assert isinstance(change, BrokerConfigUpdate)
    assert (change.name, change.key, change.broker) == ("cluster-default", "broker-config:cluster-default", None)
    assert change.set_config == {"log.cleaner.threads": "2", "log.retention.ms": "259200000"}
    assert [(d.field, d.before, d.after) for d in change.diffs] == [
        ("config.log.cleaner.threads", "1", "2"),
        ("config.log.retention.ms", None, "259200000"),
    ]
    # Cutting retention from the 7 days the brokers run with deletes data on every inheriting topic.
    assert change.destructive and "log.retention.ms cut from 604800000 to 259200000" in change.all_risks[0]
    converged = {"log.cleaner.threads": dyn("2", True), "log.retention.ms": dyn("259200000", True)}
    assert diff_brokers(desired, live(converged)) == ([], [])


def test_per_broker_value_is_compared_with_that_broker_only() -> None:
    desired = (spec(None), spec(2, log_cleaner_threads="3"))
    changes, problems = diff_brokers(desired, live(b1={"log.cleaner.threads": dyn("3")}))
    (change,) = changes
    assert (change.name, change.diffs[0].before, change.diffs[0].after) == ("broker 2", None, "3")
    assert [p.key for p in problems] == ["brokers.per_broker.1.log.cleaner.threads"]  # drift on broker 1
    assert all(p.severity is Severity.WARNING for p in problems)
    assert diff_brokers(desired, live(b2={"log.cleaner.threads": dyn("3")})) == ([], [])


def test_broker_that_is_not_live_is_a_plan_error() -> None:
    _, problems = diff_brokers((spec(None), spec(7, log_cleaner_threads="2")), live())
    (problem,) = problems
    assert problem.severity is Severity.ERROR
    assert (problem.file, problem.key) == (FILE, "brokers.per_broker.7")
    assert "broker 7 is not a live broker of this cluster (live: 1, 2, 3)" in problem.message


def test_key_the_cluster_reports_read_only_is_a_plan_error() -> None:
    changes, problems = diff_brokers((spec(None, log_dirs="/other"),), live())
    assert changes == []
    (problem,) = problems
    assert (problem.line, problem.key, problem.severity) == (3, "brokers.cluster_defaults.log.dirs", Severity.ERROR)
    assert "read-only on this cluster" in problem.message


def test_unmanaged_values_warn_without_showing_secrets() -> None:
    current = {"compression.type": dyn("lz4", True), "ssl.keystore.password": dyn(None, True, sensitive=True)}
    changes, problems = diff_brokers((spec(None),), live(current, b3={"leader.replication.throttled.rate": dyn("1")}))
    assert changes == []
    assert [(p.key, p.severity) for p in problems] == [
        ("brokers.cluster_defaults.compression.type", Severity.WARNING),
        ("brokers.cluster_defaults.ssl.keystore.password", Severity.WARNING),
    ]  # the reassignment throttle on broker 3 is not drift
    assert "compression.type=lz4 is set on the cluster but not in the specs" in problems[0].message
    assert "(sensitive, value not shown)" in problems[1].message


def test_unmanaged_reset_deletes_them_on_every_resource() -> None:
    current = {"compression.type": dyn("lz4", True), "ssl.keystore.password": dyn(None, True, sensitive=True)}
    desired = (spec(None, reset=True, log_cleaner_threads="2"),)
    changes, problems = diff_brokers(desired, live(current, b3={"max.connections.per.ip": dyn("100")}))
    assert problems == []
    default, broker3 = changes
    assert isinstance(default, BrokerConfigUpdate) and isinstance(broker3, BrokerConfigUpdate)
    assert default.reset_config == ("compression.type", "ssl.keystore.password")
    shown = [(d.field, d.before, d.after) for d in default.diffs]
    assert ("config.ssl.keystore.password", "(sensitive)", None) in shown
    assert (broker3.name, broker3.broker, broker3.reset_config) == ("broker 3", 3, ("max.connections.per.ip",))


def test_retention_default_from_hours_is_not_mistaken_for_unlimited() -> None:
    # Kafka reports log.retention.ms unset when only log.retention.hours (default 168) is configured.
    hours_only = LiveBrokerConfigs(
        {},
        {
            b: {"log.retention.ms": LiveConfig(None, "DEFAULT_CONFIG"), "log.retention.hours": static("168")}
            for b in (1, 2, 3)
        },
    )
    (same,), _ = diff_brokers((spec(None, log_retention_ms="604800000"),), hours_only)
    assert not same.destructive
    (cut,), _ = diff_brokers((spec(None, log_retention_ms="86400000"),), hours_only)
    assert cut.destructive and "cut from 604800000 to 86400000" in cut.all_risks[0]


def test_a_change_counts_as_reported_once_the_brokers_show_it() -> None:
    cleaner = BrokerConfigUpdate("cluster-default", broker=None, set_config={"log.cleaner.threads": "2"})
    everywhere = {f"b{b}": {"log.cleaner.threads": dyn("2", default=True)} for b in (1, 2, 3)}
    assert reported(cleaner, live(**everywhere))
    assert not reported(cleaner, live(b1=everywhere["b1"], b2=everywhere["b2"]))  # broker 3 lags
    overridden = {**everywhere, "b3": {"log.cleaner.threads": dyn("4")}}  # its own value wins there
    assert reported(cleaner, live(**overridden))

    own = BrokerConfigUpdate("broker 2", broker=2, set_config={"log.cleaner.threads": "3"})
    assert not reported(own, live(b2={"log.cleaner.threads": dyn("2")}))
    assert reported(own, live(b2={"log.cleaner.threads": dyn("3")}))

    reset = BrokerConfigUpdate("broker 2", broker=2, reset_config=("log.cleaner.threads",))
    assert not reported(reset, live(b2={"log.cleaner.threads": dyn("3")}))
    assert reported(reset, live())  # back to the static value


def test_a_sensitive_value_counts_as_reported_by_its_source() -> None:
    secret = BrokerConfigUpdate("broker 1", broker=1, set_config={"ssl.key.password": "s3cret"})
    assert reported(secret, live(b1={"ssl.key.password": dyn(None, sensitive=True)}))
    assert not reported(secret, live())
