"""The connector diff with plain data: what changes, how secrets read, and that no plan output, plan
file or digest ever holds a secret value (nor a hash of it)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from mqctl.config import Environment, Secret
from mqctl.kinds.connectors.changes import ConnectorCreate, ConnectorDelete, ConnectorUpdate
from mqctl.kinds.connectors.diff import diff_connectors, not_applied
from mqctl.kinds.connectors.live import LiveConnector
from mqctl.kinds.connectors.spec import ConnectorSpec
from mqctl.kinds.connectors.values import parse
from mqctl.plan import Action, FieldDiff, Plan
from mqctl.saved_plan import fingerprints, leaked_secret, saved_plan_dict
from mqctl.spec.model import Source

PASSWORD = "s3cret-archive-pw"


def spec(name: str = "archive", state: str = "running", **config: str) -> ConnectorSpec:
    values = config or {"topics": "${env}.order.lifecycle.v1", "file": "/data/orders.txt"}
    return ConnectorSpec(
        name=name,
        full_name=f"dev.{name}",
        class_name="FileStreamSink",
        tasks_max=1,
        state=state,
        config={k: parse(v)[0] for k, v in values.items()},
        source=Source("connectors/c.yaml", 3),
        lines={k: 5 + i for i, k in enumerate(values)},
    )


def live(name: str = "archive", state: str | None = "running", **config: str) -> LiveConnector:
    values = config or {"topics": "dev.order.lifecycle.v1", "file": "/data/orders.txt"}
    return LiveConnector(f"dev.{name}", "FileStreamSink", "1", state, tuple(sorted(values)), values)


def diff(specs: list[ConnectorSpec], found: Mapping[str, LiveConnector], environ: Mapping[str, str] | None = None):  # type: ignore[no-untyped-def]
    return diff_connectors(specs, found, "dev", environ or {"ARCHIVE_PASSWORD": PASSWORD})


def test_a_new_connector_is_created_with_its_whole_config() -> None:
    (change,), problems = diff([spec(topics="${env}.a.v1", some_password="${ARCHIVE_PASSWORD}")], {})
    assert problems == []
    assert isinstance(change, ConnectorCreate)
    assert change.diffs == (
        FieldDiff("class", None, "FileStreamSink"),
        FieldDiff("tasks_max", None, 1),
        FieldDiff("state", None, "running"),
        FieldDiff("config.some_password", None, "(secret)"),
        FieldDiff("config.topics", None, "dev.a.v1"),
    )
    assert change.plain_config() == {
        "topics": "dev.a.v1",
        "some_password": PASSWORD,
        "connector.class": "FileStreamSink",
        "tasks.max": "1",
        "name": "dev.archive",
    }
    assert change.secret_values() == [PASSWORD]
    assert PASSWORD not in repr(change) and PASSWORD not in json.dumps(change.to_dict())


def test_matching_live_state_is_no_change_and_a_secret_compares_in_memory() -> None:
    current = live(topics="dev.a.v1", some_password=PASSWORD)
    changes, _ = diff([spec(topics="${env}.a.v1", some_password="${ARCHIVE_PASSWORD}")], {"dev.archive": current})
    assert changes == []
    (change,), _ = diff(
        [spec(topics="${env}.a.v1", some_password="${ARCHIVE_PASSWORD}")],
        {"dev.archive": current},
        {"ARCHIVE_PASSWORD": "rotated-pw-2"},
    )
    assert isinstance(change, ConnectorUpdate)
    assert change.diffs == (FieldDiff("config.some_password", "(secret)", "(secret changed)"),)
    assert change.state is None and change.plain_config()["some_password"] == "rotated-pw-2"


def test_config_tasks_class_and_removed_keys_show_before_and_after() -> None:
    current = LiveConnector(
        "dev.archive", "FileStreamSource", "2", "running", ("batch.size", "db.password", "file"),
        {"batch.size": "2000", "db.password": "live-only-pw", "file": "/data/orders.txt"},
    )
    (change,), _ = diff([spec(file="/data/orders.txt", **{"batch.size": "100"})], {"dev.archive": current})
    assert change.diffs == (
        FieldDiff("class", "FileStreamSource", "FileStreamSink"),
        FieldDiff("tasks_max", "2", 1),
        FieldDiff("config.batch.size", "2000", "100"),
        FieldDiff("config.db.password", "(secret)", None),  # a live value under a secret-looking key
    )
    assert "live-only-pw" not in json.dumps(change.to_dict())


def test_state_moves_alone_and_an_unreported_state_counts_as_running() -> None:
    (pause,), _ = diff([spec(state="paused")], {"dev.archive": live()})
    assert isinstance(pause, ConnectorUpdate)
    assert (pause.diffs, pause.state, pause.config) == ((FieldDiff("state", "running", "paused"),), "paused", None)
    assert diff([spec()], {"dev.archive": live(state=None)})[0] == []
    (stop,), _ = diff([spec(state="stopped")], {"dev.archive": live(state=None)})
    assert stop.diffs == (FieldDiff("state", "(unknown)", "stopped"),)


def test_an_undeclared_connector_of_the_environment_is_deleted_destructively() -> None:
    (change,), _ = diff([], {"dev.old": live("old", state="paused")})
    assert isinstance(change, ConnectorDelete)
    assert change.action is Action.DELETE and change.destructive
    assert change.diffs == (FieldDiff("class", "FileStreamSink", None), FieldDiff("state", "paused", None))
    assert Plan.build("dev", [change]).held_back(allow_delete=False) == {"connector:dev.old": "needs --allow-delete"}


def test_an_unset_or_empty_variable_is_an_error_at_its_line_and_nothing_is_planned() -> None:
    changes, problems = diff(
        [spec(topics="t", a_password="${UNSET_VAR}", b_password="${EMPTY_VAR}")], {}, {"EMPTY_VAR": ""}
    )
    assert changes == []
    assert [(p.file, p.line, p.key) for p in problems] == [
        ("connectors/c.yaml", 6, "config.a_password"),
        ("connectors/c.yaml", 7, "config.b_password"),
    ]
    assert "UNSET_VAR is not set" in problems[0].message and "EMPTY_VAR is empty" in problems[1].message


def test_an_environment_without_a_worker_plans_nothing_and_says_so() -> None:
    (warning,) = not_applied([spec()], "secure")
    assert warning.severity == "warning" and "has no connect:" in warning.message
    assert not_applied([], "secure") == []


def test_no_saved_plan_holds_a_secret_value_or_a_digest_of_one(tmp_path: Path) -> None:
    """Someone holding the plan file and the repository must not be able to test guesses: neither
    the changes nor the live fingerprint may carry the value or a hash of it."""
    desired = [spec(topics="t", some_password="${ARCHIVE_PASSWORD}")]
    before = {"dev.archive": live(topics="t", some_password="old-live-pw")}
    changes, _ = diff(desired, before)
    plan = Plan.build("dev", changes)
    env = Environment("dev", "127.0.0.1:1")
    prints = fingerprints(plan, {"connectors": before}, {"connectors/c.yaml": b"x"}, ["connectors"], env, ".*")
    text = json.dumps(saved_plan_dict(plan, prints))
    for value in (PASSWORD, "old-live-pw"):
        assert value not in text
        assert hashlib.sha256(value.encode()).hexdigest() not in text
    assert not leaked_secret(text, plan)
    assert any(isinstance(v, Secret) for c in plan.changes for v in (c.config or {}).values())  # type: ignore[attr-defined]
    # the live digest does not move when only a value moves (it would be a test of guesses)
    after = {"dev.archive": live(topics="t", some_password="another-live-pw")}
    again = fingerprints(plan, {"connectors": after}, {"connectors/c.yaml": b"x"}, ["connectors"], env, ".*")
    assert again.live == prints.live and list(prints.live) == ["connectors[dev.archive]"]


def test_connector_deletes_count_against_the_policy_of_their_own_kind() -> None:
    found = {f"dev.c{i}": live(f"c{i}") for i in range(12)}
    changes, _ = diff([], found)
    env = Environment("dev", "127.0.0.1:1")
    problems = Plan.build("dev", changes).unsafe(env, {"connectors": len(found), "topics": 100})
    policy = "environments.dev.policy"
    assert [p.key for p in problems] == [f"{policy}.max_deletes", f"{policy}.max_delete_fraction"]
    assert "the plan deletes 12 connectors" in problems[0].message
    assert "the plan deletes 12 of the 12 managed connectors" in problems[1].message
