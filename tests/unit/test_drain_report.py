"""`mqctl brokers drain --execute` reports what it moved even when the apply lock cannot be released
afterwards (the brief: a partial run says exactly what was and was not done). The lock and the two
Kafka steps are replaced by recorders: what is under test is the command's reporting, offline."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import mqctl.kafka.lock
import mqctl.kinds.topics.drain
from mqctl.kafka.lock import LockReleaseError
from mqctl.kinds.topics.changes import TopicCreate
from mqctl.plan import FieldDiff, Plan
from tests.conftest import Project

ENV = "tdrain"
RELEASE_FAILED = "release the apply lock __mqctl-lock-tdrain: TOPIC_AUTHORIZATION_FAILED; the lock stays held"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    (tmp_path / "mqctl.yaml").write_text(f"environments:\n  {ENV}:\n    bootstrap_servers: 127.0.0.1:1\n")

    @contextmanager
    def holding(*args: Any, **kwargs: Any) -> Iterator[None]:
        yield
        raise LockReleaseError(RELEASE_FAILED)

    plan = Plan.build(ENV, [TopicCreate(f"{ENV}.a", (FieldDiff("partitions", None, 1),), partitions=1)])
    monkeypatch.setattr(mqctl.kafka.lock, "holding", holding)
    monkeypatch.setattr(mqctl.kinds.topics.drain, "read_drain", lambda edges, broker, topics: plan)
    monkeypatch.setattr(mqctl.kinds.topics.drain, "execute_drain",
                        lambda edges, plan: {f"{ENV}.a": None, f"{ENV}.b": "reassignment timed out"})
    return Project(tmp_path, ENV)


def test_a_failed_lock_release_comes_after_the_report_of_the_moves(project: Project) -> None:
    result = project.run("brokers", "drain", "--env", ENV, "4", "--execute")
    assert result.exit_code == 1
    assert f"✓ drained {ENV}.a" in result.stdout
    assert f"✗ not drained {ENV}.b: reassignment timed out" in result.stdout
    assert RELEASE_FAILED in result.stderr
