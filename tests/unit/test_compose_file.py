"""docker-compose.yml gives Docker users the topology scripts/local-cluster.sh starts: the same
properties on every broker, the SASL node and the Connect worker, ports on 127.0.0.1 once each.
There is no Docker engine here, so scripts/check_compose.py compares the files; this runs it on the
repository's file and shows that it catches a drifted one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

CHECK = [sys.executable, str(REPO_ROOT / "scripts" / "check_compose.py")]


def test_the_compose_file_matches_what_the_script_starts() -> None:
    done = subprocess.run(CHECK, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.splitlines()[-1]
    assert last == "docker-compose.yml: 9 services, 15 published ports, no unexpected differences"


def test_a_drifted_compose_file_fails_naming_the_setting(tmp_path: Path) -> None:
    text = (REPO_ROOT / "docker-compose.yml").read_text()
    drifted = tmp_path / "docker-compose.yml"
    old = "KAFKA_GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS: 30000"
    assert text.count(old) == 1
    drifted.write_text(text.replace(old, "KAFKA_GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS: 45000"))
    done = subprocess.run([*CHECK, str(drifted)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    for n in (1, 2, 3, 4):
        line = f"UNEXPECTED kafka-{n}: group.consumer.min.session.timeout.ms: compose '45000' != script '30000'"
        assert line in done.stdout
