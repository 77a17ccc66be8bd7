"""CEL policies, evaluated in a bounded child process (see cel_worker.py for why a process).

Bounds: `TIME_LIMIT_SECONDS` of wall-clock time for all CEL checks of one run, `MEMORY_LIMIT_BYTES`
of address space, expressions of at most 4,096 characters (policies.schema.json). Past a bound the
child is killed and the run gets one error naming the policy that was being evaluated.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TIME_LIMIT_SECONDS = 10.0
MEMORY_LIMIT_BYTES = 1 << 30
WORKER = Path(__file__).with_name("cel_worker.py")


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


def _last_check(stderr: bytes | str | None) -> int | None:
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else (stderr or "")
    lines = [line for line in text.splitlines() if line.strip().isdigit()]
    return int(lines[-1]) if lines else None


def evaluate(job: CelJob, seconds: float | None = None, memory: int | None = None) -> CelOutcome:
    """Compile every expression and run every check; never raises for what an expression does.
    The bounds default to TIME_LIMIT_SECONDS and MEMORY_LIMIT_BYTES."""
    seconds = TIME_LIMIT_SECONDS if seconds is None else seconds
    memory = MEMORY_LIMIT_BYTES if memory is None else memory
    body = json.dumps(
        {"expressions": list(job.expressions), "checks": [[e, list(r)] for e, r in job.checks],
         "resources": list(job.resources), "environment": job.environment},
        default=str,
    )
    command = [sys.executable, "-I", str(WORKER), str(memory), str(int(seconds) + 1)]
    try:
        done = subprocess.run(command, input=body.encode(), capture_output=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired as exc:
        return CelOutcome(failure=f"took longer than {seconds:g} s", failed_check=_last_check(exc.stderr))
    except OSError as exc:
        return CelOutcome(failure=f"could not start the CEL evaluator: {exc.strerror or exc}")
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()
        reason = tail[-1] if tail and not tail[-1].isdigit() else f"exit status {done.returncode}"
        if "MemoryError" in reason or "memory allocation" in reason or done.returncode in (-6, -9):
            reason = f"ran out of memory (limit {memory // 2**20} MiB)"
        return CelOutcome(failure=f"stopped: {reason}", failed_check=_last_check(done.stderr))
    data = json.loads(done.stdout)
    return CelOutcome(list(data["compile"]), [list(r) for r in data["results"]])
