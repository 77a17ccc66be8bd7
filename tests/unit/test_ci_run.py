""".ci/run's promise (docs/local-cluster.md): `make cluster-down` always runs on the way out, and a
failed run whose cluster does not answer prints the cluster's status and log tails. The real
script runs from a scratch directory laid out like the repository; what it calls (make, the
cluster script, java, mvn, promtool) are stand-ins that record their arguments in one file, in
order. No cluster is involved: the script's own logic is what is tested here, not make's targets.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

MAKE = """#!/usr/bin/env bash
echo "make $*" >> "$CI_CALLS"
case "$1" in
  test) echo "stand-in: the test run"; exit "$MAKE_TEST_RC" ;;
  cluster-down) echo "stand-in: cluster stopped" ;;
esac
"""
CLUSTER = """#!/usr/bin/env bash
echo "local-cluster.sh $*" >> "$CI_CALLS"
case "$1" in
  check) exit "$CLUSTER_CHECK_RC" ;;
  status) echo "stand-in status: kafka-1 stopped"; exit 3 ;;  # as the real one when nothing runs
  logs) echo "stand-in log tail: kafka-1 ERROR the last words" ;;
esac
"""
TOOLS = {
    "make": MAKE,
    "java": "#!/usr/bin/env bash\necho 'openjdk version \"17.0.15\"' >&2\n",
    "mvn": "#!/usr/bin/env bash\necho 'Apache Maven 3.8.7'\n",
    "promtool": "#!/usr/bin/env bash\nexit 0\n",  # present: the script installs nothing
}
NOT_RUNNING = "::: the local cluster is not (fully) running; status and log tails:"


@dataclass(frozen=True)
class CiRun:
    code: int
    stdout: str
    calls: list[str]


def printed_in_order(stdout: str) -> list[str]:
    """The lines the stand-ins and the script's cleanup printed, in order (the elapsed seconds cut
    off the `finished` line); anything else the script prints is left out."""
    marks = ("stand-in", "::: .ci/run finished with exit code", NOT_RUNNING)
    return [re.sub(r" after \d+ s$", " after", line) for line in stdout.splitlines() if line.startswith(marks)]


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def run_ci(tmp_path: Path, make_test_rc: int, cluster_check_rc: int) -> CiRun:
    """`.ci/run` in a scratch checkout: `make test` exits `make_test_rc`, the cluster's `check`
    exits `cluster_check_rc`."""
    checkout, bin_dir = tmp_path / "checkout", tmp_path / "bin"
    (checkout / ".ci").mkdir(parents=True)
    (checkout / "scripts").mkdir()
    bin_dir.mkdir()
    shutil.copy2(REPO_ROOT / ".ci" / "run", checkout / ".ci" / "run")
    _executable(checkout / "scripts" / "local-cluster.sh", CLUSTER)
    for name, text in TOOLS.items():
        _executable(bin_dir / name, text)
    calls = tmp_path / "calls"
    calls.touch()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "CI_CALLS": str(calls),
        "MAKE_TEST_RC": str(make_test_rc),
        "CLUSTER_CHECK_RC": str(cluster_check_rc),
    }
    done = subprocess.run(
        ["bash", str(checkout / ".ci" / "run")], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return CiRun(done.returncode, done.stdout, calls.read_text().splitlines())


def test_a_failed_run_prints_the_clusters_status_and_logs_stops_it_and_keeps_the_exit_code(tmp_path: Path) -> None:
    run = run_ci(tmp_path, make_test_rc=2, cluster_check_rc=1)
    assert run.code == 2, run.stdout
    assert run.calls == [
        "make test", "local-cluster.sh check 5", "local-cluster.sh status", "local-cluster.sh logs 60",
        "make cluster-down",
    ]  # fmt: skip
    assert printed_in_order(run.stdout) == [
        "stand-in: the test run",
        "::: .ci/run finished with exit code 2 after",
        NOT_RUNNING,
        "stand-in status: kafka-1 stopped",
        "stand-in log tail: kafka-1 ERROR the last words",
        "stand-in: cluster stopped",
    ], run.stdout


@pytest.mark.parametrize("cluster_check_rc", [0, 1])
def test_a_passing_run_prints_no_logs_and_still_stops_the_cluster(tmp_path: Path, cluster_check_rc: int) -> None:
    run = run_ci(tmp_path, make_test_rc=0, cluster_check_rc=cluster_check_rc)
    assert run.code == 0, run.stdout
    assert run.calls == ["make test", "make cluster-down"]
    assert printed_in_order(run.stdout) == [
        "stand-in: the test run", "::: .ci/run finished with exit code 0 after", "stand-in: cluster stopped",
    ], run.stdout  # fmt: skip


def test_a_failed_run_with_the_cluster_answering_prints_no_logs_and_stops_it(tmp_path: Path) -> None:
    run = run_ci(tmp_path, make_test_rc=2, cluster_check_rc=0)
    assert run.code == 2, run.stdout
    assert run.calls == ["make test", "local-cluster.sh check 5", "make cluster-down"]
    assert printed_in_order(run.stdout) == [
        "stand-in: the test run", "::: .ci/run finished with exit code 2 after", "stand-in: cluster stopped",
    ], run.stdout  # fmt: skip
