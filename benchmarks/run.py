"""`make bench`: every benchmark BENCHMARKS.md quotes, in one run, so their ratios share one machine state.

    .venv/bin/python benchmarks/run.py [--only NAME,...] [--baseline DIR]

Needs the local cluster (`make cluster-up`). Prints Markdown; BENCHMARKS.md records a run, each table
with the command that printed it. `baseline_ab.py` compares this checkout with another one: by
default `/work/baseline` (issue 21's baseline, commit 3e919db, with its own venv), or `--baseline`
/ MQCTL_BENCH_BASELINE; without one it is skipped with a note (`git worktree add DIR 3e919db &&
make -C DIR install` makes one).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = (
    ("validate", "Offline validate (10 -> 10,000 topics)", ["validate_bench.py"]),
    ("acls", "Plan cost in admin requests with 10, 1,000 and 10,000 ACLs (SASL node)", ["acls_bench.py"]),
    ("scale", "Plan and apply at scale (10 -> 10,000 topics; apply of 5,000)", ["scale.py"]),
    ("combined", "10,000 topics and 10,000 out-of-band ACLs in one plan (SASL node)", ["combined_bench.py"]),
    ("clients", "confluent-kafka against kafka-python on the topic requests", ["client_ab.py"]),
    ("policies", "CEL packages, and what policies add to validate", ["policies_bench.py"]),
    ("groups", "groups status: 1,000 groups x 10 partitions vs 10 groups", ["groups_bench.py"]),
    ("baseline", "Issue 21: side by side with the baseline checkout", ["baseline_ab.py"]),
    ("health", "Cluster health of 10 -> 10,000 partitions", ["health_bench.py"]),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(name for name, _, _ in RUNS))
    parser.add_argument("--baseline", default=os.environ.get("MQCTL_BENCH_BASELINE", "/work/baseline"))
    args = parser.parse_args()
    wanted = args.only.split(",")
    failed = 0
    for name, title, command in RUNS:
        if name not in wanted:
            continue
        print(f"\n## {title}\n\n`.venv/bin/python benchmarks/{' '.join(command)}`\n", flush=True)
        extra: list[str] = []
        if name == "baseline":
            if not Path(args.baseline, "mqctl").is_dir():
                print(f"skipped: no baseline checkout at {args.baseline} (see this script's docstring)")
                continue
            extra = ["--baseline", args.baseline]
        failed |= subprocess.run([sys.executable, str(HERE / command[0]), *command[1:], *extra]).returncode
    return failed


if __name__ == "__main__":
    sys.exit(main())
