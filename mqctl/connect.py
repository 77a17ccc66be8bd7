"""The one Kafka Connect transport: the worker's REST API over httpx2, bounded and with readable
failures (mqctl/registry.py is its sibling for the schema registry).

Every request is bounded by the environment's timeout and every failure becomes one readable line
that names the worker without credentials. Connector configs hold secrets in plain text (Connect
returns them so): a request that sends a config is given the values to hide, and any message the
worker answers it with has them masked before it goes anywhere. A worker that answers 409 (a
rebalance or a concurrent config change) is asked again while the request's time allows.

This layer speaks in connectors, configs and states; it knows nothing of specs, diffs or plans.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx2 as httpx

from mqctl.config import ConnectConfig, Environment, server_verification
from mqctl.diagnostics import MqctlError

CONFLICT = 409  # "rebalance in progress" / "stale configuration": worth asking again
RETRY_PAUSE_SECONDS = 0.5
MASK = "***"
# a worker that cannot find a plugin lists every plugin it has as PluginDesc{...name='<class>'...}
_PLUGIN_LIST = re.compile(r"available connectors are: (PluginDesc\{.*)", re.DOTALL)
_PLUGIN_NAME = re.compile(r"name='([^']+)'")


@dataclass(frozen=True)
class TaskStatus:
    """One task as the worker reports it."""

    id: int
    state: str  # RUNNING | PAUSED | FAILED | UNASSIGNED | RESTARTING
    worker_id: str | None = None
    trace: str | None = None  # the Java stack trace of a failed task


@dataclass(frozen=True)
class ConnectorStatus:
    """One connector with its config and status, as `GET /connectors?expand=info&expand=status`
    reports it. `state` is None when the worker has no status for it yet (just created)."""

    name: str
    type: str  # source | sink | unknown
    config: Mapping[str, str]  # exactly as the worker stores it, secrets in plain text
    state: str | None = None  # RUNNING | PAUSED | STOPPED | FAILED | UNASSIGNED | RESTARTING
    worker_id: str | None = None
    trace: str | None = None
    tasks: tuple[TaskStatus, ...] = ()


class ConnectFailure(MqctlError):
    """A Connect request that failed: what was being done, the worker's reason, and the HTTP status
    (0: no answer)."""

    def __init__(self, doing: str, reason: str, status: int = 0) -> None:
        super().__init__(f"{doing}: {reason}")
        self.reason = reason
        self.status = status


def mask(text: str, hidden: Collection[str]) -> str:
    """`text` with every hidden value replaced by ***, longest first (one may contain another)."""
    for value in sorted((v for v in hidden if v), key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def _worker_url(env: Environment, connect: ConnectConfig) -> str:
    """The worker's base URL, refused (never echoed) when it could leak credentials or is no URL."""
    where = f"mqctl.yaml: environments.{env.name}.connect.url"
    try:
        parts = urlsplit(connect.url)
        port = parts.port
    except ValueError:
        raise MqctlError(f"{where}: not a URL with a valid port") from None
    if "@" in parts.netloc:
        raise MqctlError(f"{where}: must not hold credentials; set connect.username and connect.password")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MqctlError(f"{where}: must be http(s)://host:port")
    netloc = f"{parts.hostname}:{port}" if port else parts.hostname
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def _text(answer: httpx.Response) -> str:
    """The worker's own message (`{"error_code": ..., "message": ...}`), a plugin list shortened to
    the class names."""
    try:
        body = answer.json()
        message = str(body.get("message") or answer.reason_phrase) if isinstance(body, dict) else answer.text
    except ValueError:
        message = answer.text.strip()[:500] or str(answer.reason_phrase)
    found = _PLUGIN_LIST.search(message)
    if found:
        names = ", ".join(_PLUGIN_NAME.findall(found.group(1)))
        message = message[: found.start()] + f"available connectors are: {names}"
    return message.removeprefix("org.apache.kafka.connect.runtime.rest.errors.BadRequestException: ")


def _task(raw: Any) -> TaskStatus:
    state = str(raw.get("state", "UNASSIGNED"))
    return TaskStatus(int(raw.get("id", -1)), state, raw.get("worker_id"), raw.get("trace"))


def _connector(name: str, raw: Any) -> ConnectorStatus:
    info = raw.get("info") or {}
    status = raw.get("status") or {}
    own = status.get("connector") or {}
    return ConnectorStatus(
        name=name,
        type=str(info.get("type") or status.get("type") or "unknown"),
        config={str(k): str(v) for k, v in (info.get("config") or {}).items()},
        state=own.get("state"),
        worker_id=own.get("worker_id"),
        trace=own.get("trace"),
        tasks=tuple(sorted((_task(t) for t in status.get("tasks") or []), key=lambda t: t.id)),
    )


class ConnectClient:
    """A connection to one environment's Kafka Connect worker (or cluster)."""

    def __init__(self, env: Environment) -> None:
        connect = env.connect
        if connect is None:
            raise MqctlError(
                f"mqctl.yaml: environment {env.name!r} has no connect: section; set "
                f"environments.{env.name}.connect.url to the Kafka Connect worker's REST address"
            )
        self.url = _worker_url(env, connect)
        self.env = env
        self.requests = 0
        auth = None
        if connect.username is not None:
            auth = (connect.username, connect.password.reveal() if connect.password is not None else "")
        try:
            self._http = httpx.Client(
                base_url=self.url + "/",
                auth=auth,
                verify=server_verification(self.url, connect.ssl_ca_location),
                timeout=env.timeout_seconds,
                headers={"Accept": "application/json"},
            )
        except (ValueError, TypeError, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise MqctlError(f"mqctl.yaml: environments.{env.name}.connect: {reason}") from None

    def close(self) -> None:
        """Close the HTTP connections that are open (kept alive between requests)."""
        self._http.close()

    # --- one request ------------------------------------------------------------------------------

    def _reason(self, exc: httpx.HTTPError) -> str:
        if isinstance(exc, httpx.TimeoutException):
            return f"the Connect worker at {self.url} did not answer within {self.env.timeout_seconds:g}s"
        return f"cannot reach the Connect worker at {self.url} ({exc.__class__.__name__}: {exc})"

    def _send(
        self,
        doing: str,
        method: str,
        path: str,
        body: Any = None,
        params: Mapping[str, str | list[str]] | None = None,
        hidden: Collection[str] = (),
    ) -> httpx.Response:
        """One request (asked again on 409 while the timeout allows); a failure names `doing` and
        the worker's reason, with the `hidden` values masked."""
        deadline = time.monotonic() + self.env.timeout_seconds
        while True:
            self.requests += 1
            try:
                answer = self._http.request(method, path, json=body, params=params)
            except httpx.HTTPError as exc:
                raise ConnectFailure(doing, mask(self._reason(exc), hidden)) from None
            if answer.status_code == CONFLICT and time.monotonic() + RETRY_PAUSE_SECONDS < deadline:
                time.sleep(RETRY_PAUSE_SECONDS)
                continue
            if answer.status_code in (401, 403):
                reason = f"the Connect worker at {self.url} refused the credentials (HTTP {answer.status_code})"
                raise ConnectFailure(doing, reason, answer.status_code)
            if answer.status_code >= 400:
                reason = f"{mask(_text(answer), hidden)} (HTTP {answer.status_code})"
                raise ConnectFailure(doing, reason, answer.status_code)
            return answer

    def _json(self, doing: str, answer: httpx.Response) -> Any:
        try:
            return answer.json()
        except ValueError:
            raise ConnectFailure(doing, f"the worker at {self.url} answered with something that is not JSON") from None

    # --- reading ----------------------------------------------------------------------------------

    def connectors(self) -> dict[str, ConnectorStatus]:
        """Every connector on the worker with its config and status, in one request."""
        doing = "list the connectors"
        answer = self._send(doing, "GET", "connectors", params={"expand": ["info", "status"]})
        data = self._json(doing, answer)
        try:
            return {str(name): _connector(str(name), raw) for name, raw in data.items() if isinstance(raw, dict)}
        except (AttributeError, TypeError, ValueError):
            raise ConnectFailure(doing, f"the worker at {self.url} did not answer with a map of connectors") from None

    def validate(self, class_name: str, config: Mapping[str, str], hidden: Collection[str]) -> list[tuple[str, str]]:
        """The worker's objections to `config` for plugin `class_name`: (key, message) for every
        error, masked; empty when it accepts it. A class the worker lacks is a ConnectFailure."""
        doing = f"validate the config of {config.get('name', class_name)}"
        path = f"connector-plugins/{quote(class_name, safe='')}/config/validate"
        data = self._json(doing, self._send(doing, "PUT", path, dict(config), hidden=hidden))
        entries = data.get("configs") if isinstance(data, dict) else None
        problems = []
        for entry in entries or []:
            value = entry.get("value") or {}
            for message in value.get("errors") or []:
                problems.append((str(value.get("name", "?")), mask(str(message), hidden)))
        return problems

    # --- writing ----------------------------------------------------------------------------------

    def put_config(self, name: str, config: Mapping[str, str], hidden: Collection[str]) -> None:
        """Create the connector, or replace its whole config (its state stays as it was)."""
        self._send(f"write the config of {name}", "PUT", f"connectors/{quote(name, safe='')}/config", dict(config),
                   hidden=hidden)

    def create(self, name: str, config: Mapping[str, str], initial_state: str, hidden: Collection[str]) -> None:
        """Create a connector that starts PAUSED or STOPPED (Kafka 3.7+, KIP-980): its tasks never run
        before it is resumed."""
        body = {"name": name, "config": dict(config), "initial_state": initial_state}
        self._send(f"create {name}", "POST", "connectors", body, hidden=hidden)

    def pause(self, name: str) -> None:
        self._send(f"pause {name}", "PUT", f"connectors/{quote(name, safe='')}/pause")

    def resume(self, name: str) -> None:
        self._send(f"resume {name}", "PUT", f"connectors/{quote(name, safe='')}/resume")

    def stop(self, name: str) -> None:
        """Stop: tasks shut down and their resources are released (Kafka 3.5+, KIP-875)."""
        self._send(f"stop {name}", "PUT", f"connectors/{quote(name, safe='')}/stop")

    def delete(self, name: str) -> None:
        self._send(f"delete {name}", "DELETE", f"connectors/{quote(name, safe='')}")

    def restart(self, name: str, only_failed: bool) -> ConnectorStatus:
        """Restart the connector and its tasks (only the failed ones with `only_failed`, KIP-745);
        the status returned marks what restarts as RESTARTING."""
        doing = f"restart {name}"
        params: dict[str, str | list[str]] = {"includeTasks": "true", "onlyFailed": str(only_failed).lower()}
        answer = self._send(doing, "POST", f"connectors/{quote(name, safe='')}/restart", params=params)
        data = self._json(doing, answer) if answer.content else {}
        try:
            return _connector(name, {"status": data if isinstance(data, dict) else {}})
        except (AttributeError, TypeError, ValueError):
            raise ConnectFailure(doing, f"the worker at {self.url} answered with an unexpected status") from None
