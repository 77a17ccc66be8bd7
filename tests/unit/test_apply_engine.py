"""The apply engine on plain data: what runs, in which order, what is held back without a flag, and
how every outcome is recorded. The executors here are recording functions standing in for a kind's
batch executors (the real ones are exercised against the cluster by the integration tests)."""

from __future__ import annotations

from collections.abc import Sequence

from mqctl.kind import Executor, Results
from mqctl.kinds import apply_order
from mqctl.kinds.topics.changes import TopicCreate, TopicDelete, TopicUpdate
from mqctl.plan import Change, Plan
from mqctl.workflows.apply import NOT_STARTED, RUNNING_WHEN_INTERRUPTED, execute


def recording(calls: list[tuple[str, list[str], bool]], failing: frozenset[str] = frozenset()) -> dict[
    type[Change], Executor
]:
    def run(kind: str) -> Executor:
        def call(changes: Sequence[Change], validate_only: bool) -> Results:
            calls.append((kind, [c.name for c in changes], validate_only))
            return {c.name: ("refused" if c.name in failing else None) for c in changes}

        return call

    return {TopicCreate: run("create"), TopicUpdate: run("update"), TopicDelete: run("delete")}


def plan() -> Plan:
    changes = [TopicDelete("dev.old.v1"), TopicUpdate("dev.b.v1"), TopicCreate("dev.a.v1"), TopicCreate("dev.c.v1")]
    return Plan.build("dev", changes, order=apply_order)


def test_without_allow_delete_deletes_are_held_back_and_reported_skipped() -> None:
    calls: list[tuple[str, list[str], bool]] = []
    report = execute(plan(), recording(calls), allow_delete=False)
    assert calls == [("create", ["dev.a.v1", "dev.c.v1"], False), ("update", ["dev.b.v1"], False)]
    assert [(c.name, why) for c, why in report.skipped] == [("dev.old.v1", "needs --allow-delete")]
    assert [o.change.name for o in report.done] == ["dev.a.v1", "dev.c.v1", "dev.b.v1"]
    assert plan().held_back(allow_delete=False) == {"topic:dev.old.v1": "needs --allow-delete"}


def test_with_allow_delete_every_change_runs_in_plan_order() -> None:
    calls: list[tuple[str, list[str], bool]] = []
    report = execute(plan(), recording(calls), allow_delete=True)
    assert [kind for kind, _, _ in calls] == ["create", "update", "delete"]
    assert report.skipped == [] and report.ok
    assert plan().held_back(allow_delete=True) == {}


def test_a_failure_is_recorded_against_its_change_and_the_rest_still_runs() -> None:
    calls: list[tuple[str, list[str], bool]] = []
    seen: list[str] = []
    executors = recording(calls, failing=frozenset({"dev.a.v1"}))
    report = execute(plan(), executors, True, lambda o: seen.append(o.change.name))
    assert [(o.change.name, o.error) for o in report.failed] == [("dev.a.v1", "refused")]
    assert {o.change.name for o in report.done} == {"dev.c.v1", "dev.b.v1", "dev.old.v1"}
    assert not report.ok and seen == ["dev.a.v1", "dev.c.v1", "dev.b.v1", "dev.old.v1"]


def test_a_change_the_executor_says_nothing_about_is_a_failure_not_a_success() -> None:
    def silent(changes: Sequence[Change], validate_only: bool) -> Results:
        return {}

    report = execute(Plan.build("dev", [TopicCreate("dev.a.v1")]), {TopicCreate: silent}, allow_delete=False)
    assert [(o.change.name, o.error) for o in report.failed] == [("dev.a.v1", "no result from the cluster")]


def test_ctrl_c_during_a_batch_reports_it_as_unknown_and_the_rest_as_not_started() -> None:
    calls: list[tuple[str, list[str], bool]] = []
    executors = recording(calls)

    def interrupted(changes: Sequence[Change], validate_only: bool) -> Results:
        raise KeyboardInterrupt  # Ctrl-C while the updates run (e.g. waiting for a replica move)

    executors[TopicUpdate] = interrupted
    report = execute(plan(), executors, allow_delete=True)
    assert [o.change.name for o in report.done] == ["dev.a.v1", "dev.c.v1"]
    assert [(c.name, why) for c, why in report.interrupted] == [
        ("dev.b.v1", RUNNING_WHEN_INTERRUPTED), ("dev.old.v1", NOT_STARTED)
    ]
    assert [kind for kind, _, _ in calls] == ["create"]  # nothing ran after the interrupt
    assert not report.ok and report.failed == []
