"""scripts/local-cluster.sh next to the running cluster, without ever stopping or restarting it.

`up` on the running cluster's own state directory is idempotent: it answers success and every
process keeps its pid. `up` from a scratch state directory while that cluster holds the ports is
refused, naming the ports, and starts nothing: nothing of the scratch directory is running, no pid
file is written, and the running cluster keeps its pids.

Both run with MQCTL_NO_RESTART=1: a cluster that another test (a fault test's stopped broker) left
partly running makes `up` fail instead of restarting the shared cluster. A scratch directory holds
no pid file of the running cluster, so its `up` could only ever stop its own processes (none).

The script's own lifecycle runs in a scratch state directory at MQCTL_PORT_OFFSET=OFFSET, a second
cluster whose ports are the running one's plus OFFSET, so it never meets the shared cluster: `up`
stops waiting at once when a process exits while starting, `down` stops Connect before the rest,
and every `up` after a `down` is a fresh cluster. A fixture's finalizer always runs `down` there.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.kafka

SCRIPT = REPO_ROOT / "scripts" / "local-cluster.sh"
CLUSTER_DIR = Path(os.environ.get("MQCTL_CLUSTER_DIR", REPO_ROOT / ".local-cluster")).resolve()
COMPONENTS = ("kafka-1", "kafka-2", "kafka-3", "kafka-4", "sasl", "issuer", "registry", "connect")
# every port `up` needs (scripts/local-cluster.sh PORTS)
PORTS = {19092, 19093, 29092, 29093, 39092, 39093, 59092, 49092, 49093, 49094, 49095, 49096, 8081, 9081, 8083, 8085}
# the scratch cluster's MQCTL_PORT_OFFSET: no port of it is one of PORTS (a small offset would make
# 49092+1 the running cluster's 49093)
OFFSET = 300
assert not {port + OFFSET for port in PORTS} & PORTS


def script(command: str, cluster_dir: Path, timeout: float = 240, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "MQCTL_CLUSTER_DIR": str(cluster_dir), "MQCTL_NO_RESTART": "1",
                   "MQCTL_PORT_OFFSET": "0", **env}  # fmt: skip
    return subprocess.run([str(SCRIPT), command], env=environment, capture_output=True, text=True, timeout=timeout)


def running(cluster_dir: Path) -> dict[str, int]:
    """Component -> pid, as `status` reports the processes of `cluster_dir`."""
    status = script("status", cluster_dir, timeout=60)
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\S+)\s+running\s+pid (\d+)", status.stdout, re.MULTILINE)}


def processes_of(cluster_dir: Path) -> list[int]:
    """Every process on the machine marked as a component of `cluster_dir` (-Dmqctl.node=<dir>/...)."""
    marker = f"-Dmqctl.node={cluster_dir}/".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if any(arg.startswith(marker) for arg in (proc / "cmdline").read_bytes().split(b"\0")):
                    found.append(int(proc.name))
            except OSError:
                continue  # gone meanwhile
    return found


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A scratch state directory; on the way out `down` stops whatever runs from it (and anything
    still marked as its component is killed, so a failed test leaves no JVM behind)."""
    cluster_dir = (tmp_path / "scratch-cluster").resolve()
    yield cluster_dir
    script("down", cluster_dir, timeout=120, MQCTL_PORT_OFFSET=str(OFFSET))
    for pid in processes_of(cluster_dir):
        os.kill(pid, signal.SIGKILL)


# A stand-in component: records when SIGTERM came and when it exited, after `linger` seconds
STAND_IN = """
import signal, sys, time
record, linger = sys.argv[1], float(sys.argv[2])
def stop(signum, frame):
    with open(record, "a") as out:
        out.write(f"term {time.monotonic()}\\n")
    time.sleep(linger)
    with open(record, "a") as out:
        out.write(f"exit {time.monotonic()}\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
with open(record, "a") as out:
    out.write("ready\\n")
while True:
    signal.pause()
"""


def stand_in(cluster_dir: Path, component: str, record: Path, linger: float) -> int:
    """A process marked as `component` of `cluster_dir` the way `up` marks its own, with its pid
    file; its pid, once it handles SIGTERM. Detached like them: a child of the test would stay a
    zombie once stopped, which `kill -0` still finds, and the script would wait for it to go until
    its 20 s bound."""
    started = subprocess.run(
        ["bash", "-c", '"$@" >/dev/null 2>&1 </dev/null & echo $!', "stand-in", sys.executable, "-c", STAND_IN,
         str(record), str(linger), f"-Dmqctl.node={cluster_dir}/{component}"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    (cluster_dir / f"{component}.pid").write_text(started.stdout)
    deadline = time.monotonic() + 30
    while not (record.exists() and "ready" in record.read_text()):
        assert time.monotonic() < deadline, f"the stand-in {component} did not start"
        time.sleep(0.05)
    return int(started.stdout)


def test_up_on_the_running_cluster_does_nothing_and_succeeds() -> None:
    before = running(CLUSTER_DIR)
    assert set(before) == set(COMPONENTS), f"the cluster in {CLUSTER_DIR} is not fully running: {before}"
    start = time.monotonic()
    up = script("up", CLUSTER_DIR)
    took = time.monotonic() - start
    assert up.returncode == 0, up.stdout + up.stderr
    assert "local cluster already running" in up.stdout and "nothing to do" in up.stdout
    assert "starting" not in up.stdout.lower() and "stopping" not in up.stdout.lower()
    assert running(CLUSTER_DIR) == before  # the same processes: nothing was restarted
    assert took < 120


def test_up_refuses_ports_another_process_holds_and_starts_nothing(tmp_path: Path) -> None:
    before = running(CLUSTER_DIR)
    assert set(before) == set(COMPONENTS), f"the cluster in {CLUSTER_DIR} is not fully running: {before}"
    scratch = tmp_path / "scratch-cluster"
    up = script("up", scratch, timeout=120, MQCTL_CACHE_DIR=str(tmp_path / "cache"))
    assert up.returncode == 1, up.stdout + up.stderr
    refusal = re.search(r"error: port\(s\) ([\d ]+) on 127\.0\.0\.1 already in use by a process that is not this "
                        r"local cluster\.", up.stderr)  # fmt: skip
    assert refusal, up.stderr
    named = {int(port) for port in refusal[1].split()}
    assert named and named <= PORTS
    assert {19092, 29092, 39092, 49092, 8083} <= named  # the running cluster's listeners, at least
    assert "down` there) and retry" in up.stderr
    # nothing started, nothing fetched, and the running cluster untouched
    assert processes_of(scratch.resolve()) == []
    assert not list(scratch.glob("*.pid"))
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())
    assert running(CLUSTER_DIR) == before


def test_a_partly_running_cluster_is_restarted_only_without_mqctl_no_restart(scratch: Path, tmp_path: Path) -> None:
    """One process of a scratch cluster runs (a stand-in marked as its issuer, the way `up` marks
    its processes): with MQCTL_NO_RESTART=1 `up` refuses and leaves it running; without, `up`
    stops it to start afresh, and is then refused the ports the running cluster holds."""
    scratch.mkdir()
    record = tmp_path / "issuer.record"
    pid = stand_in(scratch, "issuer", record, linger=0)
    assert running(scratch) == {"issuer": pid}

    kept = script("up", scratch, timeout=120, MQCTL_CACHE_DIR=str(tmp_path / "cache"))
    assert kept.returncode == 1, kept.stdout + kept.stderr
    assert "local cluster only partly running (issuer); MQCTL_NO_RESTART=1: not restarting it" in kept.stderr
    assert processes_of(scratch) == [pid]  # still running

    restarted = script("up", scratch, timeout=120, MQCTL_CACHE_DIR=str(tmp_path / "cache"), MQCTL_NO_RESTART="")
    assert "local cluster only partly running (issuer); restarting all of it" in restarted.stdout
    assert "term" in record.read_text() and "killing" not in restarted.stdout  # stopped by `up`, on SIGTERM
    assert restarted.returncode == 1 and "already in use by a process that is not this local cluster" in (
        restarted.stderr
    )
    assert processes_of(scratch) == []


# `up` of the scratch cluster with the registry's JVM given an option it does not know: the registry,
# started last, exits at once, and everything before it (storage formats, TLS material, brokers, the
# SASL node, the issuer) is the real thing. Connect would only start once the brokers are ready.
REGISTRY_EXITS = {"MQCTL_PORT_OFFSET": str(OFFSET), "MQCTL_REGISTRY_HEAP": "-XX:+NoSuchOption",
                  "MQCTL_CLUSTER_TIMEOUT": "120"}  # fmt: skip


def test_up_stops_waiting_at_once_when_a_process_exits_while_starting(scratch: Path) -> None:
    up = script("up", scratch, timeout=300, **REGISTRY_EXITS)
    ended = time.time()
    assert up.returncode == 1, up.stdout + up.stderr
    log = scratch / "registry" / "registry.log"
    assert re.search(rf"^error: registry \(pid \d+\) exited while starting; last lines of {log}:$", up.stderr,
                     re.MULTILINE), up.stderr  # fmt: skip
    assert "Unrecognized VM option 'NoSuchOption'" in up.stderr  # the tail of its log
    assert "the local cluster did not come up" in up.stderr
    # from the registry's start (its pid file is written then) to `up`'s exit: seconds (2.4 measured
    # at load 9), not the 120 s bound, and not until the brokers were ready (then Connect would run)
    waited = ended - (scratch / "registry.pid").stat().st_mtime
    assert waited < 10, f"`up` waited {waited:.1f} s after the registry started"
    assert "ready after" not in up.stdout
    assert not (scratch / "connect.pid").exists()
    # the rest is left running for inspection (docs/local-cluster.md), and `down` stops all of it
    left = running(scratch)
    assert set(left) == {"kafka-1", "kafka-2", "kafka-3", "kafka-4", "sasl", "issuer"}
    assert sorted(processes_of(scratch)) == sorted(left.values())
    down = script("down", scratch, timeout=120, MQCTL_PORT_OFFSET=str(OFFSET))
    assert down.returncode == 0, down.stdout + down.stderr
    assert processes_of(scratch) == []


def test_down_stops_connect_before_the_rest(scratch: Path, tmp_path: Path) -> None:
    """Each component is a stand-in marked as the scratch cluster's own (pid file and -Dmqctl.node,
    as `up` leaves them); Connect takes a second to exit after SIGTERM, like a worker leaving its
    group. Every other component must get SIGTERM only after Connect has exited."""
    scratch.mkdir()
    records = {c: tmp_path / f"{c}.record" for c in COMPONENTS}
    pids = {c: stand_in(scratch, c, records[c], linger=1 if c == "connect" else 0) for c in COMPONENTS}
    assert running(scratch) == pids

    down = script("down", scratch, timeout=120, MQCTL_PORT_OFFSET=str(OFFSET))
    assert down.returncode == 0, down.stdout + down.stderr
    assert f"stopping: {' '.join(COMPONENTS)}" in down.stdout
    assert "killing" not in down.stdout  # each went on SIGTERM
    assert processes_of(scratch) == [] and not list(scratch.glob("*.pid"))
    times = {c: dict(line.split() for line in r.read_text().splitlines()[1:]) for c, r in records.items()}
    connect_exit = float(times["connect"]["exit"])
    assert float(times["connect"]["term"]) < connect_exit
    for c in COMPONENTS[:-1]:
        assert float(times[c]["term"]) > connect_exit, f"{c} was stopped before Connect had exited: {times}"


def cluster_ids(cluster_dir: Path) -> tuple[str, str]:
    """(the 4-broker cluster's id, the SASL node's), from the meta.properties the storage format wrote."""

    def cluster_id(node: str) -> str:
        found = re.search(r"^cluster\.id=(\S+)$", (cluster_dir / node / "data" / "meta.properties").read_text(), re.M)
        assert found, node
        return found[1]

    main = {cluster_id(f"kafka-{n}") for n in (1, 2, 3, 4)}
    assert len(main) == 1, main
    return main.pop(), cluster_id("sasl")


def tls_files(cluster_dir: Path) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in (cluster_dir / "tls").iterdir()}


def test_every_up_after_a_down_is_a_fresh_cluster(scratch: Path) -> None:
    """up, down, up of the scratch cluster (each `up` ends early: REGISTRY_EXITS; the storage is
    formatted and the TLS material made before any process starts)."""
    first = script("up", scratch, timeout=300, **REGISTRY_EXITS)
    assert "error: registry (pid" in first.stderr, first.stdout + first.stderr
    first_ids, first_tls = cluster_ids(scratch), tls_files(scratch)
    left_over = scratch / "kafka-1" / "data" / "left-by-the-first-cluster"
    left_over.write_text("data of the first cluster\n")

    down = script("down", scratch, timeout=120, MQCTL_PORT_OFFSET=str(OFFSET))
    assert down.returncode == 0, down.stdout + down.stderr
    assert "stopped; data deleted (the next `up` starts a fresh cluster)" in down.stdout
    nodes = ("kafka-1", "kafka-2", "kafka-3", "kafka-4", "sasl")
    assert not [node for node in nodes if (scratch / node / "data").exists()]
    # what stays until the next `up`: the logs and the TLS files
    assert all((scratch / node / "logs" / "console.log").exists() for node in nodes)
    assert tls_files(scratch) == first_tls

    second = script("up", scratch, timeout=300, **REGISTRY_EXITS)
    assert "error: registry (pid" in second.stderr, second.stdout + second.stderr
    second_ids, second_tls = cluster_ids(scratch), tls_files(scratch)
    assert not left_over.exists()
    assert second_ids[0] != first_ids[0] and second_ids[1] != first_ids[1], (first_ids, second_ids)
    assert set(second_tls) == set(first_tls) and {"ca.crt", "broker.p12", "oauth-signing.key"} <= set(first_tls)
    assert [name for name in first_tls if second_tls[name] == first_tls[name]] == []  # new keys, certificates, stores
