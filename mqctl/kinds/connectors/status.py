"""`mqctl connectors status`: the state of every connector and task of an environment, pure.

The worker's status is read beforehand (one request, mqctl.connect); this module turns it into a
report. A failure shows the first line of its Java stack trace (the exception and its message),
with the connector's secret-looking config values masked and control characters made visible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mqctl.connect import ConnectorStatus, mask
from mqctl.kinds.connectors.values import looks_secret
from mqctl.textsafe import visible

FAILED = "FAILED"


def _worker(worker_id: str | None) -> str | None:
    return None if worker_id is None else visible(worker_id)


def first_line(trace: str | None, hidden: list[str]) -> str | None:
    if not trace:
        return None
    return visible(mask(trace.strip().splitlines()[0], hidden))


@dataclass(frozen=True)
class Instance:
    """The connector itself or one of its tasks."""

    what: str  # "connector" or "task 0", "task 1", ...
    state: str
    worker: str | None
    error: str | None  # first line of the failure trace

    def to_dict(self) -> dict[str, object]:
        return {"instance": self.what, "state": self.state, "worker": self.worker, "error": self.error}


@dataclass(frozen=True)
class ConnectorReport:
    name: str
    type: str
    instances: tuple[Instance, ...]  # the connector first, then its tasks by id

    @property
    def failed(self) -> tuple[Instance, ...]:
        return tuple(i for i in self.instances if i.state == FAILED)

    def to_dict(self) -> dict[str, object]:
        own = self.instances[0]
        return {
            "name": self.name,
            "type": self.type,
            "state": own.state,
            "worker": own.worker,
            "error": own.error,
            "tasks": [i.to_dict() for i in self.instances[1:]],
        }


@dataclass(frozen=True)
class StatusReport:
    environment: str
    connectors: tuple[ConnectorReport, ...]

    @property
    def failed(self) -> bool:
        return any(c.failed for c in self.connectors)

    def to_dict(self) -> dict[str, object]:
        return {
            "environment": self.environment,
            "failed": self.failed,
            "connectors": [c.to_dict() for c in self.connectors],
        }


def connector_report(status: ConnectorStatus) -> ConnectorReport:
    hidden = [v for k, v in status.config.items() if looks_secret(k) and v]
    own = Instance(
        "connector", visible(status.state or "UNASSIGNED"), _worker(status.worker_id), first_line(status.trace, hidden)
    )
    tasks = tuple(
        Instance(f"task {t.id}", visible(t.state), _worker(t.worker_id), first_line(t.trace, hidden))
        for t in status.tasks
    )
    return ConnectorReport(visible(status.name), status.type, (own, *tasks))


def status_report(environment: str, prefix: str, statuses: Mapping[str, ConnectorStatus]) -> StatusReport:
    """The environment's connectors (named `<prefix>…`), by name."""
    return StatusReport(
        environment,
        tuple(connector_report(statuses[name]) for name in sorted(statuses) if name.startswith(prefix)),
    )
