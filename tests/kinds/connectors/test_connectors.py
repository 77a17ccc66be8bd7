"""Connectors against the real local Kafka Connect worker (distributed, on the 3-broker cluster).

Every connector is named `<env>.…` by the test's own environment and deleted afterwards
(tests/conftest.py connect_project), with the test's topics.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from mqctl.config import load_config
from mqctl.kinds.connectors import KIND
from tests.conftest import DEV_BOOTSTRAP, OpenEdges, Project, consume, eventually

pytestmark = pytest.mark.kafka

STRING = "org.apache.kafka.connect.storage.StringConverter"


def topic_spec(project: Project, *names: str) -> None:
    items = "\n".join(f"  - {{name: {n}, partitions: 1, replication_factor: 3}}" for n in names)
    project.write("topics/t.yaml", f"topics:\n{items}\n")


def read(topic: str, count: int, seconds: float = 60) -> list[str]:
    """Up to `count` values of `topic` on the 3-broker cluster, from the beginning."""
    return [m.value().decode() for m in consume({"bootstrap.servers": DEV_BOOTSTRAP}, topic, count, seconds)]


def worker_state(worker: Any, name: str) -> dict[str, Any]:
    return dict(worker.get(f"/connectors/{name}/status").json())


def test_a_file_source_turns_lines_into_messages_and_a_second_plan_is_empty(
    connect_project: Project, connect_worker: Any, tmp_path: Path
) -> None:
    lines = ["order 1 created", "order 2 paid", "order 3 shipped"]
    source = tmp_path / "orders.txt"  # read by the worker (same machine here), never by mqctl
    source.write_text("\n".join(lines) + "\n")
    topic_spec(connect_project, "connect.lines.v1")
    connect_project.write("connectors/lines.yaml", f"""\
        connectors:
          - name: order-lines
            class: FileStreamSource
            config:
              topic: ${{env}}.connect.lines.v1
              file: {source}
              value.converter: {STRING}
        """)
    env = connect_project.env
    plan = connect_project.run("plan", "--env", env, "--no-color")
    assert plan.exit_code == 2, plan.output
    assert f"+ connector {env}.order-lines" in plan.output
    assert re.search(rf"config\.topic +{env}\.connect\.lines\.v1\n", plan.output)
    applied = connect_project.run("apply", "--env", env, "--auto-approve", "--no-color")
    assert applied.exit_code == 0, applied.output
    assert read(f"{env}.connect.lines.v1", 3) == lines
    again = connect_project.run("plan", "--env", env, "--no-color")
    assert again.exit_code == 0, again.output
    assert eventually(lambda: worker_state(connect_worker, f"{env}.order-lines")["connector"]["state"] == "RUNNING")


def test_a_config_change_shows_in_plan_and_lands(connect_project: Project, connect_worker: Any) -> None:
    env = connect_project.env
    topic_spec(connect_project, "connect.lines.v1")
    spec = """\
        connectors:
          - name: lines
            class: org.apache.kafka.connect.file.FileStreamSourceConnector
            config:
              topic: ${{env}}.connect.lines.v1
              file: /tmp/mqctl-test-absent-{env}.txt
              batch.size: {size}
        """
    connect_project.write("connectors/c.yaml", spec.format(env=env, size=2000))
    assert connect_project.run("apply", "--env", env, "--auto-approve").exit_code == 0
    connect_project.write("connectors/c.yaml", spec.format(env=env, size=100))
    plan = connect_project.run("plan", "--env", env, "--no-color")
    assert plan.exit_code == 2, plan.output
    assert f"~ connector {env}.lines" in plan.output and "config.batch.size  2000 → 100" in plan.output
    assert "Plan: 0 to create, 1 to update, 0 to delete." in plan.output
    applied = connect_project.run("apply", "--env", env, "--auto-approve", "--no-color")
    assert applied.exit_code == 0, applied.output
    assert connect_worker.get(f"/connectors/{env}.lines/config").json()["batch.size"] == "100"
    assert connect_project.run("plan", "--env", env).exit_code == 0


def test_pause_resume_and_stop(connect_project: Project, connect_worker: Any) -> None:
    env = connect_project.env
    topic_spec(connect_project, "connect.lines.v1")
    spec = """\
        connectors:
          - name: lines
            class: FileStreamSource
            state: {state}
            config:
              topic: ${{env}}.connect.lines.v1
              file: /tmp/mqctl-test-absent-{env}.txt
        """

    def state() -> str:
        return str(worker_state(connect_worker, f"{env}.lines")["connector"]["state"])

    for wanted, shown in (("paused", "PAUSED"), ("running", "RUNNING"), ("stopped", "STOPPED"), ("running", "RUNNING")):
        connect_project.write("connectors/c.yaml", spec.format(env=env, state=wanted))
        applied = connect_project.run("apply", "--env", env, "--auto-approve", "--no-color")
        assert applied.exit_code == 0, applied.output
        follow = connect_project.run("plan", "--env", env, "--no-color")  # apply waited for the worker
        assert follow.exit_code == 0, follow.output
        # a resumed connector may be UNASSIGNED a moment before it runs again
        assert eventually(lambda shown=shown: state() == shown)


def test_a_connector_created_paused_never_runs_before_it_is_resumed(
    connect_project: Project, connect_worker: Any, tmp_path: Path
) -> None:
    env = connect_project.env
    source = tmp_path / "lines.txt"
    source.write_text("must wait\n")
    topic_spec(connect_project, "connect.lines.v1")
    connect_project.write("connectors/c.yaml", f"""\
        connectors:
          - name: lines
            class: FileStreamSource
            state: paused
            config: {{topic: "${{env}}.connect.lines.v1", file: {source}, value.converter: {STRING}}}
        """)
    assert connect_project.run("apply", "--env", env, "--auto-approve").exit_code == 0
    status = worker_state(connect_worker, f"{env}.lines")
    assert status["connector"]["state"] == "PAUSED"
    assert read(f"{env}.connect.lines.v1", 1, seconds=5) == []


def test_a_bad_class_or_config_is_refused_at_plan_with_the_workers_message(
    connect_project: Project, connect_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = connect_project.env
    secret = f"not-a-number-{uuid.uuid4().hex}"  # the worker echoes a bad value in its message
    monkeypatch.setenv(f"{env.upper()}_BATCH", secret)
    connect_project.write("connectors/c.yaml", f"""\
        connectors:
          - name: no-class
            class: org.example.NoSuchConnector
          - name: no-topics
            class: FileStreamSink
            config: {{file: /tmp/x.txt}}
          - name: bad-batch
            class: FileStreamSource
            config: {{topic: t, file: /tmp/x.txt, batch.size: "${{{env.upper()}_BATCH}}"}}
        """)
    plan = connect_project.run("plan", "--env", env, "--no-color")
    assert "Invalid value *** for configuration batch.size: Not a number of type INT" in plan.output
    assert secret not in plan.output
    assert plan.exit_code == 1, plan.output
    assert "Failed to find any class that implements Connector and which name matches org.example.NoSuchConnector" in (
        plan.output
    )
    assert "available connectors are: org.apache.kafka.connect.file.FileStreamSinkConnector" in plan.output
    assert "PluginDesc" not in plan.output  # the worker's plugin list, shortened to the class names
    refused = f"{env}.no-topics: the cluster would refuse this change: the Connect worker refuses the config"
    assert refused in plan.output
    assert "Must configure one of topics or topics.regex" in plan.output
    applied = connect_project.run("apply", "--env", env, "--auto-approve", "--no-color")
    assert applied.exit_code == 1 and "Plan failed" in applied.output
    assert not [n for n in connect_worker.get("/connectors").json() if n.startswith(env + ".")]


def test_a_failed_task_is_reported_and_restarted(connect_project: Project, connect_worker: Any, tmp_path: Path) -> None:
    env = connect_project.env
    missing = tmp_path / "not-yet"  # the sink cannot open its file until this directory exists
    topic_spec(connect_project, "connect.sink.v1")
    connect_project.write("connectors/c.yaml", f"""\
        connectors:
          - name: sink
            class: FileStreamSink
            config: {{topics: "${{env}}.connect.sink.v1", file: {missing}/out.txt}}
        """)
    assert connect_project.run("apply", "--env", env, "--auto-approve").exit_code == 0

    def task_state() -> str | None:
        tasks = worker_state(connect_worker, f"{env}.sink").get("tasks") or [{}]
        return tasks[0].get("state")

    assert eventually(lambda: task_state() == "FAILED")
    status = connect_project.run("connectors", "status", "--env", env, "--no-color")
    assert status.exit_code == 2, status.output
    assert f"{env}.sink  RUNNING" in status.output
    assert "task 0: FAILED  org.apache.kafka.connect.errors.ConnectException:" in status.output
    assert "1 connector(s), 1 failed instance(s)" in status.output
    as_json = json.loads(connect_project.run("connectors", "status", "--env", env, "-o", "json").stdout)
    assert as_json["failed"] is True and as_json["connectors"][0]["tasks"][0]["state"] == "FAILED"

    missing.mkdir()
    restarted = connect_project.run("connectors", "restart", "--env", env, "sink", "--failed", "--no-color")
    assert restarted.exit_code == 0, restarted.output
    assert f"{env}.sink: restarting task 0" in restarted.output
    assert eventually(lambda: task_state() == "RUNNING")
    assert connect_project.run("connectors", "status", "--env", env).exit_code == 0
    healthy = connect_project.run("connectors", "restart", "--env", env, "--failed", "--no-color")
    assert healthy.exit_code == 0 and f"{env}.sink: nothing failed" in healthy.output
    unknown = connect_project.run("connectors", "restart", "--env", env, "nope", "--no-color")
    assert unknown.exit_code == 1 and f"environment {env} has no connector 'nope' on the worker (it has: sink)" in (
        unknown.output
    )


def test_secrets_are_never_printed_nor_saved_and_a_changed_one_shows(
    connect_project: Project, connect_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = connect_project.env
    first, second = f"pw-one-{uuid.uuid4().hex}", f"pw-two-{uuid.uuid4().hex}"
    variable = f"{env.upper()}_ARCHIVE_PASSWORD"
    monkeypatch.setenv(variable, first)
    topic_spec(connect_project, "connect.lines.v1")
    connect_project.write("connectors/c.yaml", f"""\
        connectors:
          - name: lines
            class: FileStreamSource
            config:
              topic: ${{env}}.connect.lines.v1
              file: /tmp/mqctl-test-absent-{env}.txt
              archive.password: ${{{variable}}}
        """)
    outputs = [connect_project.run("apply", "--env", env, "--auto-approve", "--no-color")]
    assert outputs[0].exit_code == 0 and "config.archive.password  (secret)" in outputs[0].output
    assert connect_worker.get(f"/connectors/{env}.lines/config").json()["archive.password"] == first
    outputs.append(connect_project.run("plan", "--env", env))
    assert outputs[-1].exit_code == 0

    monkeypatch.setenv(variable, second)
    saved = connect_project.root / "plan.json"
    for fmt in ("text", "json", "markdown"):
        outputs.append(connect_project.run("plan", "--env", env, "-o", fmt, "--no-color", "--out", str(saved)))
        assert outputs[-1].exit_code == 2
    assert "config.archive.password  (secret) → (secret changed)" in outputs[-3].output
    outputs.append(connect_project.run("apply", "--env", env, str(saved), "--no-color"))
    assert outputs[-1].exit_code == 0, outputs[-1].output
    assert connect_worker.get(f"/connectors/{env}.lines/config").json()["archive.password"] == second
    outputs.append(connect_project.run("connectors", "status", "--env", env, "-o", "json"))
    outputs.append(connect_project.run("export", "--env", env, "--out", str(connect_project.root / "exported")))
    texts = [r.output for r in outputs] + [saved.read_text()]
    texts += [p.read_text() for p in (connect_project.root / "exported").rglob("*.yaml")]
    for value in (first, second):
        for text in texts:
            assert value not in text
            assert hashlib.sha256(value.encode()).hexdigest() not in text


def test_delete_needs_allow_delete_and_other_connectors_are_never_touched(
    connect_project: Project, connect_worker: Any
) -> None:
    env = connect_project.env
    neighbour = f"{env}x.keep"  # another environment's connector on the same worker
    config = {"connector.class": "FileStreamSource", "topic": f"{env}x.t", "file": "/tmp/mqctl-absent.txt"}
    assert connect_worker.put(f"/connectors/{neighbour}/config", json=config).status_code == 201
    try:
        topic_spec(connect_project, "connect.lines.v1")
        spec = "connectors:\n  - {name: lines, class: FileStreamSource, config: {topic: t, file: /tmp/absent.txt}}\n"
        connect_project.write("connectors/c.yaml", spec)
        assert connect_project.run("apply", "--env", env, "--auto-approve").exit_code == 0
        connect_project.write("connectors/c.yaml", "connectors: []\n")
        plan = connect_project.run("plan", "--env", env, "--no-color")
        assert plan.exit_code == 2 and f"- connector {env}.lines" in plan.output and "⚠ destructive" in plan.output
        assert neighbour not in plan.output
        held = connect_project.run("apply", "--env", env, "--auto-approve", "--no-color")
        assert held.exit_code == 2 and "needs --allow-delete" in held.output  # left undone: exit 2
        assert f"{env}.lines" in connect_worker.get("/connectors").json()
        deleted = connect_project.run("apply", "--env", env, "--auto-approve", "--allow-delete", "--no-color")
        assert deleted.exit_code == 0, deleted.output
        names = connect_worker.get("/connectors").json()
        assert f"{env}.lines" not in names and neighbour in names
        assert connect_project.run("plan", "--env", env).exit_code == 0
    finally:
        connect_worker.delete(f"/connectors/{neighbour}")


def test_the_snapshot_costs_one_request_however_many_connectors(
    connect_project: Project, connect_worker: Any, open_edges: OpenEdges
) -> None:
    env = connect_project.env
    for i in range(5):
        config = {"connector.class": "FileStreamSource", "topic": f"{env}.t", "file": f"/tmp/absent-{i}.txt"}
        assert connect_worker.put(f"/connectors/{env}.c{i}/config", json=config).status_code == 201
    # the worker answers a PUT before its listing settles (CI runs' snapshots found four, even after
    # the worker's own listing had shown five once): snapshot until all five are there, bounded;
    # every snapshot, whatever it found, costs exactly one request
    snapshots: list[tuple[Any, int]] = []

    def five_listed() -> bool:
        edges = open_edges(load_config(connect_project.root, env).environment)
        snapshots.append((KIND.snapshot(edges), edges.connect.requests))
        return sorted(snapshots[-1][0]) == [f"{env}.c{i}" for i in range(5)]

    assert eventually(five_listed)
    assert [requests for _, requests in snapshots] == [1] * len(snapshots)
    assert KIND.managed(snapshots[-1][0]) == 5


def test_an_unreachable_worker_fails_the_plan_in_bounded_time(connect_project: Project) -> None:
    config = connect_project.root / "mqctl.yaml"
    config.write_text(config.read_text().replace("127.0.0.1:8083", "127.0.0.1:1"))
    connect_project.write("connectors/c.yaml", "connectors: []\n")
    start = time.monotonic()
    plan = connect_project.run("plan", "--env", connect_project.env, "--no-color")
    assert plan.exit_code == 1 and "Traceback" not in plan.output
    assert "list the connectors: cannot reach the Connect worker at http://127.0.0.1:1" in plan.output
    assert time.monotonic() - start < 15
    status = connect_project.run("connectors", "status", "--env", connect_project.env, "--no-color")
    assert status.exit_code == 1 and "cannot reach the Connect worker" in status.output


def test_an_environment_without_a_worker_plans_no_connectors(connect_project: Project) -> None:
    config = connect_project.root / "mqctl.yaml"
    config.write_text(config.read_text().replace("    connect:\n      url: http://127.0.0.1:8083\n", ""))
    connect_project.write("connectors/c.yaml", "connectors:\n  - {name: a, class: FileStreamSource}\n")
    plan = connect_project.run("plan", "--env", connect_project.env, "--no-color")
    assert plan.exit_code == 0, plan.output
    assert "connectors/ declares 1 connector(s), but environment" in plan.output and "has no connect:" in plan.output


def test_a_plan_from_the_export_is_empty(
    connect_project: Project, connect_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = connect_project.env
    config = {
        "connector.class": "FileStreamSource", "tasks.max": "1", "topic": f"{env}.connect.lines.v1",
        "file": "/tmp/mqctl-absent.txt", "db.password": "live-pw-123",
    }
    assert connect_worker.put(f"/connectors/{env}.adopted/config", json=config).status_code == 201
    out = connect_project.root / "exported"
    exported = connect_project.run("export", "--env", env, "--out", str(out), "--no-color")
    assert exported.exit_code == 0, exported.output
    spec = (out / "connectors" / "connectors.yaml").read_text()
    assert "db.password: ${ADOPTED_DB_PASSWORD}" in spec and "topic: ${env}.connect.lines.v1" in spec
    assert "live-pw-123" not in spec + exported.output and "ADOPTED_DB_PASSWORD" in exported.output
    monkeypatch.setenv("ADOPTED_DB_PASSWORD", "live-pw-123")
    again = Project(out, env).run("plan", "--env", env, "--no-color")
    assert again.exit_code == 0, again.output
