"""When planning fails before a plan exists (cluster unreachable, bad specs), `-o json` and
`-o markdown` still print a plan document holding the errors (docs/ci.md), so a CI script or a
pull-request comment always gets one. Nothing listens on 127.0.0.1:1: a real unreachable cluster."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Project

SPEC = "topics:\n  - {name: order.created.v1, partitions: 1, replication_factor: 1}\n"


@pytest.fixture
def unreachable(offline_project: Project) -> Project:
    config = offline_project.root / "mqctl.yaml"
    config.write_text(config.read_text().replace("timeout_seconds: 15", "timeout_seconds: 2"))
    offline_project.write("topics/a.yaml", SPEC)
    return offline_project


def test_json_plan_document_holds_the_connection_error(unreachable: Project) -> None:
    result = unreachable.run("plan", "--env", unreachable.env, "-o", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["format_version"] == 1 and document["environment"] == unreachable.env
    assert document["changes"] == [] and document["summary"]["create"] == 0
    (problem,) = document["errors"]
    assert f"cannot reach Kafka environment '{unreachable.env}' at 127.0.0.1:1" in problem["message"]
    assert problem["severity"] == "error"


def test_markdown_comment_holds_the_connection_error(unreachable: Project) -> None:
    result = unreachable.run("plan", "--env", unreachable.env, "-o", "markdown")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"<!-- mqctl-plan:{unreachable.env} -->"
    assert "#### ❌ Errors" in result.stdout
    assert "cannot reach Kafka environment" in result.stdout and "127.0.0.1:1" in result.stdout


def test_json_plan_document_holds_every_spec_error(unreachable: Project) -> None:
    unreachable.write("topics/b.yaml", "topics:\n  - {name: order.b.v1, partitions: 0, replication_factor: 1}\n")
    unreachable.write("topics/c.yaml", "topics:\n\n  - {name: Bad, partitions: 1, replication_factor: 1}\n")
    result = unreachable.run("plan", "--env", unreachable.env, "-o", "json")
    assert result.exit_code == 1
    errors = json.loads(result.stdout)["errors"]
    assert [(e["file"], e["line"], e["key"]) for e in errors] == [
        ("topics/b.yaml", 2, "topics[0].partitions"), ("topics/c.yaml", 3, "topics[0].name")
    ]


def test_text_output_prints_the_error_on_stderr_and_no_plan(unreachable: Project) -> None:
    result = unreachable.run("plan", "--env", unreachable.env)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "cannot reach Kafka environment" in result.stderr
