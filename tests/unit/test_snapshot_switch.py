"""The snapshot switch (MQCTL_UPDATE_SNAPSHOTS) rewrites golden files, but can never make a golden
test pass by comparing output with itself: a rewrite fails the test, and under CI it is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SNAPSHOT_SWITCH, assert_matches_snapshot


@pytest.fixture
def golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(SNAPSHOT_SWITCH, raising=False)
    monkeypatch.delenv("CI", raising=False)
    path = tmp_path / "plan.md"
    path.write_text("reviewed\n", encoding="utf-8")
    return path


def test_without_the_switch_a_difference_fails_and_nothing_is_written(golden: Path) -> None:
    assert_matches_snapshot("reviewed\n", golden)
    with pytest.raises(AssertionError, match=r"output differs from plan\.md"):
        assert_matches_snapshot("changed\n", golden)
    assert golden.read_text() == "reviewed\n"


def test_the_switch_rewrites_a_difference_and_still_fails(golden: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SNAPSHOT_SWITCH, "1")
    with pytest.raises(pytest.fail.Exception, match=r"rewrote plan\.md: review the diff"):
        assert_matches_snapshot("changed\n", golden)
    assert golden.read_text() == "changed\n"
    assert_matches_snapshot("changed\n", golden)  # once reviewed, the run after it passes


def test_the_switch_is_refused_under_ci(golden: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SNAPSHOT_SWITCH, "1")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="set under CI"):
        assert_matches_snapshot("changed\n", golden)
    assert golden.read_text() == "reviewed\n"


def test_a_missing_snapshot_fails_without_the_switch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SNAPSHOT_SWITCH, raising=False)
    with pytest.raises(AssertionError):
        assert_matches_snapshot("anything\n", tmp_path / "absent.md")
