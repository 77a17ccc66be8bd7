"""Offline `validate` over large spec sets: 10 -> 1,000 -> 10,000 topics (target: 10,000 in <= 3 s).

Runs the real CLI command in a subprocess per size, so import and start-up time are included, as a
user in CI would see them. Prints a Markdown table row per size; ratios matter more than absolutes
on a noisy machine.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (10, 1_000, 10_000)
FILES = 20  # topics spread over this many files, as teams would


def write_project(root: Path, count: int) -> None:
    (root / "mqctl.yaml").write_text("environments:\n  bench:\n    bootstrap_servers: 127.0.0.1:1\n")
    topics = root / "topics"
    topics.mkdir()
    per_file = max(1, count // FILES)
    for start in range(0, count, per_file):
        lines = ["defaults:\n  replication_factor: 3\n  config:\n    min.insync.replicas: 2\n", "topics:\n"]
        for i in range(start, min(start + per_file, count)):
            lines.append(
                f"  - name: domain{i % 50}.event{i}.v1\n    partitions: 12\n    retention: 7d\n"
                "    config:\n      cleanup.policy: delete\n      compression.type: lz4\n"
            )
        (topics / f"part{start // per_file:03d}.yaml").write_text("".join(lines))


def run(count: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_project(root, count)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "mqctl", "validate", "--env", "bench"], cwd=root, capture_output=True, text=True
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0 or f"{count} resource(s)" not in done.stdout:
            raise SystemExit(f"validate failed for {count} topics: {done.stdout}{done.stderr}")
        return elapsed


def main() -> None:
    print("| topics | validate (s) | ratio to 10 |")
    print("|---:|---:|---:|")
    base = None
    for count in SIZES:
        seconds = min(run(count) for _ in range(3))
        base = base or seconds
        print(f"| {count:,} | {seconds:.2f} | {seconds / base:.1f}x |")


if __name__ == "__main__":
    main()
