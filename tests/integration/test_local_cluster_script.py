"""scripts/local-cluster.sh `up` next to the running cluster, without ever stopping or restarting it.

`up` on the running cluster's own state directory is idempotent: it answers success and every
process keeps its pid. `up` from a scratch state directory while that cluster holds the ports is
refused, naming the ports, and starts nothing: nothing of the scratch directory is running, no pid
file is written, and the running cluster keeps its pids.

Both run with MQCTL_NO_RESTART=1: a cluster that another test (a fault test's stopped broker) left
partly running makes `up` fail instead of restarting the shared cluster. A scratch directory holds
no pid file of the running cluster, so its `up` could only ever stop its own processes (none).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.kafka

SCRIPT = REPO_ROOT / "scripts" / "local-cluster.sh"
CLUSTER_DIR = Path(os.environ.get("MQCTL_CLUSTER_DIR", REPO_ROOT / ".local-cluster")).resolve()
COMPONENTS = ("kafka-1", "kafka-2", "kafka-3", "kafka-4", "sasl", "issuer", "registry", "connect")
# every port `up` needs (scripts/local-cluster.sh PORTS)
PORTS = {19092, 19093, 29092, 29093, 39092, 39093, 59092, 49092, 49093, 49094, 49095, 49096, 8081, 9081, 8083, 8085}


def script(command: str, cluster_dir: Path, timeout: float = 240, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "MQCTL_CLUSTER_DIR": str(cluster_dir), "MQCTL_NO_RESTART": "1", **env}
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


def test_a_partly_running_cluster_is_restarted_only_without_mqctl_no_restart(tmp_path: Path) -> None:
    """One process of a scratch cluster runs (a stand-in marked as its issuer, the way `up` marks
    its processes): with MQCTL_NO_RESTART=1 `up` refuses and leaves it running; without, `up`
    stops it to start afresh, and is then refused the ports the running cluster holds."""
    scratch = (tmp_path / "scratch-cluster").resolve()
    scratch.mkdir()
    stand_in = subprocess.Popen(["python3", "-c", "import time; time.sleep(120)", f"-Dmqctl.node={scratch}/issuer"])
    try:
        (scratch / "issuer.pid").write_text(f"{stand_in.pid}\n")
        assert running(scratch) == {"issuer": stand_in.pid}

        kept = script("up", scratch, timeout=120, MQCTL_CACHE_DIR=str(tmp_path / "cache"))
        assert kept.returncode == 1, kept.stdout + kept.stderr
        assert "local cluster only partly running (issuer); MQCTL_NO_RESTART=1: not restarting it" in kept.stderr
        assert stand_in.poll() is None  # still running

        restarted = script("up", scratch, timeout=120, MQCTL_CACHE_DIR=str(tmp_path / "cache"), MQCTL_NO_RESTART="")
        assert "local cluster only partly running (issuer); restarting all of it" in restarted.stdout
        assert stand_in.wait(timeout=30) is not None  # stopped by `up`
        assert restarted.returncode == 1 and "already in use by a process that is not this local cluster" in (
            restarted.stderr
        )
        assert processes_of(scratch) == []
    finally:
        if stand_in.poll() is None:
            stand_in.kill()
            stand_in.wait(timeout=10)
