"""Each run closes what it opened: a process that runs mqctl many times (the fleet's plan of every
environment, a service calling the workflows, this test suite) must not keep every run's
connections. Before, kafka-python's I/O thread and its sockets (one per broker) stayed after each
plan until the process ended; the full suite's process went past 1,023 descriptors."""

from __future__ import annotations

import gc
import os
import threading

import pytest

from mqctl.config import Environment
from mqctl.diagnostics import MqctlError
from mqctl.edges import Edges
from tests.conftest import DEV_BOOTSTRAP, Project, eventually, unique_env


def descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def kafka_python_threads() -> set[threading.Thread]:
    """kafka-python's I/O threads; other tests' may be running, so tests compare before and after."""
    return {t for t in threading.enumerate() if t.name.startswith("kafka-io")}


@pytest.mark.kafka
def test_commands_run_in_one_process_leave_no_thread_or_connection_behind(project: Project) -> None:
    project.write("topics/orders.yaml", """\
        topics:
          - name: orders.created.v1
            partitions: 3
            replication_factor: 3
        """)
    assert project.run("apply", "--env", project.env, "--auto-approve").exit_code == 0
    assert project.run("plan", "--env", project.env).exit_code == 0  # imports and librdkafka's globals
    gc.collect()
    threads, files = set(threading.enumerate()), descriptors()

    # exit 2 of health: a finding about the shared cluster (leaders other tests moved), not an error
    commands = [("plan",), ("apply", "--auto-approve"), ("cluster", "health"), ("cluster", "info"), ("lock", "status"),
                ("export", "--out", "exported", "--force"), ("groups", "status")]  # fmt: skip
    for _ in range(3):
        for command in commands:
            result = project.run(*command, "--env", project.env)
            assert result.exit_code in ((0, 2) if command == ("cluster", "health") else (0,)), result.output

    gc.collect()
    assert set(threading.enumerate()) - threads == set()
    # librdkafka closes its sockets as its handles are destroyed, which may lag a moment
    assert eventually(lambda: descriptors() <= files, seconds=10), f"{descriptors()} descriptors open, {files} before"


@pytest.mark.kafka
def test_a_reading_that_outlives_its_run_leaves_no_kafka_python_connection() -> None:
    """A plan whose specs fail raises while its reading (a daemon thread) may still be connecting:
    closing the run's edges stops that reading from opening kafka-python's connection."""
    before = kafka_python_threads()
    edges = Edges(Environment(unique_env(), DEV_BOOTSTRAP))
    edges.close()
    with pytest.raises(MqctlError, match="closed"):
        edges.kafka.protocol.admin_client  # noqa: B018 - what a late reading would ask for
    assert kafka_python_threads() - before == set()
