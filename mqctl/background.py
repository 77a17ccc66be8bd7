"""Work that waits on a cluster while the caller does something else: a plan reads the cluster
while it parses the specs, and kafka-python connects while librdkafka reads the metadata.

The kinds' snapshots themselves are read one after another. Read side by side (each on a thread
of its own), the declared plan of 10,000 topics and 10,000 ACL bindings was no faster: 2.13 s
against 2.20 s wall (medians of 6 interleaved runs each, within the noise of either), the same CPU.
The ACL snapshot's conversion, the spec parse and the topic snapshot's decoding all need the GIL,
on a 2-CPU machine where the broker needs the other CPU (measured by hand, session 7). Reading
only the registry's and Connect's kinds beside Kafka's (different connections, mostly HTTP waits)
did not help either: the example project's `plan --env dev` took 0.50 s against 0.49 s (medians of
7 interleaved runs, session 8), because the registry client's import and set-up (~0.2 s of CPU)
then competed with the Kafka kinds' own Python work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar, cast

T = TypeVar("T")


class Background(Generic[T]):
    """One call on a daemon thread. Daemon, so that a cluster that does not answer never holds up
    reporting spec errors, nor the exit of the process."""

    def __init__(self, call: Callable[[], T]) -> None:
        self._result: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], T]) -> None:
        try:
            self._result = call()
        except BaseException as exc:  # re-raised in the caller's thread by result()
            self._error = exc

    def wait(self) -> None:
        """Until the call has ended, whatever its outcome."""
        self._thread.join()

    def ended_within(self, seconds: float) -> bool:
        """Wait at most `seconds` for the call to end; False if it is still running (it then goes on
        on its daemon thread, and its outcome is never read)."""
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def result(self) -> T:
        """The call's value; its error is raised here, in the caller's thread."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return cast(T, self._result)
