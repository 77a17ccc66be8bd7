"""The plan's new parts on plain data: `--target`, labels in every output format (the JSON plan stays
format_version 1), a keyed topic's partition increase, and the exit code of a run over every
environment."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from rich.console import Console

from mqctl.config import Environment
from mqctl.diagnostics import MqctlError, Severity
from mqctl.kind import DesiredState, Snapshots
from mqctl.kinds import BY_NAME
from mqctl.kinds.topics.live import LiveTopic, LiveTopics
from mqctl.kinds.topics.spec import TopicKey, TopicSpec
from mqctl.plan import FORMAT_VERSION, Plan
from mqctl.render import markdown, text
from mqctl.render.fleet import fleet_dict
from mqctl.spec.model import Source
from mqctl.spec.overlay import SpecLabels
from mqctl.targets import parse_targets
from mqctl.workflows.fleet import worst_exit_code
from mqctl.workflows.plan import PlanOptions, compute_plan

ENV = Environment("prod", "127.0.0.1:1")
TOPICS = BY_NAME["topics"]


def spec(name: str, partitions: int, line: int, key: TopicKey | None = None) -> TopicSpec:
    return TopicSpec(name, f"prod.{name}", partitions, 3, {}, Source("topics/a.yaml", line), key=key)


def live(name: str, partitions: int) -> LiveTopic:
    return LiveTopic(f"prod.{name}", partitions, tuple((1, 2, 3) for _ in range(partitions)))


def plan(targets: tuple[str, ...] = (), keyed: bool = False) -> Plan:
    key = TopicKey("user_id: one user's orders stay in order") if keyed else None
    specs = (spec("order.created.v1", 8, 4, key), spec("order.new.v1", 3, 9), spec("payment.events.v1", 3, 14))
    labels = SpecLabels({"topics/a.yaml": {"owner": "order-team"}}, {Source("topics/a.yaml", 14): {"tier": "gold"}})
    desired = DesiredState("prod", frozenset({"topics"}), {"topics": specs}, labels)
    state = LiveTopics((1, 2, 3), {t.name: t for t in (live("order.created.v1", 4), live("payment.events.v1", 3),
                                                       live("order.old.v1", 1))}, frozenset())
    return compute_plan(desired, Snapshots({"topics": state}), ENV, [TOPICS], options=PlanOptions(targets))


def test_without_targets_everything_is_planned() -> None:
    assert [(type(c).__name__, c.name) for c in plan().changes] == [
        ("TopicCreate", "prod.order.new.v1"), ("TopicUpdate", "prod.order.created.v1"),
        ("TopicDelete", "prod.order.old.v1"),
    ]


@pytest.mark.parametrize(("targets", "names"), [
    (("topics:order.new.v1",), ["prod.order.new.v1"]),
    (("topics:prod.order.created.v1",), ["prod.order.created.v1"]),
    (("topics:order.*",), ["prod.order.new.v1", "prod.order.created.v1", "prod.order.old.v1"]),
    (("top*:order.n*", "topics:order.old.v1"), ["prod.order.new.v1", "prod.order.old.v1"]),
])
def test_targets_limit_the_plan_and_deletes_outside_them_are_never_planned(
    targets: tuple[str, ...], names: list[str]
) -> None:
    result = plan(targets)
    assert [c.name for c in result.changes] == names
    assert result.to_dict()["targets"] == list(targets)


def test_a_target_that_matches_nothing_is_a_warning_and_a_bad_one_an_error() -> None:
    result = plan(("topics:nothing.*",))
    assert result.changes == ()
    assert [(d.severity, d.key) for d in result.diagnostics] == [(Severity.WARNING, "--target")]
    with pytest.raises(MqctlError, match="write KIND:NAME"):
        parse_targets(["order.*"], ["topics"])
    with pytest.raises(MqctlError, match="no kind matches 'topic'"):
        parse_targets(["topic:order.*"], ["topics"])


def test_labels_show_in_json_text_and_markdown() -> None:
    result = plan()
    data = result.to_dict()
    assert data["format_version"] == FORMAT_VERSION == 1
    by_name = {c["name"]: c for c in data["changes"]}
    assert by_name["prod.order.created.v1"]["labels"] == {"owner": "order-team"}
    assert "labels" not in by_name["prod.order.old.v1"]  # deleted: no spec, no labels
    assert "targets" not in data
    out = Console(file=StringIO(), width=200, no_color=True)
    text.render_plan(out, result)
    assert "      labels: owner=order-team" in out.file.getvalue()  # type: ignore[attr-defined]
    assert "  - labels: `owner=order-team`" in markdown.render_markdown(result)


def test_the_fingerprint_covers_the_changes_as_the_json_plan_shows_them() -> None:
    result = plan()
    unlabelled = Plan.build(result.environment, result.changes)
    assert result.fingerprint() != unlabelled.fingerprint()
    assert plan().fingerprint() == result.fingerprint()


def test_a_partition_increase_on_a_keyed_topic_warns_and_is_classed() -> None:
    result = plan(keyed=True)
    (update,) = [c for c in result.changes if c.name == "prod.order.created.v1"]
    assert {"update", "partition-increase", "keyed-partition-increase"} <= update.classes
    (warned,) = [d for d in result.warnings if d.key == "key"]
    assert (warned.file, warned.line) == ("topics/a.yaml", 4)
    assert "moves keys to other partitions" in warned.message and "user_id" in warned.message
    (plain,) = [c for c in plan().changes if c.name == "prod.order.created.v1"]
    assert "keyed-partition-increase" not in plain.classes


def test_every_environment_in_one_json_document_and_the_worst_exit_code() -> None:
    assert worst_exit_code([0, 2, 0]) == 2
    assert worst_exit_code([2, 1, 0]) == 1
    assert worst_exit_code([0, 0]) == 0
    failed = Plan.failed("dev", "cannot reach the cluster")
    document = fleet_dict([(plan(), 2), (failed, 1)], 1)
    assert json.loads(json.dumps(document))["exit_code"] == 1
    assert [(e["environment"], e["exit_code"]) for e in document["environments"]] == [("prod", 2), ("dev", 1)]
    assert document["environments"][1]["plan"]["errors"][0]["message"] == "cannot reach the cluster"
