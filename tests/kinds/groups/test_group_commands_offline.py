"""The group commands without a cluster: bad input fails before connecting, and an unreachable
cluster fails within the timeout with one readable line (exit 1, never a traceback)."""

from __future__ import annotations

import time

import pytest

from mqctl.kinds.groups.cli import emit
from tests.conftest import Project

SPECS = {
    "groups/g.yaml": "groups:\n  - name: g\n    topics: [order.created.v1]\n    dlq_topic: order.dlq.v1\n",
}


def write(project: Project) -> None:
    for path, text in SPECS.items():
        project.write(path, text)
    project.write("mqctl.yaml", (project.root / "mqctl.yaml").read_text().replace("timeout_seconds: 15",
                                                                                   "timeout_seconds: 2"))


def test_bad_input_is_refused_before_anything_connects(offline_project: Project) -> None:
    write(offline_project)
    env = offline_project.env
    cases = [
        (("groups", "status", "--env", env, "--group", "nope"), "unknown group 'nope'"),
        (("groups", "status", "--env", env, "-o", "yaml"), "--output must be one of"),
        (("groups", "reset-offsets", "--env", env, "g", "--topic", "order.created.v1"), "exactly one"),
        (("groups", "reset-offsets", "--env", env, "g", "--topic", "order.created.v1", "--to-offset", "x"),
         "whole number"),
        (("groups", "reset-offsets", "--env", env, "g", "--topic", "other.v1", "--to-earliest"),
         "not consumed by group g"),
        (("groups", "reset-offsets", "--env", env, "g", "--topic", "order.created.v1", "--to-datetime", "soon"),
         "ISO-8601"),
        (("groups", "replay-dlq", "--env", env, "g", "--limit", "-3"), "--limit must be greater than 0"),
        (("groups", "replay-dlq", "--env", env, "g", "--to", "elsewhere.v1"), "not consumed by group g"),
    ]
    for args, message in cases:
        result = offline_project.run(*args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_an_unreachable_cluster_fails_within_the_timeout(offline_project: Project) -> None:
    write(offline_project)
    env = offline_project.env
    for args in (
        ("groups", "status", "--env", env),
        ("groups", "reset-offsets", "--env", env, "g", "--topic", "order.created.v1", "--to-earliest"),
        ("groups", "replay-dlq", "--env", env, "g"),
    ):
        start = time.monotonic()
        result = offline_project.run(*args)
        assert result.exit_code == 1 and "cannot reach Kafka environment" in result.output, result.output
        assert time.monotonic() - start < 15 and "Traceback" not in result.output


def test_a_text_report_is_its_lines_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    """emit prints the lines at once: the bytes are the lines, each ended by one newline, nothing
    folded or interpreted (a long line, rich markup and an emoji code stay as they are)."""
    lines = ["environment dev: 2 group(s)", "✓ dev.g: Stable, consumer, members 1",
             "    [red]dev.t:warning:[/]: lag 1, " + "x" * 300, "all groups within their alerts"]
    emit(True, "text", dict, lambda: lines)
    assert capsys.readouterr().out == "".join(line + "\n" for line in lines)
