#!/usr/bin/env python3
"""Mutation spot checks: break one safety mechanism at a time in a copy of the project and require
the unit suite to notice. A mechanism whose breakage leaves the unit tests green is only proven by
the integration tests (or by nothing), which this makes visible.

    python scripts/mutation_check.py            # every mutation; exit 1 if any survives
    python scripts/mutation_check.py --list

Each mutation replaces one exact snippet of one file; when the snippet is no longer in the file
(the code moved on), the check fails loudly instead of testing nothing.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNIT = ["-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m", "not kafka and not sasl and not registry"]


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


def _copy(dest: Path) -> None:
    ignore = shutil.ignore_patterns(".venv", ".git", ".cache", ".local-cluster", "__pycache__", "*.egg-info",
                                    ".mypy_cache", ".ruff_cache", ".pytest_cache")
    shutil.copytree(ROOT, dest, ignore=ignore)


def survives(mutation: Mutation | None, python: str) -> tuple[bool, float]:
    """Whether the unit suite passes in a copy with `mutation` applied (None: unmutated)."""
    with tempfile.TemporaryDirectory(prefix="mqctl-mutant-") as tmp:
        copy = Path(tmp) / "project"
        _copy(copy)
        if mutation is not None:
            target = copy / mutation.file
            text = target.read_text()
            if text.count(mutation.before) != 1:
                raise SystemExit(f"mutation {mutation.name!r}: its snippet is not (exactly once) in {mutation.file}; "
                                 "update scripts/mutation_check.py to the code as it is now")
            target.write_text(text.replace(mutation.before, mutation.after))
        start = time.monotonic()
        # PYTHONPATH first: the copy's mqctl, not the editable install of the real project
        env = {"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
        result = subprocess.run([python, *UNIT], cwd=copy, env=env, capture_output=True, text=True, timeout=600)
        return result.returncode == 0, time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    args = parser.parse_args()
    if args.list:
        for mutation in MUTATIONS:
            print(f"{mutation.file}: {mutation.name}")
        return 0
    passes, seconds = survives(None, sys.executable)
    if not passes:  # otherwise every mutant would look "killed"
        print(f"the unit suite fails on an unmutated copy of the project ({seconds:.0f} s); fix that first")
        return 1
    print(f"baseline: the unit suite passes on an unmutated copy ({seconds:.0f} s)", flush=True)
    survivors = []
    for mutation in MUTATIONS:
        alive, seconds = survives(mutation, sys.executable)
        print(f"{'SURVIVED' if alive else 'killed  '}  {mutation.name} ({mutation.file}, {seconds:.0f} s)", flush=True)
        if alive:
            survivors.append(mutation.name)
    if survivors:
        print(f"{len(survivors)} mutation(s) survived the unit suite: {', '.join(survivors)}")
        return 1
    print(f"all {len(MUTATIONS)} mutations were caught by the unit suite")
    return 0


if __name__ == "__main__":
    sys.exit(main())
