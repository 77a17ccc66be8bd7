"""Kinds' admin modules imported from several threads at once (mqctl.kind.import_admin_modules):
plan reads on a thread, `--all-envs` runs one environment per thread, and CPython 3.11's import
deadlock detection fails threads that import the same packages from different modules at once."""

from __future__ import annotations

import subprocess
import sys

THREADS_IMPORTING = """
import random, threading
import mqctl.kinds
from mqctl.kind import import_admin_modules
from mqctl.kinds import KINDS

errors = []
start = threading.Barrier(8)

def read(seed):
    kinds = list(KINDS)
    random.Random(seed).shuffle(kinds)  # each thread enters the libraries through another kind
    start.wait()
    try:
        import_admin_modules(kinds)
    except BaseException as exc:
        errors.append(f"{type(exc).__name__}: {exc}")

threads = [threading.Thread(target=read, args=(seed,)) for seed in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(errors)
"""


def test_threads_importing_every_kind_s_admin_module_at_once_all_succeed() -> None:
    """Eight threads, each importing every kind's admin module in its own order, in three fresh
    processes. Importing them straight with importlib instead failed in 16 of 20 processes."""
    command = [sys.executable, "-c", THREADS_IMPORTING]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        assert out.strip() == "[]", out
