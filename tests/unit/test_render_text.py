"""The text plan renderer on Plans built directly: what a reviewer reads in a terminal or CI log."""

from __future__ import annotations

from rich.console import Console

from mqctl.diagnostics import error, warning
from mqctl.kinds import apply_order
from mqctl.kinds.topics.changes import TopicCreate, TopicDelete, TopicUpdate
from mqctl.plan import FieldDiff, Plan
from mqctl.render.text import render_plan


def rendered(plan: Plan, notes: dict[str, str] | None = None) -> str:
    console = Console(record=True, width=200, no_color=True)
    render_plan(console, plan, notes)
    return console.export_text()


def sample() -> Plan:
    return Plan.build(
        "prod",
        [
            TopicDelete("prod.order.old.v1", (FieldDiff("partitions", 3, None),), risks=("deletes topic",)),
            TopicUpdate(
                "prod.order.lifecycle.v1",
                (
                    FieldDiff("partitions", 16, 32),
                    FieldDiff("config.retention.ms", "2592000000", "604800000", risk="retention.ms cut from 30d to 7d"),
                ),
                new_partitions=32,
                set_config={"retention.ms": "604800000"},
            ),
            TopicCreate(
                "prod.order.created.v1",
                (FieldDiff("partitions", None, 8), FieldDiff("config.segment.bytes", None, str(64 * 2**20))),
                partitions=8,
            ),
        ],
        [warning("topics/a.yaml", 3, "config.segment.ms", "drift")],
        order=apply_order,
    )


def test_changes_are_ordered_and_marked() -> None:
    text = rendered(sample(), {"topic:prod.order.old.v1": "needs --allow-delete"})
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[0] == "mqctl will make these changes in environment prod:"
    assert lines[1] == "+ topic prod.order.created.v1"
    assert "config.segment.bytes  64MiB (67108864)" in text
    assert "~ topic prod.order.lifecycle.v1  ⚠ destructive" in text
    assert "partitions           16 → 32" in text
    assert "config.retention.ms  30d (2592000000) → 7d (604800000)" in text
    assert "⚠ retention.ms cut from 30d to 7d" in text
    assert "- topic prod.order.old.v1  ⚠ destructive  (needs --allow-delete)" in text
    assert "warning: topics/a.yaml:3: config.segment.ms: drift" in text
    assert lines[-1] == "Plan: 1 to create, 1 to update, 1 to delete, 2 destructive."


def test_no_changes_and_errors_summaries() -> None:
    assert rendered(Plan.build("prod", [])).strip() == "No changes. Environment prod matches the specs."
    failed = Plan.build("prod", sample().changes, [error("topics/a.yaml", 9, "partitions", "cannot decrease")])
    text = rendered(failed)
    assert "error: topics/a.yaml:9: partitions: cannot decrease" in text
    assert text.strip().endswith("Plan failed: 1 error(s); nothing will be changed.")


def test_json_form_is_the_documented_contract() -> None:
    data = sample().to_dict()
    assert data["format_version"] == 1 and data["environment"] == "prod"
    assert data["summary"] == {"create": 1, "update": 1, "delete": 1, "destructive": 2}
    update = data["changes"][1]
    assert update == {
        "resource_type": "topic",
        "name": "prod.order.lifecycle.v1",
        "action": "update",
        "destructive": True,
        "risks": ["retention.ms cut from 30d to 7d"],
        "diffs": [
            {"field": "partitions", "before": 16, "after": 32},
            {
                "field": "config.retention.ms",
                "before": "2592000000",
                "after": "604800000",
                "risk": "retention.ms cut from 30d to 7d",
            },
        ],
    }
    assert data["warnings"] == [
        {"file": "topics/a.yaml", "line": 3, "key": "config.segment.ms", "message": "drift", "severity": "warning"}
    ]
    assert data["errors"] == []
