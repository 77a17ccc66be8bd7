"""A Connect worker that answers 409 (a rebalance in progress) is asked again while the environment's
timeout allows (docs/connect.md): through a small HTTP proxy in front of the REAL local worker that
answers 409 itself to the first N requests, then forwards every request to the worker as it came.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2
import pytest

from mqctl.config import ConnectConfig, Environment
from mqctl.connect import RETRY_PAUSE_SECONDS, ConnectClient, ConnectFailure
from tests.conftest import CONNECT_URL, delete_connectors, unique_env

pytestmark = pytest.mark.kafka

# what a distributed worker answers during a rebalance (RebalanceNeededException / ConnectRestException)
REBALANCING = "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"


class ConflictingProxy:
    """An HTTP proxy on loopback in front of the Connect worker: while `conflicts` is above zero (or
    `always`), a request is answered 409 by the proxy and never reaches the worker; after that every
    request is forwarded to the worker (method, path, query, body) and its answer returned as is.
    `seen` lists every request (method, path) that reached the proxy, `forwarded` those the worker got."""

    def __init__(self, upstream: str = CONNECT_URL, conflicts: int = 0, always: bool = False) -> None:
        self.conflicts = conflicts
        self.always = always
        self.seen: list[tuple[str, str]] = []
        self.forwarded: list[tuple[str, str]] = []
        self.times: list[float] = []  # time.monotonic() of each request
        self._upstream = httpx2.Client(base_url=upstream, timeout=30)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy._lock:
                    proxy.seen.append((self.command, self.path))
                    proxy.times.append(time.monotonic())
                    conflict = proxy.always or proxy.conflicts > 0
                    if conflict:
                        proxy.conflicts -= 1
                    else:
                        proxy.forwarded.append((self.command, self.path))
                if conflict:
                    self._answer(409, json.dumps({"error_code": 409, "message": REBALANCING}).encode())
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
                answer = proxy._upstream.request(self.command, self.path, content=body, headers=headers)
                self._answer(answer.status_code, answer.content, answer.headers.get("content-type"))

            def _answer(self, status: int, body: bytes, kind: str | None = "application/json") -> None:
                self.send_response(status)
                if kind:
                    self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_DELETE = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="connect-proxy", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._upstream.close()
        assert not self._thread.is_alive()


@pytest.fixture
def proxy(connect_worker: Any) -> Iterator[ConflictingProxy]:
    proxy = ConflictingProxy()
    yield proxy
    proxy.close()


def client(proxy: ConflictingProxy, env: str, timeout: float) -> ConnectClient:
    return ConnectClient(Environment(env, "127.0.0.1:1", timeout, connect=ConnectConfig(proxy.url)))


def test_a_409_is_asked_again_and_the_request_then_reaches_the_worker(
    proxy: ConflictingProxy, connect_worker: Any
) -> None:
    env = unique_env()
    name = f"{env}.lines"
    config = {"connector.class": "FileStreamSource", "topic": f"{env}.t", "file": "/tmp/mqctl-absent.txt"}
    proxy.conflicts = 3
    try:
        start = time.monotonic()
        client(proxy, env, timeout=15).create(name, config, "STOPPED", hidden=())
        took = time.monotonic() - start
        # three 409s, each asked again after the pause, then the same create reached the worker once
        assert proxy.seen == [("POST", "/connectors")] * 4
        assert proxy.forwarded == [("POST", "/connectors")]
        gaps = [later - earlier for earlier, later in zip(proxy.times, proxy.times[1:], strict=False)]
        assert all(gap >= RETRY_PAUSE_SECONDS * 0.9 for gap in gaps), gaps
        assert took >= 3 * RETRY_PAUSE_SECONDS * 0.9
        # the real worker has it, as sent
        stored = connect_worker.get(f"/connectors/{name}/config").json()
        assert stored["connector.class"] == "FileStreamSource" and stored["topic"] == f"{env}.t"

        # a read the same way: 409 twice, then the worker's own answer
        proxy.conflicts, proxy.seen = 2, []
        listed = client(proxy, env, timeout=15).connectors()
        assert len(proxy.seen) == 3 and name in listed
    finally:
        delete_connectors(connect_worker, env + ".")


def test_a_worker_that_answers_409_for_ever_fails_within_the_timeout_with_its_reason(
    proxy: ConflictingProxy, connect_worker: Any
) -> None:
    env = unique_env()
    proxy.always = True
    worker = client(proxy, env, timeout=3)
    start = time.monotonic()
    with pytest.raises(ConnectFailure) as failure:
        worker.create(f"{env}.lines", {"connector.class": "FileStreamSource"}, "STOPPED", hidden=())
    took = time.monotonic() - start
    assert str(failure.value) == f"create {env}.lines: {REBALANCING} (HTTP 409)"
    assert failure.value.status == 409
    assert took < 3 + 1  # bounded by the environment's timeout (the last pause is never started past it)
    assert 3 <= worker.requests == len(proxy.seen) <= 7  # asked again every 0.5 s while 3 s allowed it
    assert proxy.forwarded == []
    assert f"{env}.lines" not in connect_worker.get("/connectors").json()
