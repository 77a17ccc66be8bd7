"""`mqctl alerts export`: Prometheus rules from the groups' alerts, with each exporter's real metric
names, accepted by `promtool check rules` (Debian's prometheus package; .ci/run installs it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from mqctl.kinds.groups.prometheus import EXPORTERS, regex_alternatives
from tests.conftest import Project

ROOT = Path(__file__).resolve().parents[3]


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is not installed: `apt-get install prometheus` (Debian), or run .ci/run")
    return found


@pytest.mark.parametrize("exporter", sorted(EXPORTERS))
def test_the_example_groups_give_rules_promtool_accepts(offline_project: Project, exporter: str) -> None:
    for folder in ("topics", "groups"):
        shutil.copytree(ROOT / folder, offline_project.root / folder)
    out = offline_project.root / "rules.yml"
    result = offline_project.run("alerts", "export", "--env", offline_project.env, "--format", "prometheus",
                                 "--exporter", exporter, "--out", str(out))
    assert result.exit_code == 0, result.output
    checked = subprocess.run([promtool(), "check", "rules", str(out)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 20 rules found" in checked.stdout  # 5 groups x lag, time lag, offline, too many

    rules = {(g["name"], r["alert"]): r for g in yaml.safe_load(out.read_text())["groups"] for r in g["rules"]}
    assert {rule["for"] for rule in rules.values()} == {"1m"}  # docs/groups.md: every rule waits 1 minute
    env = offline_project.env
    metrics = EXPORTERS[exporter]
    lag = rules[(f"mqctl-{env}-order-processor-group", "KafkaConsumerGroupLag")]
    assert lag["expr"].startswith(f'{metrics.topic_lag}{{{metrics.group_label}="{env}.order-processor-group",')
    assert lag["expr"].endswith("> 100000")
    time_lag = rules[(f"mqctl-{env}-order-processor-group", "KafkaConsumerGroupTimeLag")]
    assert f"rate({metrics.end_offset}" in time_lag["expr"] and time_lag["expr"].endswith("> 300")
    offline = rules[(f"mqctl-{env}-analytics-group", "KafkaConsumerGroupMembersOffline")]
    assert offline["expr"] == f'{metrics.members}{{{metrics.group_label}="{env}.analytics-group"}} < 1'
    crowded = rules[(f"mqctl-{env}-inventory-sync-group", "KafkaConsumerGroupTooManyMembers")]
    assert crowded["expr"].endswith("> 32")  # order.created.v1 has 32 partitions
    printed = offline_project.run("alerts", "export", "--env", offline_project.env, "--exporter", exporter)
    assert printed.exit_code == 0 and printed.stdout == out.read_text()


def test_bad_exporter_or_format_is_one_line_and_exit_1(offline_project: Project) -> None:
    for args in (("--exporter", "burrow"), ("--format", "nagios")):
        result = offline_project.run("alerts", "export", "--env", offline_project.env, *args)
        assert result.exit_code == 1 and "must be one of" in result.output


def test_label_values_become_exact_regex_alternatives() -> None:
    assert regex_alternatives(["p.a-b.v1", "p.c.v1", "p.c.v1"]) == r"p\.a-b\.v1|p\.c\.v1"
