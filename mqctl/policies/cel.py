"""CEL policies, evaluated in one bounded child process per run (see cel_worker.py for why a process).

Bounds: `TIME_LIMIT_SECONDS` of wall-clock time for all CEL checks of one run, `MEMORY_LIMIT_BYTES`
of address space, expressions of at most 4,096 characters (policies.schema.json). Past a bound the
child is killed and the run gets one error naming the policy that was being evaluated.

One child serves every job of a run (validate sends one per environment), and it is started as soon
as the run knows it has CEL policies, before the specs are parsed: its start-up (Python and the
`cel` extension, ~35 ms) then overlaps the parse instead of being paid once per environment.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

TIME_LIMIT_SECONDS = 10.0
MEMORY_LIMIT_BYTES = 1 << 30
WORKER = os.path.join(os.path.dirname(__file__), "cel_worker.py")
_READ_SIZE = 1 << 16
_EXIT_SECONDS = 2.0  # how long a child that closed its pipes is given to exit


@dataclass(frozen=True)
class CelJob:
    expressions: Sequence[str]
    checks: Sequence[tuple[int, Sequence[int]]]  # (expression index, resource indexes)
    resources: Sequence[Mapping[str, Any]]
    environment: str


@dataclass
class CelOutcome:
    compile_errors: list[str | None] = field(default_factory=list)  # per expression
    results: list[list[bool | str]] = field(default_factory=list)  # per check, per resource ("error: ...")
    failure: str | None = None  # why the evaluator as a whole stopped
    failed_check: int | None = None  # the check it was running then


class _Stopped(Exception):
    """The child stopped (or never started); the message says why."""


class Evaluator(AbstractContextManager["Evaluator"]):
    """The run's CEL child process: started at once, given jobs one JSON line at a time, killed on
    close. The time limit is the run's: each job's time is taken from what the ones before left.
    Never raises for what an expression does; a stopped child fails every later job the same way."""

    def __init__(self, seconds: float | None = None, memory: int | None = None) -> None:
        self.seconds = TIME_LIMIT_SECONDS if seconds is None else seconds
        self._left = self.seconds
        memory = MEMORY_LIMIT_BYTES if memory is None else memory
        self._memory = memory
        self._buffer = bytearray()
        self._stopped: str | None = None
        command = [sys.executable, "-I", WORKER, str(memory), str(int(self.seconds) + 1)]
        try:
            self._child: subprocess.Popen[bytes] | None = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            self._child = None
            self._stopped = f"could not start the CEL evaluator: {exc.strerror or exc}"

    def evaluate(self, job: CelJob) -> CelOutcome:
        """Compile every expression of `job` and run every check."""
        if self._stopped is not None:
            return CelOutcome(failure=self._stopped)
        body = {"expressions": list(job.expressions), "checks": [[e, list(r)] for e, r in job.checks],
                "resources": list(job.resources), "environment": job.environment}  # fmt: skip
        started = time.monotonic()
        running: int | None = None
        deadline = started + self._left
        try:
            self._send(json.dumps(body, default=str).encode() + b"\n", deadline)
            while True:
                line = self._line(deadline)
                if not line.strip().isdigit():
                    break
                running = int(line)  # the worker names each check before running it
        except _Stopped as stopped:
            self._stopped = str(stopped)
            return CelOutcome(failure=self._stopped, failed_check=running)
        finally:
            self._left -= time.monotonic() - started
        data = json.loads(line)
        return CelOutcome(list(data["compile"]), [list(r) for r in data["results"]])

    def close(self) -> None:
        child = self._child
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdin, child.stdout, child.stderr) if child is not None else ():
            if stream is not None:
                stream.close()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _send(self, data: bytes, deadline: float) -> None:
        """Write a job to the child, waiting at most until `deadline`: a job larger than the pipe
        holds waits for the child to read it, and a child that never does must not hang the run."""
        assert self._child is not None and self._child.stdin is not None
        into = self._child.stdin.fileno()
        os.set_blocking(into, False)
        left = memoryview(data)
        while left:
            if not self._wait(into, deadline, write=True):
                self.close()
                raise _Stopped(f"took longer than {self.seconds:g} s")
            try:
                left = left[os.write(into, left) :]
            except BlockingIOError:
                continue
            except OSError:  # the child is gone (out of memory at start-up, killed): why is in its exit
                raise _Stopped(self._ended()) from None

    @staticmethod
    def _wait(fd: int, deadline: float, write: bool = False) -> bool:
        """Whether `fd` is ready to read (or write), or closed, before `deadline`. poll, not select:
        select refuses descriptors past 1023, which a process with many connections open reaches."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        poller = select.poll()
        poller.register(fd, select.POLLOUT if write else select.POLLIN)
        return bool(poller.poll(left * 1000))

    def _line(self, deadline: float) -> bytes:
        """The child's next line of output, waiting at most until `deadline`."""
        assert self._child is not None and self._child.stdout is not None
        out = self._child.stdout.fileno()
        searched = 0
        while (end := self._buffer.find(b"\n", searched)) < 0:
            searched = len(self._buffer)
            if not self._wait(out, deadline):
                self.close()
                raise _Stopped(f"took longer than {self.seconds:g} s")
            chunk = os.read(out, _READ_SIZE)
            if not chunk:
                raise _Stopped(self._ended())
            self._buffer += chunk
        line = bytes(self._buffer[: end + 1])
        del self._buffer[: end + 1]
        return line

    def _ended(self) -> str:
        """Why the child ended by itself, from its exit status and the last line it wrote to stderr."""
        assert self._child is not None and self._child.stderr is not None
        try:
            code = self._child.wait(timeout=_EXIT_SECONDS)  # it closed its pipes: it is ending
        except subprocess.TimeoutExpired:  # or it closed them and went on: not a hang of the run
            self._child.kill()
            code = self._child.wait()
        tail = self._child.stderr.read().decode(errors="replace").strip().splitlines()
        reason = tail[-1] if tail else f"exit status {code}"
        if "MemoryError" in reason or "memory allocation" in reason or code in (-6, -9):
            reason = f"ran out of memory (limit {self._memory // 2**20} MiB)"
        return f"stopped: {reason}"
