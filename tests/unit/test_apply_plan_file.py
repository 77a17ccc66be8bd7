"""`apply PLAN` checks the plan file first (issue 12, item 9): a missing, unreadable, truncated,
edited, wrong-environment or other-format file is refused with one clear line, exit 1, at once,
before any connection or lock. The environment's bootstrap is 127.0.0.1:1, so
anything that tried to connect would say "cannot reach"; the lock is replaced by a recorder."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import mqctl.kafka.lock
from mqctl.cli import app
from mqctl.config import Environment
from mqctl.kinds.topics.changes import TopicCreate
from mqctl.plan import FieldDiff, Plan
from mqctl.saved_plan import fingerprints, saved_plan_dict
from tests.conftest import Project

ENV = "tplanfile"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Project, list[str]]]:
    """An offline project, and the list of lock attempts (there must be none)."""
    (tmp_path / "mqctl.yaml").write_text(
        f"environments:\n  {ENV}:\n    bootstrap_servers: 127.0.0.1:1\n    timeout_seconds: 30\n"
        "  prod:\n    bootstrap_servers: 127.0.0.1:1\n")
    (tmp_path / "topics").mkdir()
    attempts: list[str] = []

    @contextmanager
    def holding(env: Environment, *args: Any, **kwargs: Any) -> Iterator[None]:
        attempts.append(env.name)
        raise AssertionError("apply took the lock although the plan file is bad")
        yield  # pragma: no cover

    monkeypatch.setattr(mqctl.kafka.lock, "holding", holding)
    yield Project(tmp_path, ENV), attempts


def valid_plan(env: str = ENV) -> dict[str, Any]:
    plan = Plan.build(env, [TopicCreate(f"{env}.order.created.v1", (FieldDiff("partitions", None, 3),),
                                        partitions=3)])
    return saved_plan_dict(plan, fingerprints(plan, {}, {}, ["topics"], Environment(env, "127.0.0.1:1"), "^.*$"))


def edited(data: dict[str, Any]) -> dict[str, Any]:
    data["changes"][0]["name"] = f"{ENV}.something.else.v1"
    return data


def with_version(version: object) -> dict[str, Any]:
    data = valid_plan()
    data["format_version"] = version
    return data


def refused(project: tuple[Project, list[str]], write: Any) -> str:
    proj, attempts = project
    path = proj.root / "plan.json"
    write(path)
    started = time.perf_counter()
    result = proj.run("apply", "--env", ENV, "plan.json")
    took = time.perf_counter() - started
    assert result.exit_code == 1, result.output
    assert took < 10, f"{took:.2f}s"  # far below the 30 s a connection attempt would wait; loaded CI boxes
    assert attempts == []
    assert "cannot reach" not in result.output and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def dump(data: Any) -> Any:
    return lambda path: path.write_text(json.dumps(data, indent=2))


CASES = {
    "missing": (lambda path: None, "cannot read the saved plan plan.json: cannot read file: No such file"),
    "truncated": (lambda path: path.write_text(json.dumps(valid_plan(), indent=2)[:300]),
                  "plan.json: not a saved mqctl plan (JSONDecodeError"),
    "empty": (lambda path: path.write_text(""), "plan.json: not a saved mqctl plan"),
    "edited": (dump(edited(valid_plan())), "plan.json: the plan file was edited after it was saved"),
    "other environment": (dump(valid_plan("prod")), f"plan.json is a plan for environment prod, not {ENV}"),
    "future format": (dump(with_version(2)), "plan format_version 2 is not supported (this mqctl reads 1; a newer"),
    "version as a string": (dump(with_version("1")), "format_version is '1', not a number"),
    "version as a boolean": (dump(with_version(True)), "format_version is True, not a number"),
    "not UTF-8": (lambda path: path.write_bytes(b'{"format_version": 1, "environment": "\xff"}'),
                  "(line 1): not UTF-8 text: byte 0xff"),
    "a list": (dump([valid_plan()]), "not a saved mqctl plan (TypeError: the file holds no JSON object)"),
    "wrong types": (dump({**valid_plan(), "targets": "topics:*"}), "is not of the type mqctl writes"),
    "deep": (lambda path: path.write_text("[" * 100_000 + "]" * 100_000), "nested more than 32 levels deep"),
    "a directory": (lambda path: path.mkdir(), "cannot read file: not a regular file"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_plan_file_is_refused_before_any_connection_or_lock(project: tuple[Project, list[str]],
                                                                   case: str) -> None:
    write, message = CASES[case]
    assert message in refused(project, write)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_as_plan_file_is_refused_without_waiting(project: tuple[Project, list[str]]) -> None:
    assert "not a regular file" in refused(project, os.mkfifo)


def test_a_good_plan_file_gets_as_far_as_the_lock(project: tuple[Project, list[str]]) -> None:
    """The recorder works: a plan file that passes every check does reach the lock."""
    proj, attempts = project
    (proj.root / "plan.json").write_text(json.dumps(valid_plan()))
    result = CliRunner().invoke(app, ["apply", "--env", ENV, "--root", str(proj.root), str(proj.root / "plan.json")])
    assert attempts == [ENV]
    assert isinstance(result.exception, AssertionError)
