"""mqctl.kafka.lock.run_holding, shared by apply and `brokers drain --execute`: a lock that cannot
be released after the body finished is reported with the body's result, never instead of it; after
a failed body the release failure is raised with the body's error as its context. The lock itself
is replaced by a recorder: what is under test is the reporting, offline (the real lock's release
failures are tests/integration/test_lock_acls.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import mqctl.kafka.lock
from mqctl.config import Environment
from mqctl.kafka.lock import LockReleaseError, run_holding

RELEASE_FAILED = "release the apply lock: TOPIC_AUTHORIZATION_FAILED; the lock stays held"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Environment:
    @contextmanager
    def holding(*args: Any, **kwargs: Any) -> Iterator[None]:
        try:
            yield
        finally:
            raise LockReleaseError(RELEASE_FAILED)

    monkeypatch.setattr(mqctl.kafka.lock, "holding", holding)
    return Environment(name="dev", bootstrap_servers="127.0.0.1:1")


def test_a_finished_body_is_returned_with_the_release_failure(env: Environment) -> None:
    result = run_holding(env, "mqctl apply --env dev", lambda: "applied 3 changes")
    assert result == ("applied 3 changes", RELEASE_FAILED)


def test_a_failed_body_raises_the_release_failure_with_the_bodys_error_as_context(env: Environment) -> None:
    def body() -> str:
        raise ValueError("the body failed")

    with pytest.raises(LockReleaseError) as raised:
        run_holding(env, "mqctl apply --env dev", body)
    assert isinstance(raised.value.__context__, ValueError)


def test_a_released_lock_gives_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    @contextmanager
    def holding(*args: Any, **kwargs: Any) -> Iterator[None]:
        yield

    monkeypatch.setattr(mqctl.kafka.lock, "holding", holding)
    assert run_holding(Environment(name="dev", bootstrap_servers="127.0.0.1:1"), "x", lambda: 7) == (7, None)
