"""Issue 13's before/after: the benchmarks both checkouts have, run in the baseline checkout (before
the one-kind-one-package redesign) and in this one, interleaved script by script so each pair shares
one machine state.

    .venv/bin/python benchmarks/before_after.py [--baseline /work/baseline] [--only validate,acls,...] [--after-first]

The baseline is a checkout with its own `.venv` (default `/work/baseline`, commit 3e919db, or
MQCTL_BENCH_BASELINE; `git worktree add DIR 3e919db && make -C DIR install` makes one). Each script
runs unchanged in its own checkout, with that checkout's interpreter, against the local cluster
(`make cluster-up`); their Markdown output is printed under "before" and "after" headings. The
second of a pair runs on brokers still busy from the first (deleting 10,000 topics goes on in the
background): run once each way (`--after-first`) and compare both pairs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = {  # name -> the script and arguments, the same in both checkouts
    "validate": ["validate_bench.py"],
    "acls": ["acls_bench.py", "10", "1000", "10000"],
    "scale": ["scale.py"],
    "combined": ["combined_bench.py"],
}


def run(checkout: Path, script: list[str]) -> int:
    """One benchmark script in `checkout`, with that checkout's own virtualenv."""
    python = checkout / ".venv" / "bin" / "python"
    return subprocess.run([str(python), str(checkout / "benchmarks" / script[0]), *script[1:]], cwd=checkout).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default=os.environ.get("MQCTL_BENCH_BASELINE", "/work/baseline"))
    parser.add_argument("--only", default=",".join(SHARED))
    parser.add_argument("--after-first", action="store_true", help="run this checkout's script first")
    args = parser.parse_args()
    baseline, current = Path(args.baseline).resolve(), HERE.parent
    if not (baseline / "benchmarks").is_dir():
        print(f"no baseline checkout at {baseline} (see this script's docstring)", file=sys.stderr)
        return 1
    commit = subprocess.run(["git", "-C", str(baseline), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    failed = 0
    for name in args.only.split(","):
        script = SHARED[name]
        pair = [(f"before ({commit})", baseline), ("after (this checkout)", current)]
        for label, checkout in reversed(pair) if args.after_first else pair:
            print(f"\n### {name}: {label}\n\n`{' '.join(script)}`\n", flush=True)
            failed |= run(checkout, script)
    return failed


if __name__ == "__main__":
    sys.exit(main())
