"""The cluster ids scripts/local-cluster.sh makes for `kafka-storage format -t ID`: Kafka Uuids
(22 characters of base64url), never starting with "-". One random id in 64 does, and
kafka-storage's argument parser then reads `-t -xyz…` as a missing value ("expected one
argument"): `up` failed that way once in a full run. The function's own Python program runs 2,000
times, which misses a regression with probability (63/64)^2000, about 2e-14; the function itself
runs once through bash."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys

from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "local-cluster.sh"
UUID = re.compile(r"[A-Za-z0-9_-]{22}")


def test_cluster_ids_are_kafka_uuids_that_never_start_with_a_dash() -> None:
    function = re.search(r"^new_cluster_id\(\) \{.*?^\}$", SCRIPT.read_text(), re.M | re.S)
    assert function is not None, "new_cluster_id() is no longer in the script"
    one = subprocess.run(["bash", "-c", f"{function.group(0)}\nnew_cluster_id"], env={"PYTHON": sys.executable},
                         capture_output=True, text=True, timeout=60, check=True).stdout.strip()  # fmt: skip
    assert UUID.fullmatch(one)
    program = re.search(r"\"\$PYTHON\" -c '(.*?)'", function.group(0), re.S)
    assert program is not None
    code = compile(program.group(1), "new_cluster_id", "exec")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for _ in range(2000):
            exec(code, {})
    ids = out.getvalue().split()
    assert len(set(ids)) == 2000 and all(UUID.fullmatch(i) for i in ids)
    assert not [i for i in ids if i.startswith("-")]
