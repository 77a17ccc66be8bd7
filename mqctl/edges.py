"""The connections of one environment (the thin edge), opened on first use and shared by every kind.

One transport per system: `kafka` (mqctl.kafka.admin), `registry` (mqctl.registry), `connect`
(mqctl.connect). A kind keeps its per-run helpers (its snapshot/executor object) here through
`service`, so kinds share the connections without this module naming any kind.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from mqctl.config import Environment

if TYPE_CHECKING:  # the clients load in about 0.3 s: offline commands (validate, calc) never need them
    from mqctl.connect import ConnectClient
    from mqctl.kafka.admin import KafkaAdmin
    from mqctl.registry import RegistryClient

S = TypeVar("S")


class Edges:
    """The connections of one environment for one run; `with Edges(env) as edges:` closes the ones
    that were opened when the run ends."""

    def __init__(self, env: Environment, notify: Callable[[str], None] = lambda _: None) -> None:
        self.env = env
        self.notify = notify  # progress lines of long operations, for the CLI to show
        self._services: dict[object, object] = {}
        self._closed = False

    @cached_property
    def kafka(self) -> KafkaAdmin:
        from mqctl.kafka.admin import KafkaAdmin

        admin = KafkaAdmin(self.env, self.notify)
        if self._closed:  # asked for by a reading that outlived its run (see close)
            admin.close()
        return admin

    @cached_property
    def registry(self) -> RegistryClient:
        from mqctl.registry import RegistryClient

        return RegistryClient(self.env)

    @cached_property
    def connect(self) -> ConnectClient:
        from mqctl.connect import ConnectClient

        return ConnectClient(self.env)

    def __enter__(self) -> Edges:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every transport this run opened. A reading still running on a daemon thread (a
        plan whose specs failed first) may still be connecting: kafka-python's connection is then
        closed as soon as it is open, and nothing later opens another."""
        self._closed = True
        for name in ("kafka", "registry", "connect"):
            transport = self.__dict__.get(name)
            if transport is not None:
                transport.close()

    def service(self, factory: Callable[[Edges], S]) -> S:
        """One instance per run of `factory` (a class taking the Edges), made on first use."""
        if factory not in self._services:
            self._services[factory] = factory(self)
        found: S = self._services[factory]  # type: ignore[assignment]
        return found

    @property
    def requests(self) -> int:
        """Admin requests sent so far (benchmarks prove they do not grow with the resource count)."""
        return self.kafka.requests if "kafka" in self.__dict__ else 0
