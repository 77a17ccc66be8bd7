"""`make bench`: every benchmark in one run, so their ratios share one machine state.

Needs the local cluster (`make cluster-up`). Prints Markdown; BENCHMARKS.md records a run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = (
    ("Offline validate (10 -> 10,000 topics)", ["validate_bench.py"]),
    ("Plan cost in admin requests with 10, 1,000 and 10,000 ACLs (SASL node)", ["acls_bench.py"]),
    ("Plan and apply at scale (10 -> 10,000 topics; apply of 5,000)", ["scale.py"]),
    ("10,000 topics and 10,000 ACLs in one plan (SASL node)", ["combined_bench.py"]),
    ("Cluster health of 10 -> 10,000 partitions", ["health_bench.py"]),
)


def main() -> int:
    failed = 0
    for title, command in RUNS:
        print(f"\n## {title}\n", flush=True)
        failed |= subprocess.run([sys.executable, str(HERE / command[0]), *command[1:]]).returncode
    return failed


if __name__ == "__main__":
    sys.exit(main())
