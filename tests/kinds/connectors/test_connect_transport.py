"""The Connect transport without a worker: mqctl.yaml mistakes, a closed port and a port that never
answers fail with one readable line within the environment's timeout (real sockets, no fakes)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mqctl.config import ConnectConfig, Environment, Secret, load_config
from mqctl.connect import ConnectClient, ConnectFailure, mask
from mqctl.diagnostics import MqctlError


def env(url: str, timeout: float = 15, password: str | None = None) -> Environment:
    secret = Secret(password) if password is not None else None
    return Environment("dev", "127.0.0.1:1", timeout, connect=ConnectConfig(url, "mqctl" if password else None, secret))


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose listener accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


def test_a_closed_port_is_a_readable_failure(closed_port: int) -> None:
    client = ConnectClient(env(f"http://127.0.0.1:{closed_port}"))
    with pytest.raises(ConnectFailure) as failure:
        client.connectors()
    where = f"http://127.0.0.1:{closed_port}"
    assert str(failure.value).startswith(f"list the connectors: cannot reach the Connect worker at {where}")
    assert client.requests == 1


def test_a_worker_that_never_answers_fails_within_the_timeout(silent_port: int) -> None:
    client = ConnectClient(env(f"http://127.0.0.1:{silent_port}/", timeout=1, password="pw-never-shown"))
    start = time.monotonic()
    with pytest.raises(ConnectFailure) as failure:
        client.put_config("dev.a", {"x.password": "pw-in-body"}, ["pw-in-body"])
    assert time.monotonic() - start < 5
    assert failure.value.reason == f"the Connect worker at http://127.0.0.1:{silent_port} did not answer within 1s"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mqctl:hunter2@127.0.0.1:8083", "must not hold credentials; set connect.username and connect.password"),
        ("ftp://127.0.0.1:8083", "must be http(s)://host:port"),
        ("http://127.0.0.1:99999", "not a URL with a valid port"),
        ("127.0.0.1:8083", "must be http(s)://host:port"),
    ],
)
def test_a_bad_url_is_refused_without_echoing_it(url: str, message: str) -> None:
    with pytest.raises(MqctlError) as failure:
        ConnectClient(env(url))
    assert failure.value.message == f"mqctl.yaml: environments.dev.connect.url: {message}"
    assert "hunter2" not in failure.value.message


def test_an_environment_without_a_worker_says_what_to_set() -> None:
    with pytest.raises(MqctlError) as failure:
        ConnectClient(Environment("dev", "127.0.0.1:1"))
    assert "has no connect: section; set environments.dev.connect.url" in failure.value.message


def test_mqctl_yaml_reads_the_worker_and_its_password_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mqctl.yaml").write_text(
        "environments:\n  dev:\n    bootstrap_servers: 127.0.0.1:1\n    connect:\n"
        "      url: https://connect:8083\n      username: mqctl\n      password: ${CONNECT_PW}\n"
        "      ssl_ca_location: /etc/ca.pem\n"
    )
    monkeypatch.setenv("CONNECT_PW", "connect-pw-1")
    connect = load_config(tmp_path, "dev").environment.connect
    assert connect == ConnectConfig("https://connect:8083", "mqctl", Secret("connect-pw-1"), "/etc/ca.pem")
    assert "connect-pw-1" not in repr(connect)
    monkeypatch.delenv("CONNECT_PW")
    with pytest.raises(MqctlError) as failure:
        load_config(tmp_path, "dev")
    assert "environment variable CONNECT_PW is not set" in str(failure.value.diagnostics[0])


def test_mask_hides_every_value_longest_first() -> None:
    assert mask("pw=abc123 and abc", ["abc", "abc123", ""]) == "pw=*** and ***"
