"""`mqctl cluster health` at scale on the local cluster (`make cluster-up`): time, admin requests and
memory of one health read as the partition count grows to 10,000, whole cluster and one
environment's topics (`--topics '<env>.*'`).

  .venv/bin/python benchmarks/health_bench.py [--sizes 10,1000,10000] [--per-topic 10]

For each size N (growing), `mqctl apply` brings a throwaway environment to N partitions (N / 10
topics of 10 partitions, replication factor 1 so the laptop-sized brokers keep up; the checks cost
the same per partition whatever the factor), then each health read runs three times in a fresh
process that reports its wall time, requests and peak RSS. The cluster is shared: the whole-cluster
read also counts every other topic on it, which the table shows. Everything the benchmark creates
is deleted at the end, even on failure. Prints Markdown; compare ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BOOTSTRAP = os.environ.get("MQCTL_BENCH_BOOTSTRAP", "127.0.0.1:19092,127.0.0.1:29092,127.0.0.1:39092")
STEADY_WAIT_SECONDS = 10  # let the brokers finish creating logs before timing reads


def write_project(root: Path, env: str, partitions: int, per_topic: int) -> None:
    (root / "mqctl.yaml").write_text(
        f"environments:\n  {env}:\n    bootstrap_servers: {BOOTSTRAP}\n    timeout_seconds: 60\n"
        "    policy:\n      max_deletes: 1000000\n      max_delete_fraction: 1.0\n"
    )
    topics = root / "topics"
    topics.mkdir(exist_ok=True)
    lines = ["topics:\n"]
    for i in range(partitions // per_topic):
        lines.append(f"  - {{name: health.t{i:05d}.v1, partitions: {per_topic}, replication_factor: 1}}\n")
    (topics / "bench.yaml").write_text("".join(lines) if len(lines) > 1 else "topics: []\n")


def mqctl(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mqctl", *args], cwd=root, capture_output=True, text=True)


def apply(root: Path, env: str, *extra: str) -> float:
    started = time.perf_counter()
    done = mqctl(root, "apply", "--env", env, "--auto-approve", *extra)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise SystemExit(f"apply failed in {env}:\n{tail}")
    return time.perf_counter() - started


def child_health(root: Path, env: str, topics: list[str]) -> None:
    """In its own process: one health read, then wall time, requests, partitions and peak RSS."""
    from mqctl.workflows.health import HealthOptions, cluster_health

    started = time.perf_counter()
    report = cluster_health(root, env, HealthOptions(tuple(topics)))  # what `mqctl cluster health` runs
    seconds = time.perf_counter() - started
    (balance,) = [c for c in report.checks if c.check == "leader_balance"]
    partitions = sum(int(row["preferred"]) for row in balance.items)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "requests": report.requests, "partitions": partitions,
                      "status": str(report.status), "peak_mib": peak_kib / 1024}))  # fmt: skip


def measure(root: Path, env: str, topics: list[str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(root), env, *topics], capture_output=True, text=True, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def row(label: str, runs: list[dict[str, object]]) -> str:
    seconds = sorted(float(r["seconds"]) for r in runs)  # type: ignore[arg-type]
    return (f"| {label} | {runs[0]['partitions']:,} | {', '.join(f'{s:.2f}' for s in seconds)} | {runs[0]['requests']} "
            f"| {max(float(r['peak_mib']) for r in runs):.0f} |")  # type: ignore[arg-type]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--per-topic", type=int, default=10)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_health(Path(args.child[0]), args.child[1], args.child[2:])
        return
    env = "hb" + uuid.uuid4().hex[:8]
    print(f"\n### one health read (env {env}: {args.per_topic} partitions per topic, RF 1)\n")
    print("| read | partitions read | seconds (3 runs) | admin requests | peak RSS (MiB) |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        try:
            for size in (int(s) for s in args.sizes.split(",")):
                write_project(root, env, size, args.per_topic)
                grown = apply(root, env)
                time.sleep(STEADY_WAIT_SECONDS)
                print(f"| *{size:,} partitions in {env} (apply {grown:.1f} s)* | | | | |")
                print(row(f"`--topics '{env}.*'`", [measure(root, env, [f"{env}.*"]) for _ in range(3)]))
                print(row("whole cluster", [measure(root, env, []) for _ in range(3)]), flush=True)
        finally:
            write_project(root, env, 0, args.per_topic)
            started = time.perf_counter()
            apply(root, env, "--allow-delete")
            print(f"\ndeleted the benchmark's topics in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
