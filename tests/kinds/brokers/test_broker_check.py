"""The pure broker-config diff, driven by plain live data (no Kafka)."""

from __future__ import annotations

from mqctl.kinds.brokers.check import check_brokers
from mqctl.live import LiveConfig
from mqctl.templates import render


def _live_matching(rack: str) -> dict[str, LiveConfig]:
    template = render("broker", "durable")
    live = {key: LiveConfig(value, "STATIC_BROKER_CONFIG", True) for key, value in template.values().items()}
    live["log.dirs"] = LiveConfig("/data/kafka", "STATIC_BROKER_CONFIG", True)
    live["broker.rack"] = LiveConfig(rack, "STATIC_BROKER_CONFIG", True)
    return live


def test_no_difference_when_every_broker_matches() -> None:
    report = check_brokers(render("broker", "durable"), {1: _live_matching("a"), 2: _live_matching("b")})
    assert report.differences == ()
    assert report.brokers == (1, 2)
    assert set(report.skipped) == {"broker.rack", "log.dirs"}
    assert "min.insync.replicas" in report.checked


def test_difference_lists_every_broker_with_source_and_change() -> None:
    b2 = _live_matching("b")
    b2["min.insync.replicas"] = LiveConfig("1", "DYNAMIC_BROKER_CONFIG", False)
    report = check_brokers(render("broker", "durable"), {2: b2, 1: _live_matching("a")})
    (diff,) = report.differences
    assert (diff.key, diff.expected, diff.change) == ("min.insync.replicas", "2", "dynamic")
    assert [(b.broker, b.value, b.matches, b.origin) for b in diff.brokers] == [
        (1, "2", True, "static"),
        (2, "1", False, "dynamic"),
    ]


def test_read_only_keys_need_a_restart() -> None:
    b1 = _live_matching("a")
    b1["socket.send.buffer.bytes"] = LiveConfig("102400", "DEFAULT_CONFIG", True)
    (diff,) = check_brokers(render("broker", "durable"), {1: b1}).differences
    assert diff.change == "restart"
    assert diff.brokers[0].origin == "default"


def test_key_unknown_to_the_broker_is_a_difference() -> None:
    b1 = _live_matching("a")
    del b1["queued.max.requests"]
    (diff,) = check_brokers(render("broker", "durable"), {1: b1}).differences
    assert diff.key == "queued.max.requests"
    assert diff.change == "unknown"
    broker = diff.brokers[0]
    assert (broker.value, broker.source, broker.origin) == (None, None, "unknown key")


def test_machine_shape_changes_what_is_expected() -> None:
    live = {1: _live_matching("a")}  # rendered for the 8-core reference machine
    report = check_brokers(render("broker", "durable", cores=32), live)
    assert {d.key for d in report.differences} == {
        "num.network.threads", "num.replica.fetchers", "num.recovery.threads.per.data.dir"}
    as_dict = report.to_dict()
    assert as_dict["machine"] == {"cores": 32, "disks": 1, "rack": None}
    differences = as_dict["differences"]
    assert isinstance(differences, list)
    assert {d["key"] for d in differences} == {d.key for d in report.differences}
