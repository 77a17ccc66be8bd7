"""Connectors on the Kafka Connect worker: the snapshot (one request) and the executors of connector
changes, over the one Connect transport (mqctl.connect).

Apply writes a config with `PUT /connectors/{name}/config` (create or replace), creates a connector
that must not run yet with `POST /connectors` and an initial state, moves states with pause /
resume / stop and deletes with DELETE; the plan's dry run asks the worker to validate each new or
changed config. Then apply waits (boundedly) until the worker shows what it was asked, so a plan
right after it is empty.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from mqctl.connect import ConnectClient, ConnectFailure, ConnectorStatus
from mqctl.diagnostics import MqctlError
from mqctl.edges import Edges
from mqctl.kind import Executor, Results, executor
from mqctl.kinds.connectors.changes import ConnectorChange, ConnectorCreate, ConnectorDelete, ConnectorUpdate
from mqctl.kinds.connectors.live import TARGET_STATES, LiveConnector, LiveConnectors
from mqctl.plan import Action, Change

C = TypeVar("C", bound=ConnectorChange)
SETTLE_SECONDS = 30.0  # how long apply waits for the worker to show what it did
SETTLE_PAUSE_SECONDS = 0.25
MAX_LISTED_PROBLEMS = 10


def _reason(exc: MqctlError) -> str:
    """The worker's reason alone: the change's report line already says what was being done."""
    return exc.reason if isinstance(exc, ConnectFailure) else exc.message


def live_connector(status: ConnectorStatus) -> LiveConnector:
    config = dict(status.config)
    class_name = config.pop("connector.class", "")
    tasks_max = config.pop("tasks.max", "1")  # the worker's default
    config.pop("name", None)
    state = TARGET_STATES.get(status.state) if status.state else None
    return LiveConnector(status.name, class_name, tasks_max, state, tuple(sorted(config)), config)


def _showing(status: ConnectorStatus | None, change: ConnectorChange) -> bool:
    """Whether the worker shows what `change` asked: its config and its state. A resumed connector
    may be UNASSIGNED a moment (the plan takes that for running); a paused one reads PAUSED until
    the worker has resumed it, which it does after the request returns."""
    if change.action is Action.DELETE:
        return status is None
    if status is None:
        return False
    if change.config is not None and dict(status.config) != change.plain_config():
        return False
    shown = TARGET_STATES.get(status.state or "")
    return change.state is None or shown == change.state or (change.state == "running" and shown is None)


class ConnectorAdmin:
    """Snapshot and execution of connector changes on one environment's Connect worker."""

    def __init__(self, edges: Edges) -> None:
        self.edges = edges
        self.prefix = edges.env.prefix

    @property
    def connect(self) -> ConnectClient:
        return self.edges.connect

    def snapshot(self) -> LiveConnectors:
        """The environment's connectors (named `<env>.…`), with configs and states, in one request;
        nothing for an environment without a worker (the diff says so)."""
        if self.edges.env.connect is None:
            return {}
        return {
            name: live_connector(status)
            for name, status in self.connect.connectors().items()
            if name.startswith(self.prefix)
        }

    # --- the dry run ------------------------------------------------------------------------------

    def _objections(self, change: ConnectorChange) -> str | None:
        """What the worker says is wrong with the change's config (its own messages), if anything."""
        if change.config is None:
            return None
        problems = self.connect.validate(change.class_name, change.plain_config(), change.secret_values())
        if not problems:
            return None
        listed = [f"{key}: {message}" for key, message in problems[:MAX_LISTED_PROBLEMS]]
        more = len(problems) - len(listed)
        return "the Connect worker refuses the config: " + "; ".join(listed) + (f"; and {more} more" if more else "")

    # --- execution --------------------------------------------------------------------------------

    def _write(self, change: ConnectorChange) -> None:
        config, hidden = change.plain_config(), change.secret_values()
        if isinstance(change, ConnectorCreate) and change.state in ("paused", "stopped"):
            self.connect.create(change.name, config, change.state.upper(), hidden)  # never runs before resume
            return
        if change.config is not None:
            self.connect.put_config(change.name, config, hidden)
        if isinstance(change, ConnectorUpdate) and change.state is not None:
            move: Callable[[str], None] = {
                "running": self.connect.resume,
                "paused": self.connect.pause,
                "stopped": self.connect.stop,
            }[change.state]
            move(change.name)

    def _delete(self, change: ConnectorChange) -> None:
        self.connect.delete(change.name)

    def _run(self, changes: Sequence[C], action: Callable[[C], object], validate_only: bool) -> Results:
        """Each change on its own (a failure is recorded against its change only); then wait until
        the worker shows the ones done."""
        outcome: Results = {}
        for change in changes:
            try:
                if validate_only:
                    outcome[change.name] = self._objections(change)
                else:
                    action(change)
                    outcome[change.name] = None
            except MqctlError as exc:
                outcome[change.name] = _reason(exc)
        if not validate_only:
            self._settle([c for c in changes if outcome[c.name] is None], outcome)
        return outcome

    def _settle(self, done: Sequence[ConnectorChange], outcome: Results) -> None:
        deadline = time.monotonic() + SETTLE_SECONDS
        waiting = list(done)
        while waiting:
            try:
                statuses: Mapping[str, ConnectorStatus] = self.connect.connectors()
            except MqctlError as exc:
                for change in waiting:
                    outcome[change.name] = f"done, but could not be checked: {_reason(exc)}"
                return
            waiting = [c for c in waiting if not _showing(statuses.get(c.name), c)]
            if not waiting:
                return
            if time.monotonic() > deadline:
                for change in waiting:
                    outcome[change.name] = (
                        f"the worker accepted it but does not show it after {SETTLE_SECONDS:g}s; a new plan re-checks"
                    )
                return
            time.sleep(SETTLE_PAUSE_SECONDS)

    def create(self, changes: Sequence[ConnectorCreate], validate_only: bool = False) -> Results:
        return self._run(changes, self._write, validate_only)

    def update(self, changes: Sequence[ConnectorUpdate], validate_only: bool = False) -> Results:
        return self._run(changes, self._write, validate_only)

    def delete(self, changes: Sequence[ConnectorDelete], validate_only: bool = False) -> Results:
        if validate_only:
            return {c.name: None for c in changes}
        return self._run(changes, self._delete, False)

    def executors(self) -> dict[type[Change], Executor]:
        return dict(
            [
                executor(ConnectorCreate, self.create),
                executor(ConnectorUpdate, self.update),
                executor(ConnectorDelete, self.delete),
            ]
        )
