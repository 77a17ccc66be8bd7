"""Markdown plan comments, compared with checked-in snapshots. Plans are built directly: no cluster.

After an intended change of the output, rewrite the snapshots with
`MQCTL_UPDATE_SNAPSHOTS=1 pytest tests/unit/test_render_markdown.py` (the rewritten tests fail once),
review the diff, and run the tests again without it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mqctl.diagnostics import error, warning
from mqctl.kinds.topics.changes import TopicCreate, TopicDelete, TopicUpdate
from mqctl.plan import FieldDiff, Plan
from mqctl.render.markdown import MAX_CHARS, code, plain, render_markdown
from tests.conftest import assert_matches_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"


def create(name: str, partitions: int = 3) -> TopicCreate:
    return TopicCreate(
        f"dev.{name}",
        (
            FieldDiff("partitions", None, partitions),
            FieldDiff("replication_factor", None, 3),
            FieldDiff("config.retention.ms", None, "604800000"),
        ),
        partitions=partitions,
        replication_factor=3,
        config={"retention.ms": "604800000"},
    )


RETENTION_CUT = TopicUpdate(
    "dev.payment.events.v1",
    (
        FieldDiff("partitions", 16, 32),
        FieldDiff(
            "config.retention.ms",
            "2592000000",
            "86400000",
            "retention.ms cut from 30d to 1d: older data is deleted",
        ),
    ),
    new_partitions=32,
    set_config={"retention.ms": "86400000"},
)
DELETE = TopicDelete(
    "dev.legacy.orders.v1",
    (FieldDiff("partitions", 8, None),),
    risks=("deletes topic dev.legacy.orders.v1 and all its data",),
)
DRIFT = warning(
    "topics/order.yaml",
    12,
    "config.segment.ms",
    "dev.order.created.v1: segment.ms=3600000 is set on the cluster but not in the spec (drift, left alone)",
)

PLANS = {
    "no_changes": Plan.build("dev", []),
    "small": Plan.build("dev", [create("order.created.v1"), RETENTION_CUT, DELETE], [DRIFT]),
    "long": Plan.build("dev", [create(f"order.event{i:02}.v1", i + 1) for i in range(12)]),
    "errors": Plan.build(
        "dev",
        [create("order.created.v1")],
        [
            error("topics/order.yaml", 7, "partitions", "dev.order.status.v1: partitions cannot decrease (16 -> 8)"),
            warning("mqctl.yaml", None, "policy.protected_topics", "dev.order.dlq.v1 is protected; *.dlq.* kept"),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(PLANS))
def test_markdown_matches_snapshot(name: str) -> None:
    assert_matches_snapshot(render_markdown(PLANS[name]), SNAPSHOTS / f"plan_{name}.md")


def test_destructive_changes_come_before_the_change_list() -> None:
    text = render_markdown(PLANS["small"])
    caution = text.index("[!CAUTION]")
    assert caution < text.index("| action | changes |") < text.index("- 🟢 **create**")


def test_a_huge_plan_still_fits_one_comment() -> None:
    plan = Plan.build("dev", [create(f"order.event{i:05}.v1") for i in range(3000)])
    text = render_markdown(plan)
    assert len(text) < MAX_CHARS + 1000
    assert "more change(s), left out to fit a comment" in text
    assert "<details><summary>All 3000 changes</summary>" in text


def test_free_text_and_names_cannot_break_the_markup() -> None:
    assert plain("keeps *.dlq.* <b>") == "keeps \\*.dlq.\\* \\<b\\>"
    assert code("a`b") == "`` a`b ``"
