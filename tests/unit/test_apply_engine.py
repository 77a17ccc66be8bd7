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


def test_apply_that_left_held_back_changes_undone_exits_2_and_says_so() -> None:
    from mqctl.workflows.apply import ApplyRun
    from mqctl.workflows.fleet import apply_exit_code

    held = execute(plan(), recording([]), allow_delete=False)
    assert held.ok and not held.complete
    assert apply_exit_code(ApplyRun(plan(), "applied", held)) == 2
    everything = execute(plan(), recording([]), allow_delete=True)
    assert everything.complete and apply_exit_code(ApplyRun(plan(), "applied", everything)) == 0
    failed = execute(plan(), recording([], failing=frozenset({"dev.a.v1"})), allow_delete=False)
    assert apply_exit_code(ApplyRun(plan(), "applied", failed)) == 1  # a failure outranks what was held back


def test_the_plan_itself_names_the_flag_each_held_back_change_needs() -> None:
    import io

    from rich.console import Console

    from mqctl.render.markdown import render_markdown
    from mqctl.render.text import render_plan, summary_line

    needing = plan().needing(plan().held_back(allow_delete=False))
    assert needing.needs == {"topic:dev.old.v1": "needs --allow-delete"}
    assert summary_line(needing) == (
        "Plan: 2 to create, 1 to update, 1 to delete, 1 destructive; 1 needs --allow-delete to be applied."
    )
    out = Console(file=io.StringIO(), no_color=True, width=200)
    render_plan(out, needing)
    assert "- topic dev.old.v1  ⚠ destructive  (needs --allow-delete)" in out.file.getvalue()  # type: ignore[attr-defined]
    assert "(needs \\-\\-allow\\-delete)" not in render_markdown(needing)  # plain text: dashes need no escape
    assert "dev.old.v1` ⚠️ **destructive** (needs --allow-delete)" in render_markdown(needing)
    assert needing.to_dict()["needs"] == {"topic:dev.old.v1": "needs --allow-delete"}
    assert "needs" not in plan().to_dict()  # absent when nothing needs a flag: format_version 1 unchanged
    assert needing.fingerprint() == plan().fingerprint()  # the flag a change needs is not what it does
    assert needing.with_diagnostics([]).needs == needing.needs
