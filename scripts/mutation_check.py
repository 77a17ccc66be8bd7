#!/usr/bin/env python3
"""Mutation spot checks: break one safety mechanism at a time in a copy of the project and require
the unit suite to notice. A mechanism whose breakage leaves the unit tests green is only proven by
the integration tests (or by nothing), which this makes visible.

    python scripts/mutation_check.py            # every mutation; exit 1 if any survives
    python scripts/mutation_check.py --list

Each mutation replaces one exact snippet of one file; when the snippet is no longer in the file
(the code moved on), the check fails loudly instead of testing nothing. A mutant counts as killed
only by a test that fails (not by a collection error or a crash of pytest) and fails again when run
alone on the mutant; the tests that killed the mutants must then pass on an unmutated copy, so a
kill is the mutation's doing, not the copy's or a loaded machine's.
`make test` runs it (`make mutants`).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The unit suite as `make unit` runs it, stopping at the first failure, without the fuzz tests: they
# check that random input crashes nothing (none of these mutations crashes anything) and take about
# 85 of the suite's 200 s. Leaving tests out can only let a mutant survive, never kill one.
UNIT = ["-m", "pytest", "-q", "-x", "-rf", "-p", "no:cacheprovider", "-m", "not kafka and not sasl and not registry",
        "--ignore=tests/unit/test_fuzz.py"]
TOOL_DIRS = sorted({str(Path(found).parent) for found in [shutil.which("promtool")] if found} - {"/usr/bin", "/bin"})
FAILED = re.compile(r"^FAILED (.+?)(?: - .*)?$", re.M)  # the short summary (-rf): node ids may hold spaces


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str
    before: str
    after: str


MUTATIONS = (
    Mutation(
        "the --allow-delete gate lets deletes through",
        "mqctl/plan.py",
        "        if allow_delete:\n            return {}",
        "        if True:\n            return {}",
    ),
    Mutation(
        "Secret's repr shows the value",
        "mqctl/config.py",
        "    def __repr__(self) -> str:\n        return \"Secret('***')\"",
        "    def __repr__(self) -> str:\n        return self._value",
    ),
    Mutation(
        "a saved plan is applied whatever changed since",
        "mqctl/saved_plan.py",
        '    """Why `saved` may not be applied any more, one readable line per difference; empty if it may."""\n',
        '    """Why `saved` may not be applied any more, one readable line per difference; empty if it may."""\n'
        "    return []\n",
    ),
    Mutation(
        "a partition decrease is planned instead of refused",
        "mqctl/kinds/topics/diff.py",
        "    if spec.partitions < live.partitions:",
        "    if False:",
    ),
    Mutation(
        "the per-kind delete caps are off",
        "mqctl/plan.py",
        "        policy = env.policy\n        deletes = Counter(",
        "        return []\n        policy = env.policy\n        deletes = Counter(",
    ),
)


def _copy(source: Path, dest: Path) -> None:
    ignore = shutil.ignore_patterns(".venv", ".git", ".cache", ".local-cluster", "__pycache__", "*.egg-info",
                                    ".mypy_cache", ".ruff_cache", ".pytest_cache")
    shutil.copytree(source, dest, ignore=ignore)


@dataclass(frozen=True)
class Run:
    code: int  # pytest's exit code: 0 passed, 1 a test failed, anything else pytest did not run them
    seconds: float
    failed: list[str]  # node ids of the failed tests
    tail: str  # the end of pytest's output

    def describe(self) -> str:
        return f"pytest exit code {self.code} after {self.seconds:.0f} s:\n{self.tail}"


@contextmanager
def project_copy(source: Path, mutation: Mutation | None) -> Iterator[Path]:
    """A throwaway copy of `source` with `mutation` applied (None: unmutated)."""
    with tempfile.TemporaryDirectory(prefix="mqctl-mutant-") as tmp:
        copy = Path(tmp) / "project"
        _copy(source, copy)
        if mutation is not None:
            target = copy / mutation.file
            text = target.read_text()
            if text.count(mutation.before) != 1:
                raise SystemExit(f"mutation {mutation.name!r}: its snippet is not (exactly once) in {mutation.file}; "
                                 "update scripts/mutation_check.py to the code as it is now")
            target.write_text(text.replace(mutation.before, mutation.after))
        yield copy


def pytest(copy: Path, *args: str) -> Run:
    start = time.monotonic()
    # PYTHONPATH first: the copy's mqctl, not the editable install of the real project. PATH leaves
    # out the real project's venv; the unit tests' one outside tool, promtool, may live elsewhere
    # (.ci/run installs it in /usr/local/bin)
    env = {"PYTHONPATH": str(copy), "PATH": ":".join([*TOOL_DIRS, "/usr/bin", "/bin"]), "HOME": str(Path.home())}
    result = subprocess.run([sys.executable, *UNIT, *args], cwd=copy, env=env, capture_output=True, text=True,
                            timeout=900)
    output = result.stdout + result.stderr
    tail = "\n".join(output.splitlines()[-15:])
    return Run(result.returncode, time.monotonic() - start, FAILED.findall(output), tail)


def killer(source: Path, mutation: Mutation) -> tuple[str | None, float]:
    """The first unit test that fails with `mutation` applied, and fails again when run alone (a
    test that then passes failed for another reason, e.g. a timing bound on a loaded machine, and
    the search goes on without it); None if the suite passes. And the seconds it took."""
    start = time.monotonic()
    with project_copy(source, mutation) as copy:
        flaky: list[str] = []
        while len(flaky) < 3:
            run = pytest(copy, *(f"--deselect={test}" for test in flaky))
            if run.code == 0:
                return None, time.monotonic() - start
            if run.code != 1 or not run.failed:  # a collection error or a crash proves nothing
                raise SystemExit(f"the unit suite did not run with the mutation {mutation.name!r}: {run.describe()}")
            if pytest(copy, run.failed[0]).code == 1:
                return run.failed[0], time.monotonic() - start
            print(f"          ({run.failed[0]} failed once, then passed alone: not counted)", flush=True)
            flaky.append(run.failed[0])
    raise SystemExit(f"mutation {mutation.name!r}: three tests failed once and then passed: {', '.join(flaky)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    args = parser.parse_args()
    if args.list:
        for mutation in MUTATIONS:
            print(f"{mutation.file}: {mutation.name}")
        return 0
    started = time.monotonic()
    # one snapshot of the working tree: every mutant and the control are made from the same files
    with project_copy(ROOT, None) as snapshot:
        survivors, killers = [], []
        for mutation in MUTATIONS:
            test, seconds = killer(snapshot, mutation)
            where = f"{mutation.file}, {seconds:.0f} s"
            if test is None:
                print(f"SURVIVED  {mutation.name} ({where})", flush=True)
                survivors.append(mutation.name)
            else:
                print(f"killed    {mutation.name} ({where}) by {test}", flush=True)
                killers.append(test)
        control = pytest(snapshot, *sorted(set(killers))) if killers else None
    if control is not None and control.code != 0:
        print(f"the tests that killed the mutants fail on an unmutated copy too, so they prove nothing: "
              f"{control.describe()}")
        return 1
    if control is not None:
        print(f"control: those {len(set(killers))} test(s) pass on the unmutated copy ({control.seconds:.0f} s)")
    if survivors:
        print(f"{len(survivors)} mutation(s) survived the unit suite: {', '.join(survivors)}")
        return 1
    print(f"all {len(MUTATIONS)} mutations were caught by the unit suite ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
