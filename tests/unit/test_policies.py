"""Policies: loading (every problem at its file, line and key), each built-in rule type, CEL (and its
bounds), forbidden change classes, on the declared resources of every kind."""

from __future__ import annotations

import os
import textwrap
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mqctl.config import Environment, ProjectConfig
from mqctl.diagnostics import Diagnostic, Severity
from mqctl.kind import DesiredState, Executor, Kind, ResourceView, Snapshots
from mqctl.kinds import KINDS
from mqctl.kinds.topics.changes import TopicCreate, TopicDelete, TopicUpdate
from mqctl.plan import Change, FieldDiff
from mqctl.policies import cel
from mqctl.policies.check import PolicyCheck, check_changes, check_resources
from mqctl.policies.model import load_policies
from mqctl.policies.rules import RULES
from mqctl.spec.loader import load_specs
from mqctl.spec.model import Source
from mqctl.spec.overlay import SpecLabels
from mqctl.workflows.validate import validate_project

ENVS = ("dev", "prod")
TOPICS = """\
    labels: {owner: order-team}
    defaults: {replication_factor: 3, config: {min.insync.replicas: 2}}
    topics:
      - name: order.created.v1
        partitions: 32
        retention: 7d
      - name: order.dlq.v1
        partitions: 2
        replication_factor: 2
        retention: 3d
        config: {min.insync.replicas: 1, cleanup.policy: compact}
        labels: {owner: ""}
      - name: user.behavior.v1
        partitions: 128
        replication_factor: 2
        config: {min.insync.replicas: 1}
    """


def write(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def check(root: Path, policies: str, env: str = "prod", files: Mapping[str, str] | None = None) -> list[Diagnostic]:
    write(root, {"topics/order.yaml": TOPICS, **(files or {}), "policies/p.yaml": policies})
    config = ProjectConfig(root, Environment(env, "127.0.0.1:1"), environments=ENVS)
    desired, problems = load_specs(config)
    assert problems == []
    with PolicyCheck(config, KINDS) as policies:
        return policies.check(desired)


def found(problems: list[Diagnostic]) -> list[tuple[str, int | None, str]]:
    """(file:line, key, first words of the detail) per problem."""
    return [(f"{p.file}:{p.line}", p.key, p.message.split(": ", 2)[-1]) for p in problems]


def policy(rule: str, **extra: str) -> str:
    lines = [f"  - name: p1\n    kind: topics\n    rule: {rule}\n"]
    lines += [f"    {k}: {v}\n" for k, v in extra.items()]
    return "policies:\n" + "".join(lines)


# --- loading --------------------------------------------------------------------------------------


def test_policy_file_problems_are_each_named_by_file_line_and_key(tmp_path: Path) -> None:
    write(tmp_path, {"policies/bad.yaml": """\
        policies:
          - name: a
            kind: topic
            rule: {min_partitions: 3}
          - name: b
            kind: topics
            environments: [prd]
            rule: {min_partitions: 3}
          - name: c
            kind: topics
            rule: {requires: {kind: schema, name: "{name}-value"}}
          - name: c
            kind: topics
            cel: "true"
        """, "policies/schema.yaml": "policies:\n  - name: x\n    kind: topics\n    rule: {min_partitions: 0}\n"
                              "  - name: y\n    kind: topics\n    rule: {retention: {min: 7 days}}\n"})
    _, problems = load_policies(tmp_path, [k.name for k in KINDS], ENVS)
    assert [(p.file, p.line, p.key) for p in problems] == [
        ("policies/bad.yaml", 3, "policies[0].kind"),
        ("policies/bad.yaml", 7, "policies[1].environments[0]"),
        ("policies/bad.yaml", 11, "policies[2].rule.requires.kind"),
        ("policies/bad.yaml", 12, "policies[3].name"),
        ("policies/schema.yaml", 4, "policies[0].rule.min_partitions"),
        ("policies/schema.yaml", 7, "policies[1].rule.retention.min"),
    ]
    assert "did you mean 'prod'" in problems[1].message
    assert "first at policies/bad.yaml:9" in problems[3].message


def test_no_policies_folder_means_no_policies(tmp_path: Path) -> None:
    policies, problems = load_policies(tmp_path, ["topics"])
    assert policies.policies == () and problems == []


# --- built-in rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(("rule", "expected"), [
    ("{min_partitions: 8}", [("topics/order.yaml:7", "partitions", "2 partitions; at least 8 required")]),
    ("{max_partitions: 64}", [("topics/order.yaml:13", "partitions", "128 partitions; at most 64 allowed")]),
    ("{min_replication_factor: 3}", [
        ("topics/order.yaml:7", "replication_factor", "2 replicas; at least 3 required"),
        ("topics/order.yaml:13", "replication_factor", "2 replicas; at least 3 required"),
    ]),
    ("{min_insync_replicas: 2}", [
        ("topics/order.yaml:7", "config.min.insync.replicas", "min.insync.replicas 1; at least 2 required"),
        ("topics/order.yaml:13", "config.min.insync.replicas", "min.insync.replicas 1; at least 2 required"),
    ]),
    ("{retention: {min: 7d, max: 30d}}", [
        ("topics/order.yaml:7", "config.retention.ms", "retention 3d; the policy asks for min 7d and max 30d"),
        ("topics/order.yaml:13", "config.retention.ms",
         "does not declare a retention (the broker default applies); the policy asks for min 7d and max 30d"),
    ]),
    ("{cleanup_policies: [delete]}", [
        ("topics/order.yaml:7", "config.cleanup.policy",
         "cleanup.policy compact: compact not allowed (allowed: delete)"),
    ]),
    ("{required_labels: [owner, team]}", [
        ("topics/order.yaml:4", "labels", "missing label(s) team"),
        ("topics/order.yaml:7", "labels", "missing label(s) owner, team"),
        ("topics/order.yaml:13", "labels", "missing label(s) team"),
    ]),
])
def test_each_rule_type_reports_each_resource_that_breaks_it(tmp_path: Path, rule: str, expected: list[Any]) -> None:
    assert found(check(tmp_path, policy(rule))) == expected


def test_match_exclude_environments_severity_and_message(tmp_path: Path) -> None:
    text = policy("{min_replication_factor: 3}", exclude='"user.behavior.*"', environments="[prod]",
                  severity="warning", message="one replica per data centre")
    problems = check(tmp_path, text)
    assert [(p.line, p.severity) for p in problems] == [(7, Severity.WARNING)]
    assert problems[0].message == (
        "policy p1 (policies/p.yaml:2): topics order.dlq.v1: one replica per data centre (2 replicas; at least 3 "
        "required)"
    )
    assert check(tmp_path, text, env="dev") == []
    assert check(tmp_path, policy("{min_replication_factor: 3}", match="[order.created.*]")) == []


def test_requires_another_kinds_resource(tmp_path: Path) -> None:
    schemas = {
        "schemas/events.yaml": "subjects:\n  - topic: order.created.v1\n    type: JSON\n    file: e.json\n",
        "schemas/e.json": '{"type": "object"}',
    }
    rule = policy('{requires: {kind: schemas, name: "{name}-value"}}', match="order.*")
    problems = check(tmp_path, rule, files=schemas)
    assert found(problems) == [("topics/order.yaml:7", "", "no schemas resource named order.dlq.v1-value")]


def test_requires_a_kind_the_project_does_not_manage_is_an_error_at_the_policy(tmp_path: Path) -> None:
    problems = check(tmp_path, policy('{requires: {kind: schemas, name: "{name}-value"}}'))
    assert [(p.file, p.line, p.key) for p in problems] == [("policies/p.yaml", 2, "policies[0].rule.requires.kind")]
    assert "no schemas/ folder" in problems[0].message


def test_a_rule_on_a_kind_without_its_field_is_one_error_at_the_policy(tmp_path: Path) -> None:
    text = "policies:\n  - name: p\n    kind: users\n    rule: {min_partitions: 3}\n"
    problems = check(tmp_path, text, files={"users/u.yaml": "users:\n  - {name: a, password: '${A}'}\n"})
    assert found(problems) == [("policies/p.yaml:2", "policies[0].rule",
                                "rule min_partitions reads partitions, which users resources do not have")]


# --- a kind added later: consumer groups, as plain data ------------------------------------------


@dataclass(frozen=True)
class GroupSpec:
    """How the groups kind (built elsewhere) declares a group: retry and DLQ topics are optional."""

    name: str
    topics: tuple[str, ...]
    source: Source
    retry_topic: str | None = None
    dlq_topic: str | None = None


class GroupsKind(Kind[GroupSpec, None]):
    """A stand-in kind with no hooks of its own: policies and labels work on it by default."""

    name = "groups"
    schema = "groups"
    changes: tuple[type[Change], ...] = ()

    def build(self, docs: Sequence[Any], ctx: Any) -> tuple[list[GroupSpec], list[Diagnostic]]:
        return [], []

    def snapshot(self, edges: Any) -> None:
        return None

    def managed(self, live: None) -> int:
        return 0

    def diff(self, desired: DesiredState, live: None, env: Environment) -> tuple[list[Change], list[Diagnostic]]:
        return [], []

    def executors(self, edges: Any) -> Mapping[type[Change], Executor]:
        return {}

    def export(self, snapshots: Snapshots, ctx: Any) -> Any:
        return None


def test_every_group_declares_retry_and_dlq_topics_on_a_kind_that_only_exists(tmp_path: Path) -> None:
    groups = GroupsKind()
    write(tmp_path, {"policies/g.yaml": """\
        policies:
          - name: groups-have-retry-and-dlq
            kind: groups
            rule: {required_fields: [retry_topic, dlq_topic]}
            message: the design gives every group a retry and a dead-letter topic
        """})
    policies, problems = load_policies(tmp_path, ["topics", "groups"], ENVS)
    assert problems == []
    source = Source("groups/g.yaml", 3)
    items = (
        GroupSpec("order-processor-group", ("order.created.v1",), source, "order.retry.v1", "order.dlq.v1"),
        GroupSpec("analytics-group", ("order.created.v1",), Source("groups/g.yaml", 9), "analytics.retry.v1"),
    )
    labels = SpecLabels(by_file={"groups/g.yaml": {"owner": "order-team"}})
    desired = DesiredState("prod", frozenset({"groups"}), {"groups": items}, labels)
    assert found(check_resources(policies, desired, [groups], None)) == [
        ("groups/g.yaml:9", "", "the design gives every group a retry and a dead-letter topic (does not declare "
                                "dlq_topic)")
    ]
    view = groups.view(items[0], labels)
    assert (view.name, view.address, view.labels) == ("order-processor-group", "order-processor-group",
                                                      {"owner": "order-team"})
    assert view.data["topics"] == ["order.created.v1"] and "source" not in view.data


def test_required_fields_on_plain_data() -> None:
    view = ResourceView("groups", "g", "g", None, {}, {"name": "g", "retry_topic": "r", "dlq_topic": None})
    assert RULES["required_fields"](view, ["retry_topic", "dlq_topic"], {}) == "does not declare dlq_topic"
    assert RULES["required_fields"](view, ["retry_topic"], {}) is None


# --- CEL ----------------------------------------------------------------------------------------


def test_cel_policy_checks_every_resource_in_scope(tmp_path: Path) -> None:
    text = """\
        policies:
          - name: big-needs-label
            kind: topics
            cel: 'resource.partitions <= 64 || "big" in resource.labels'
            message: topics over 64 partitions need the big label
          - name: env-aware
            kind: topics
            cel: 'environment != "prod" || resource.config["retention.ms"] != "259200000"'
            match: order.*
        """
    assert sorted(found(check(tmp_path, text))) == [
        ("topics/order.yaml:13", "", "topics over 64 partitions need the big label (the CEL rule is false: "
                                     "resource.partitions <= 64 || \"big\" in resource.labels)"),
        ("topics/order.yaml:7", "", "the CEL rule is false: environment != \"prod\" || "
                                    "resource.config[\"retention.ms\"] != \"259200000\""),
    ]
    assert check(tmp_path, text.replace("'resource.partitions <= 64", "'resource.partitions <= 128"), env="dev") == []


def test_a_cel_expression_that_does_not_compile_is_an_error_in_every_environment(tmp_path: Path) -> None:
    text = "policies:\n  - name: broken\n    kind: topics\n    environments: [dev]\n    cel: 'resource.partitions <='\n"
    problems = check(tmp_path, text, env="prod")
    assert [(p.file, p.line, p.key) for p in problems] == [("policies/p.yaml", 2, "policies[0].cel")]
    assert "does not compile" in problems[0].message and "Syntax error" in problems[0].message


def test_a_cel_expression_that_fails_on_a_resource_is_reported_not_passed(tmp_path: Path) -> None:
    text = "policies:\n  - name: owner\n    kind: topics\n    cel: 'resource.labels.team == \"x\"'\n"
    problems = check(tmp_path, text)
    assert len(problems) == 3 and all("could not be evaluated (KeyError: 'team')" in p.message for p in problems)
    text = "policies:\n  - name: count\n    kind: topics\n    cel: 'resource.partitions'\n"
    assert all("gave int" in p.message for p in check(tmp_path, text))


def test_cel_evaluation_is_bounded_in_time_and_names_the_policy(tmp_path: Path) -> None:
    numbers = "[" + ",".join(str(i) for i in range(80)) + "]"
    slow = f"{numbers}.map(a, {numbers}.map(b, {numbers}.map(c, a + b + c))).size() > 0"
    job = cel.CelJob(["true", slow], [(0, [0]), (1, [0])], [{}], "prod")
    started = time.monotonic()
    with cel.Evaluator(seconds=3.0) as evaluator:  # the worker starts in well under that
        outcome = evaluator.evaluate(job)
    assert outcome.failure == "took longer than 3 s" and outcome.failed_check == 1
    assert time.monotonic() - started < 10


def test_a_cel_policy_past_its_bound_fails_the_run_at_the_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cel, "TIME_LIMIT_SECONDS", 3.0)  # the worker starts in well under that
    numbers = "[" + ",".join(str(i) for i in range(80)) + "]"
    slow = f"{numbers}.map(a, {numbers}.map(b, {numbers}.map(c, a + b + c))).size() > 0"
    problems = check(tmp_path, f"policies:\n  - name: slow\n    kind: topics\n    cel: '{slow}'\n")
    assert [(p.file, p.line, p.key) for p in problems] == [("policies/p.yaml", 2, "policies[0].cel")]
    assert "CEL evaluation took longer than 3 s; nothing was decided" in problems[0].message


def test_cel_evaluation_is_bounded_in_memory() -> None:
    with cel.Evaluator(memory=16 * 2**20) as evaluator:
        outcome = evaluator.evaluate(cel.CelJob(["true"], [(0, [0])], [{}], "prod"))
    assert outcome.failure is not None and outcome.failure.startswith("stopped:")
    assert outcome.results == []


def test_one_cel_process_serves_every_job_of_a_run_within_one_time_limit() -> None:
    numbers = "[" + ",".join(str(i) for i in range(80)) + "]"
    slow = f"{numbers}.map(a, {numbers}.map(b, {numbers}.map(c, a + b + c))).size() > 0"
    with cel.Evaluator(seconds=3.0) as evaluator:
        first = evaluator.evaluate(cel.CelJob(["resource.n > 1"], [(0, [0, 1])], [{"n": 1}, {"n": 2}], "dev"))
        second = evaluator.evaluate(cel.CelJob(["resource.n > 1", "x ="], [(0, [0])], [{"n": 5}], "prod"))
        assert (first.results, first.compile_errors) == ([[False, True]], [None])
        assert second.results == [[True]] and second.compile_errors[0] is None and "x =" in str(second.compile_errors)
        started = time.monotonic()
        stopped = evaluator.evaluate(cel.CelJob(["true", slow], [(0, [0]), (1, [0])], [{}], "prod"))
        assert stopped.failure == "took longer than 3 s" and stopped.failed_check == 1
        after = evaluator.evaluate(cel.CelJob(["true"], [(0, [0])], [{}], "dev"))
        assert after.failure == stopped.failure and after.results == []  # the limit is the run's, not the job's
    assert time.monotonic() - started < 10


def test_a_cel_process_that_never_reads_its_job_cannot_hang_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asleep = tmp_path / "asleep.py"
    asleep.write_text("import time\ntime.sleep(60)\n")  # never reads stdin
    monkeypatch.setattr(cel, "WORKER", str(asleep))
    big = [{"name": "x" * 1000}] * 2000  # ~2 MB of job: far more than a pipe holds
    started = time.monotonic()
    with cel.Evaluator(seconds=2.0) as evaluator:
        outcome = evaluator.evaluate(cel.CelJob(["true"], [(0, [0])], big, "prod"))
    assert outcome.failure == "took longer than 2 s"
    assert time.monotonic() - started < 8


def test_cel_evaluation_works_with_descriptors_past_select_s_limit() -> None:
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]  # the child's pipes come after them
    try:
        with cel.Evaluator() as evaluator:
            outcome = evaluator.evaluate(cel.CelJob(["resource.n > 1"], [(0, [0])], [{"n": 2}], "prod"))
    finally:
        for fd in held:
            os.close(fd)
    assert (outcome.failure, outcome.results) == (None, [[True]])


def test_validate_starts_one_cel_process_for_every_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {
        "mqctl.yaml": "environments:\n  dev: {bootstrap_servers: 127.0.0.1:1}\n"
                      "  prod: {bootstrap_servers: 127.0.0.1:1}\n",
        "topics/order.yaml": TOPICS,
        "policies/p.yaml": "policies:\n  - name: wide\n    kind: topics\n    cel: 'resource.partitions <= 64'\n",
    })  # fmt: skip
    started: list[object] = []
    popen = cel.subprocess.Popen

    def counted(*args: Any, **kwargs: Any) -> Any:
        started.append(args)
        return popen(*args, **kwargs)

    monkeypatch.setattr(cel.subprocess, "Popen", counted)
    found = validate_project(tmp_path)
    wide = [d for d in found.diagnostics if "policy wide" in d.message]
    assert [(d.file, d.message.split(": ", 1)[-1]) for d in wide] == [
        ("topics/order.yaml", "topics user.behavior.v1: the CEL rule is false: resource.partitions <= 64")
    ]  # its 128 partitions, in both environments (one diagnostic: the same file, line and message)
    assert found.counts == {"dev": 3, "prod": 3} and len(started) == 1


# --- forbidden change classes -------------------------------------------------------------------


def test_forbidden_change_classes_need_an_explicit_allow(tmp_path: Path) -> None:
    write(tmp_path, {"topics/order.yaml": TOPICS, "policies/p.yaml": policy(
        "{forbid_changes: [delete, retention-cut, keyed-partition-increase]}", environments="[prod]")})
    config = ProjectConfig(tmp_path, Environment("prod", "127.0.0.1:1"), environments=ENVS)
    desired, _ = load_specs(config)
    with PolicyCheck(config, KINDS) as checking:
        policies, problems = checking.policies, checking.check(desired)
    assert problems == []
    cut = FieldDiff("config.retention.ms", "604800000", "259200000", risk="retention.ms cut")
    changes = [
        TopicCreate("prod.order.new.v1"),
        TopicUpdate("prod.order.created.v1", (FieldDiff("partitions", 16, 32),), new_partitions=32, keyed=True),
        TopicUpdate("prod.order.dlq.v1", (cut,)),
        TopicDelete("prod.order.gone.v1"),
    ]
    problems = check_changes(policies, changes, desired, KINDS, frozenset())
    assert [(p.file, p.line, p.message.split(": ", 2)[1]) for p in problems] == [
        ("topics/order.yaml", 4, "topic order.created.v1"),
        ("topics/order.yaml", 7, "topic order.dlq.v1"),
        ("policies/p.yaml", 2, "topic order.gone.v1"),
    ]
    assert "keyed-partition-increase is forbidden in prod" in problems[0].message
    assert "pass --allow keyed-partition-increase" in problems[0].message
    assert "pass --allow-delete" in problems[2].message
    assert check_changes(policies, changes, desired, KINDS, frozenset({"delete", "retention-cut"})) == problems[:1]
    unkeyed = TopicUpdate("prod.order.created.v1", (FieldDiff("partitions", 16, 32),), new_partitions=32)
    assert check_changes(policies, [unkeyed], desired, KINDS, frozenset()) == []
    assert check_changes(policies, changes, DesiredState("dev", desired.folders, desired.items), KINDS,
                         frozenset()) == []
