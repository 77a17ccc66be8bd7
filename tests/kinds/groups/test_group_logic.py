"""The pure parts of the groups kind: diff, lag and time-lag arithmetic, breaches, the timestamp
reads planner, and escaping of cluster data in output."""

from __future__ import annotations

from mqctl.kinds.groups.changes import GroupConfigUpdate, GroupDelete
from mqctl.kinds.groups.diff import diff_groups
from mqctl.kinds.groups.live import LiveGroup, LiveGroups
from mqctl.kinds.groups.render import md_code, safe, status_lines, status_markdown
from mqctl.kinds.groups.spec import Alerts, GroupSpec
from mqctl.kinds.groups.status import (
    GroupFacts,
    StatusReport,
    TimestampReads,
    group_status,
    topic_lag,
    wanted_timestamps,
)
from mqctl.plan import FieldDiff
from mqctl.spec.model import Source


def spec(name: str = "g", config: dict[str, str] | None = None, alerts: Alerts | None = None,
         topics: tuple[str, ...] = ("p.t.v1",), retry: str | None = "p.r.v1") -> GroupSpec:
    return GroupSpec(name, f"p.{name}", topics, retry, "p.d.v1", config or {}, alerts or Alerts(),
                     Source("groups/g.yaml", 2))


def test_diff_sets_declared_configs_resets_undeclared_ones_and_deletes_only_empty_undeclared_groups() -> None:
    live = LiveGroups(
        groups={
            "p.g": LiveGroup("p.g", "Stable", "consumer"),
            "p.old": LiveGroup("p.old", "Empty", "classic"),
            "p.busy": LiveGroup("p.busy", "Stable", "classic"),
            "p.mqctl.probe.v1": LiveGroup("p.mqctl.probe.v1", "Empty", "classic"),
        },
        configs={"p.g": {"consumer.session.timeout.ms": "50000", "consumer.heartbeat.interval.ms": "6000"}},
    )
    wanted = spec(config={"consumer.session.timeout.ms": "45000"})
    changes, problems = diff_groups([wanted], live, "p.")
    update, delete = changes
    assert update == GroupConfigUpdate(
        "p.g",
        (FieldDiff("config.consumer.session.timeout.ms", "50000", "45000"),
         FieldDiff("config.consumer.heartbeat.interval.ms", "6000", None)),
        set_config={"consumer.session.timeout.ms": "45000"},
        reset_config=("consumer.heartbeat.interval.ms",),
    )
    assert isinstance(delete, GroupDelete) and delete.name == "p.old" and delete.destructive
    (warning,) = problems
    assert "p.busy" in warning.message and "cannot be deleted" in warning.message
    same = LiveGroups(
        {"p.g": LiveGroup("p.g", "Stable", "consumer")}, {"p.g": {"consumer.session.timeout.ms": "45000"}}
    )
    assert diff_groups([wanted], same, "p.") == ([], [])


def test_lag_sums_partitions_and_time_lag_is_the_age_of_the_oldest_unconsumed_message() -> None:
    committed = {("t", 0): 5, ("t", 1): 10}
    ends = {("t", 0): 9, ("t", 1): 10, ("t", 2): 3}
    reads = TimestampReads(wanted_timestamps([committed], ends))
    assert reads.next_round() == {("t", 0): 5}
    reads.take(("t", 0), [(4, 900), (5, 1_000), (6, 2_000)])
    topic = topic_lag("t", 3, committed, ends, reads, now_ms=61_000, watched=True)
    assert (topic.lag, topic.max_partition_lag, topic.time_lag_seconds) == (4, 4, 60.0)
    assert [(p.committed, p.end, p.lag) for p in topic.partitions] == [(5, 9, 4), (10, 10, 0), (None, 3, None)]
    nothing = topic_lag("t", 1, {}, ends, reads, 0, True)
    assert (nothing.lag, nothing.max_partition_lag, nothing.time_lag_seconds) == (None, None, None)


def test_a_topics_time_lag_is_its_oldest_lagging_partition_and_null_when_one_is_unreadable() -> None:
    committed = {("t", 0): 1, ("t", 1): 2, ("t", 2): 7}
    ends = {("t", 0): 5, ("t", 1): 5, ("t", 2): 7}
    reads = TimestampReads(wanted_timestamps([committed], ends))
    assert reads.next_round() == {("t", 0): 1, ("t", 1): 2}  # partition 2 has no lag: nothing to read
    reads.take(("t", 0), [(1, 20_000)])
    reads.take(("t", 1), [(2, 5_000)])
    topic = topic_lag("t", 3, committed, ends, reads, now_ms=65_000, watched=True)
    assert (topic.lag, topic.max_partition_lag, topic.time_lag_seconds) == (7, 4, 60.0)
    assert [p.lag for p in topic.partitions] == [4, 3, 0]
    unread = topic_lag("t", 3, committed, ends, TimestampReads({}), now_ms=65_000, watched=True)
    assert (unread.lag, unread.time_lag_seconds) == (7, None)
    caught_up = topic_lag("t", 1, {("t", 0): 5}, ends, TimestampReads({}), now_ms=0, watched=True)
    assert (caught_up.lag, caught_up.max_partition_lag, caught_up.time_lag_seconds) == (0, 0, 0.0)


def test_timestamp_reads_share_a_fetch_between_groups_and_follow_retention() -> None:
    reads = TimestampReads({("t", 0): {3, 5, 40}, ("t", 1): {2}})
    assert reads.next_round() == {("t", 0): 3, ("t", 1): 2}
    reads.take(("t", 0), [(3, 30), (4, 40), (6, 60)])  # 5 was compacted away: the next record is the oldest
    reads.out_of_range(("t", 1), 7)  # offset 2 was deleted by retention: read from the log start
    assert (reads.timestamp(("t", 0), 3), reads.timestamp(("t", 0), 5)) == (30, 60)
    assert reads.next_round() == {("t", 0): 40, ("t", 1): 7}
    reads.take(("t", 0), [(40, 400)])
    reads.take(("t", 1), [(7, 70)])
    assert (reads.timestamp(("t", 0), 40), reads.timestamp(("t", 1), 2)) == (400, 70)
    assert reads.next_round() == {}
    empty = TimestampReads({("t", 0): {1}})
    empty.take(("t", 0), [])  # only transaction markers after the offset: unknown, not retried forever
    assert empty.next_round() == {} and empty.timestamp(("t", 0), 1) is None


def test_breaches_compare_each_alert_and_max_members_defaults_to_the_smallest_partition_count() -> None:
    group = spec(alerts=Alerts(max_lag=3, max_time_lag_ms=30_000, min_members=2), topics=("p.t.v1", "p.u.v1"))
    committed = {("p.t.v1", 0): 0, ("p.r.v1", 0): 0, ("p.d.v1", 0): 0}
    ends = {("p.t.v1", 0): 10, ("p.u.v1", 0): 0, ("p.u.v1", 1): 0, ("p.r.v1", 0): 1, ("p.d.v1", 0): 50}
    reads = TimestampReads(wanted_timestamps([committed], ends))
    reads.take(("p.t.v1", 0), [(0, 0)])
    reads.take(("p.r.v1", 0), [(0, 50_000)])
    reads.take(("p.d.v1", 0), [(0, 0)])
    partitions = {"p.t.v1": 1, "p.u.v1": 2, "p.r.v1": 1, "p.d.v1": 1}
    facts = GroupFacts("Stable", "classic", 1, committed)
    status = group_status(group, "p.g", "g", facts, ends, partitions, reads, now_ms=60_000)
    assert [t.topic for t in status.topics] == ["p.t.v1", "p.u.v1", "p.r.v1", "p.d.v1"]
    assert [(b.alert, b.value, b.limit, b.topic) for b in status.breaches] == [
        ("max_lag", 10, 3, "p.t.v1"), ("max_time_lag", 60.0, 30.0, "p.t.v1"), ("min_members", 1, 2, None)
    ]  # the retry topic is within its limits; the DLQ has commits but is not watched
    crowded = group_status(spec(topics=("p.u.v1",)), "p.g", "g", GroupFacts("Stable", "consumer", 3, {}), ends,
                           partitions, reads, 0)
    assert [(b.alert, b.value, b.limit) for b in crowded.breaches] == [("max_members", 3, 2)]
    missing = group_status(spec(alerts=Alerts(min_members=1)), "p.g", "g", GroupFacts(None, None, None, {}), ends,
                           partitions, reads, 0)
    assert (missing.state, missing.members, [b.alert for b in missing.breaches]) == ("Missing", 0, ["min_members"])
    report = StatusReport("p", (status, crowded))
    assert report.breached and report.to_dict()["format_version"] == 1
    assert set(report.to_dict()["groups"][0]) >= {"name", "group_id", "state", "members", "topics", "breaches"}


def test_cluster_data_cannot_steer_the_terminal_or_break_out_of_markdown() -> None:
    hostile = "evil\x1b[2J\x1b]8;;http://x\x07\u202egnp.exe\r\n| **x** `y`"
    shown = safe(hostile)
    assert "\x1b" not in shown and "\u202e" not in shown and "\r" not in shown and "\n" not in shown
    assert "\\x1b[2J" in shown and "\\u202e" in shown
    assert md_code("a`b|c").startswith("``") and "\n" not in md_code("a\nb")
    assert safe("x" * 300, limit=10).startswith("xxxxxxxxxx… (290 more")
    group = group_status(spec(name="g\x1b[31m"), "p.g\x1b[31m", "g", GroupFacts(None, None, None, {}), {}, {},
                         TimestampReads({}), 0)
    for line in status_lines(StatusReport("p", (group,))) + status_markdown(StatusReport("p", (group,))):
        assert "\x1b" not in line


def test_a_partition_without_a_leader_has_no_end_and_no_lag() -> None:
    committed = {("t", 0): 5, ("t", 1): 5}
    ends = {("t", 0): 9}  # partition 1 has no leader: ListOffsets could not ask anyone
    topic = topic_lag("t", 2, committed, ends, TimestampReads({}), now_ms=0, watched=True)
    assert [(p.end, p.lag) for p in topic.partitions] == [(9, 4), (None, None)]
    assert topic.lag == 4 and wanted_timestamps([committed], ends) == {("t", 0): {5}}
