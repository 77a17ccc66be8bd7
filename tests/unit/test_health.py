"""Cluster health checks on plain data: every check, the report's status and JSON form, and the
renderers (names from the cluster escaped)."""

from __future__ import annotations

import io
import json
import time

from rich.console import Console

from mqctl.health import (
    DISK_WARNING_FRACTION,
    Drift,
    HealthSnapshot,
    Status,
    assess,
    controller_quorum,
    leader_balance,
    log_dirs,
    preferred_elections,
    rack_spread,
    under_min_isr_partitions,
)
from mqctl.live import LogDir, PartitionState, Quorum, QuorumReplica
from mqctl.render.health import render_markdown_text, render_text
from mqctl.workflows.health import selected
from tests.conftest import Project

RACKS = {1: "dc-a", 2: "dc-b", 3: "dc-c", 4: "dc-a"}
NOW = 1_000_000


def part(topic: str, partition: int, replicas: tuple[int, ...], isr: tuple[int, ...] | None = None,
         leader: int | None = None) -> PartitionState:  # fmt: skip
    isr = replicas if isr is None else isr
    return PartitionState(topic, partition, replicas[0] if leader is None else leader, replicas, isr)


def quorum(*behind: int, leader: int = 1, observers: tuple[int, ...] = ()) -> Quorum:
    voters = tuple(QuorumReplica(i + 1, 100, NOW - b) for i, b in enumerate(behind))
    return Quorum(leader, 5, 100, voters, tuple(QuorumReplica(4, 100, NOW - b) for b in observers))


def snapshot(*partitions: PartitionState, min_isr: dict[str, int] | None = None, **extra: object) -> HealthSnapshot:
    fields: dict[str, object] = {
        "racks": RACKS, "partitions": partitions, "min_isr": min_isr or {},
        "log_dirs": (LogDir(1, "/data", None, 1000, 500),), "quorum": quorum(0, 100, 200), "drift": None,
    }  # fmt: skip
    fields.update(extra)
    return HealthSnapshot(**fields)  # type: ignore[arg-type]


def by_check(snap: HealthSnapshot, **kwargs: object) -> dict[str, tuple[Status, list[dict[str, object]]]]:
    report = assess("prod", snap, **kwargs)  # type: ignore[arg-type]
    return {c.check: (c.status, list(c.items)) for c in report.checks}


def test_a_healthy_cluster_is_ok_and_every_check_is_reported() -> None:
    snap = snapshot(part("prod.a.v1", 0, (1, 2, 3)), part("prod.a.v1", 1, (2, 3, 4)), min_isr={"prod.a.v1": 2})
    report = assess("prod", snap)
    assert report.status is Status.OK
    assert [c.check for c in report.checks] == [
        "offline_partitions", "under_replicated_partitions", "under_min_isr_partitions", "rack_spread",
        "preferred_leaders", "leader_balance", "broker_racks", "controller_quorum", "log_dirs", "config_drift",
        "broker_certificates",
    ]
    body = report.to_dict()
    assert (body["format_version"], body["environment"], body["status"], body["topics"]) == (1, "prod", "ok", None)
    assert body["checks"][-2] == {"check": "config_drift", "status": "skipped", "items": [],
                                  "note": "no brokers/ specs in this project"}  # fmt: skip
    json.dumps(body)  # plain data only


def test_a_broker_down_shows_offline_under_replicated_and_under_min_isr_partitions() -> None:
    snap = snapshot(
        part("prod.a.v1", 0, (4,), isr=(), leader=-1),  # its only replica was on broker 4
        part("prod.b.v1", 0, (4, 1, 2), isr=(1, 2), leader=1),  # RF 3, min ISR 3: acks=all fails
        part("prod.c.v1", 0, (1, 2, 4), isr=(1, 2)),  # RF 3, min ISR 2: still writable
        part("prod.d.v1", 0, (1,)),  # RF 1 under a min ISR of 2: Kafka caps it, writable
        min_isr={"prod.a.v1": 1, "prod.b.v1": 3, "prod.c.v1": 2, "prod.d.v1": 2},
    )
    found = by_check(snap)
    assert found["offline_partitions"] == (Status.PROBLEMS, [
        {"topic": "prod.a.v1", "partition": 0, "leader": -1, "replicas": [4], "isr": []}])  # fmt: skip
    assert [i["topic"] for i in found["under_replicated_partitions"][1]] == ["prod.a.v1", "prod.b.v1", "prod.c.v1"]
    assert [(i["topic"], i["min_insync_replicas"]) for i in found["under_min_isr_partitions"][1]] == [
        ("prod.a.v1", 1), ("prod.b.v1", 3)
    ]
    unread = under_min_isr_partitions(snapshot(part("prod.new.v1", 0, (1,), isr=()), min_isr={}))
    assert unread.status is Status.OK and unread.note == (
        "1 topic(s) not checked: their configs could not be read (created or deleted moments ago)"
    )
    assert found["preferred_leaders"] == (Status.PROBLEMS, [
        {"topic": "prod.b.v1", "partition": 0, "leader": 1, "preferred": 4, "electable": False}])  # fmt: skip
    assert assess("prod", snap).status is Status.PROBLEMS


def test_rack_spread_wants_min_rf_racks_and_brokers_without_a_rack_are_flagged() -> None:
    snap = snapshot(part("t", 0, (1, 4)), part("t", 1, (1, 2)), part("t", 2, (1, 4, 2)), part("t", 3, (4,)))
    check = rack_spread(snap)
    assert [(i["partition"], i["racks"], i["spans"], i["wanted"]) for i in check.items] == [
        (0, ["dc-a", "dc-a"], 1, 2), (2, ["dc-a", "dc-a", "dc-b"], 2, 3)
    ]
    no_rack = snapshot(part("t", 0, (1, 5)), racks={**RACKS, 5: None})
    found = by_check(no_rack)
    assert found["broker_racks"] == (Status.PROBLEMS, [{"broker": 5, "rack": None}])
    assert found["rack_spread"][0] is Status.OK  # a broker without a rack is a failure domain of its own


def test_leader_balance_flags_a_broker_whose_preferred_partitions_are_led_elsewhere() -> None:
    led_back = [part("t", p, (4, 1, 2), leader=1) for p in range(2)] + [part("t", p, (4, 2, 3)) for p in range(2, 10)]
    rows = {row["broker"]: row for row in leader_balance(snapshot(*led_back)).items}
    assert rows[4] == {"broker": 4, "leaders": 8, "preferred": 10, "imbalance": 0.2}
    assert rows[1]["leaders"] == 2 and rows[1]["imbalance"] == 0.0
    assert leader_balance(snapshot(*led_back)).status is Status.PROBLEMS
    assert leader_balance(snapshot(*led_back[1:])).status is Status.PROBLEMS  # 1 of 9: 11 %
    more = [part("t", p, (4, 2, 3)) for p in range(10, 20)]
    assert leader_balance(snapshot(*led_back[1:], *more)).status is Status.OK  # 1 of 19


def test_the_quorum_needs_a_leader_and_caught_up_voters() -> None:
    assert controller_quorum(snapshot()).status is Status.OK
    lagging = controller_quorum(snapshot(quorum=quorum(0, 100, 60_000)))
    assert lagging.status is Status.PROBLEMS
    assert "voter 3 has not caught up with the leader for 60s" in (lagging.note or "")
    assert [(r["id"], r["role"], r["caught_up"]) for r in lagging.items] == [
        (1, "leader", True), (2, "voter", True), (3, "voter", False)
    ]
    lost = controller_quorum(snapshot(quorum=quorum(0, 60_000, 60_000)))
    assert "only 1 of 3 voters caught up" in (lost.note or "")
    leaderless = controller_quorum(snapshot(quorum=quorum(0, 0, 0, leader=-1)))
    assert "no quorum leader" in (leaderless.note or "")
    observer = controller_quorum(snapshot(quorum=quorum(0, 0, 0, observers=(45_000,))))
    assert observer.status is Status.PROBLEMS and "observer 4" in (observer.note or "")
    unread = controller_quorum(snapshot(quorum="CLUSTER_AUTHORIZATION_FAILED: ..."))
    assert unread.status is Status.ERROR
    assert assess("prod", snapshot(quorum="x")).status is Status.ERROR


def test_disk_use_is_a_problem_from_the_warning_fraction_and_an_offline_dir_always() -> None:
    dirs = (LogDir(1, "/a", None, 1000, 200), LogDir(2, "/b", None, 1000, 100), LogDir(3, "/c", None, None, None))
    check = log_dirs(snapshot(log_dirs=dirs), 0.85)
    assert [(r["broker"], r["used_fraction"], r["over_warning"]) for r in check.items] == [
        (1, 0.8, False), (2, 0.9, True), (3, None, False)
    ]
    assert check.status is Status.PROBLEMS and "1 directory(ies) report no volume size" in (check.note or "")
    assert log_dirs(snapshot(log_dirs=dirs), 0.95).status is Status.OK
    offline = (LogDir(1, "/a", "KAFKA_STORAGE_ERROR: disk failed", None, None),)
    assert log_dirs(snapshot(log_dirs=offline), 0.85).status is Status.PROBLEMS


def test_config_drift_comes_from_the_drift_kinds_plan() -> None:
    item = {"kind": "brokers", "resource": "cluster-default", "field": "config.x", "live": None, "spec": "1"}
    assert by_check(snapshot(drift=Drift((item,))))["config_drift"] == (Status.PROBLEMS, [item])
    assert by_check(snapshot(drift=Drift()))["config_drift"] == (Status.OK, [])
    assert by_check(snapshot(drift=Drift(error="1 error(s) in the specs")))["config_drift"][0] is Status.ERROR


def test_partitions_are_selected_by_glob_and_elections_split_by_isr() -> None:
    partitions = [part("prod.a.v1", 0, (1, 2), leader=2), part("prod.b.v1", 0, (4, 2), isr=(2,), leader=2),
                  part("dev.a.v1", 0, (1, 2), leader=2), part("prod.c.v1", 0, (1, 2))]  # fmt: skip
    assert [p.topic for p in selected(partitions, ("prod.*",))] == ["prod.a.v1", "prod.b.v1", "prod.c.v1"]
    assert selected(partitions, ()) == tuple(partitions)
    electable, blocked = preferred_elections(selected(partitions, ("prod.*",)))
    assert [p.topic for p in electable] == ["prod.a.v1"] and [p.topic for p in blocked] == ["prod.b.v1"]


def test_renderers_escape_what_the_cluster_names() -> None:
    snap = snapshot(part("prod.[bold]x[/bold]_*v1*", 0, (1, 4)), min_isr={"prod.[bold]x[/bold]_*v1*": 1})
    report = assess("prod", snap, topics=["prod.*"])
    buffer = io.StringIO()
    render_text(Console(file=buffer, width=200, no_color=True), report)
    text = buffer.getvalue()
    assert "prod.[bold]x[/bold]_*v1*[0]" in text and "Problems: rack_spread." in text
    markdown = render_markdown_text(report)
    assert "`prod.*`" in markdown and "**problems**" in markdown and "#### rack_spread" in markdown
    assert "`prod.[bold]x[/bold]_*v1*[0]  replicas 1,4" in markdown


def test_an_unreachable_cluster_is_an_error_within_the_timeout(offline_project: Project) -> None:
    config = offline_project.root / "mqctl.yaml"
    config.write_text(config.read_text().replace("timeout_seconds: 15", "timeout_seconds: 2"))
    env = offline_project.env
    for command in (["cluster", "health"], ["cluster", "elect-leaders"], ["brokers", "drain", "4"]):
        started = time.monotonic()
        result = offline_project.run(*command[:2], "--env", env, *command[2:])
        assert result.exit_code == 1, result.output
        assert "cannot reach Kafka environment" in result.output and "Traceback" not in result.output
        assert time.monotonic() - started < 2 + 5
    bad = offline_project.run("cluster", "health", "--env", env, "--disk-warning", "85")
    assert bad.exit_code == 1 and "--disk-warning is a fraction of the volume" in bad.output


def test_the_disk_warnings_default_in_help_is_the_one_health_applies(offline_project: Project) -> None:
    """The option's default is written in its help (mqctl.health loads only with the command)."""
    shown = " ".join(offline_project.run("cluster", "health", "--help").output.split())
    assert f"(default {DISK_WARNING_FRACTION}: the design alerts at {DISK_WARNING_FRACTION * 100:g} %)" in shown
