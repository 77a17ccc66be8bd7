"""MQCTL_PORT_OFFSET (docs/local-cluster.md) moves every port in the configs scripts/local-cluster.sh
writes, and nothing else; an offset that is not a plain number, or would leave the port range, is
refused. (That `up` at an offset runs beside the shared cluster is tests/integration/
test_local_cluster_script.py's part; that offset 0 gives docker-compose.yml's ports, test_compose_file's.)"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "local-cluster.sh"
# a port in a config: an address (listeners, quorum voters, bootstrap, the issuer's URLs) or Connect's REST port
PORT = re.compile(r"(127\.0\.0\.1:|rest\.advertised\.port=)(\d+)")
# the ports the configs name at offset 0 (the registry's two are on its command line)
CONFIG_PORTS = {19092, 19093, 29092, 29093, 39092, 39093, 59092, 49092, 49093, 49094, 49095, 49096, 8083, 8085}


def config(name: str, offset: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MQCTL_CLUSTER_DIR": "/state", "MQCTL_PORT_OFFSET": offset}
    return subprocess.run([str(SCRIPT), "config", name], env=env, capture_output=True, text=True, timeout=60,
                          check=False)  # fmt: skip


def test_the_offset_moves_every_port_of_every_config_and_nothing_else() -> None:
    named: set[int] = set()
    for name in ("kafka-1", "kafka-2", "kafka-3", "kafka-4", "sasl", "connect"):
        default, moved = config(name, "0").stdout, config(name, "300").stdout
        ports = {int(m[2]) for m in PORT.finditer(default)}
        assert ports, name
        assert {int(m[2]) for m in PORT.finditer(moved)} == {port + 300 for port in ports}, name
        assert PORT.sub(lambda m: f"{m[1]}{int(m[2]) - 300}", moved) == default, name
        named |= ports
    assert named == CONFIG_PORTS


# "010": bash arithmetic would read it as octal 8
@pytest.mark.parametrize("offset", ["6444", "-1", "abc", "010", "1e3"])
def test_an_offset_that_is_not_a_number_from_0_to_6443_is_refused(offset: str) -> None:
    done = config("kafka-4", offset)
    assert done.returncode == 1 and not done.stdout
    refusal = f"error: MQCTL_PORT_OFFSET must be a number from 0 to 6443 (the highest port is 59092), not '{offset}'\n"
    assert done.stderr == refusal


def test_the_largest_offset_puts_the_highest_port_at_65535() -> None:
    done = config("kafka-4", "6443")
    assert done.returncode == 0, done.stderr
    assert "advertised.listeners=PLAINTEXT://127.0.0.1:65535\n" in done.stdout
