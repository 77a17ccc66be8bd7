"""Plan and apply at scale on the local cluster (`make cluster-up`): how time, admin requests and
memory grow with the topic count. Topics have 1 partition and replication factor 1, so the three
laptop-sized brokers stay alive; the numbers are mqctl's cost, not Kafka's replication cost.

  .venv/bin/python benchmarks/scale.py [--sizes 10,100,1000,10000] [--apply 5000]

1. Curve: for each size N (growing), `mqctl apply` brings the environment to N topics, then a
   plan over the N existing topics runs in a fresh process that reports its wall time, the admin
   requests it sent and its peak RSS (getrusage).
2. `mqctl apply` of --apply new topics into an empty environment, timed (lock, plan, dry run,
   creates in batches under the record cap).
Everything runs under a unique environment prefix and is deleted at the end, even on failure.
Prints Markdown tables; compare ratios within one run, the machine is noisy.
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

STEADY_WAIT_SECONDS = 20  # right after applying 10,000 topics brokers listed 4,500; 20 s later all
BOOTSTRAP = os.environ.get("MQCTL_BENCH_BOOTSTRAP", "127.0.0.1:19092,127.0.0.1:29092,127.0.0.1:39092")


def write_project(root: Path, env: str, count: int) -> None:
    (root / "mqctl.yaml").write_text(
        f"environments:\n  {env}:\n    bootstrap_servers: {BOOTSTRAP}\n    timeout_seconds: 60\n"
        "    policy:\n      max_deletes: 1000000\n      max_delete_fraction: 1.0\n"
    )
    write_topics(root, count)


def write_topics(root: Path, count: int) -> None:
    topics = root / "topics"
    topics.mkdir(exist_ok=True)
    for old in topics.iterdir():
        old.unlink()
    per_file = 500
    for start in range(0, count, per_file):
        lines = ["topics:\n"]
        for i in range(start, min(start + per_file, count)):
            lines.append(f"  - {{name: bench{i % 50}.event{i}.v1, partitions: 1, replication_factor: 1}}\n")
        (topics / f"part{start // per_file:03d}.yaml").write_text("".join(lines))


def mqctl(root: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mqctl", *args], cwd=root, capture_output=True, text=True)
    return time.perf_counter() - started, done


def apply(root: Path, env: str, *extra: str) -> float:
    seconds, done = mqctl(root, "apply", "--env", env, "--auto-approve", *extra)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise SystemExit(f"apply failed in {env}:\n{tail}")
    return seconds


def child_plan(root: Path, env: str) -> None:
    """In its own process: one plan, then wall time, admin requests and peak RSS as JSON."""
    from mqctl.config import load_config
    from mqctl.edges import Edges
    from mqctl.workflows.plan import plan_project

    started = time.perf_counter()
    config = load_config(root, env)
    result, _ = plan_project(config, Edges(config.environment))  # what `mqctl plan` runs
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "requests": result.requests, "changes": len(result.plan.changes),
                      "errors": [str(e) for e in result.plan.errors], "peak_mib": peak_kib / 1024}))  # fmt: skip


def measure_plan(root: Path, env: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "--child-plan", str(root), env], capture_output=True, text=True, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def settled_plan(root: Path, env: str, count: int) -> dict[str, object]:
    """Brokers learn new topics from the metadata log asynchronously: right after a large apply a
    plan may still see some as missing. Measure the first plan that sees them all (bounded)."""
    for _ in range(30):
        plan = measure_plan(root, env)
        if not plan["changes"] and not plan["errors"]:
            return plan
        time.sleep(2)
    errors = list(plan["errors"])[:3]  # type: ignore[call-overload]
    raise SystemExit(f"plan over {count} topics still has {plan['changes']} changes after 60 s: {errors}")


def clean(root: Path, env: str) -> float:
    """Delete every topic of `env`; returns the first apply's time. Right after a large apply the
    brokers may not list all new topics yet, so that apply can miss some: apply again until a plan
    is empty (bounded)."""
    write_topics(root, 0)
    seconds = apply(root, env, "--allow-delete")
    for _ in range(30):
        if not measure_plan(root, env)["changes"]:
            return seconds
        time.sleep(2)
        apply(root, env, "--allow-delete")
    raise SystemExit(f"topics of {env} still listed after 30 delete rounds")


def steady_plans(root: Path, env: str, runs: int = 3) -> list[dict[str, object]]:
    """Plans once the cluster is quiet: a plan right after a large apply competes with the brokers
    still creating thousands of logs on the same two cores, so it measures the cluster's load."""
    time.sleep(STEADY_WAIT_SECONDS)
    return [measure_plan(root, env) for _ in range(runs)]


def curve(sizes: list[int]) -> None:
    env = "bench" + uuid.uuid4().hex[:8]
    print(f"\n### plan over N existing topics (env {env}; 1 partition, RF 1)\n")
    print("| topics | apply to reach N (s) | first plan seeing all N (s) | plans once quiet (s) | admin requests "
          "| peak RSS (MiB) | quiet plan ratio to first |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        base = None
        previous = 0
        try:
            for count in sizes:
                write_project(root, env, count)
                grow = apply(root, env)
                first = settled_plan(root, env, count)
                quiet = steady_plans(root, env)
                seconds = sorted(float(p["seconds"]) for p in quiet)  # type: ignore[arg-type]
                base = base or seconds[1]
                print(
                    f"| {count:,} | {grow:.1f} (+{count - previous:,}) | {float(first['seconds']):.2f} "  # type: ignore[arg-type]
                    f"| {', '.join(f'{x:.2f}' for x in seconds)} | {quiet[0]['requests']} "
                    f"| {max(float(p['peak_mib']) for p in quiet):.0f} | {seconds[1] / base:.1f}x |"  # type: ignore[arg-type]
                )
                previous = count
        finally:
            print(f"\ndeleting {previous:,} topics: {clean(root, env):.1f} s")


def apply_new(count: int) -> None:
    env = "bench" + uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_project(root, env, count)
        try:
            seconds = apply(root, env)
            print(f"\n### apply of {count:,} new topics (env {env}): {seconds:.1f} s "
                  f"({count / seconds:,.0f} topics/s, whole CLI run incl. lock, plan and dry run)")  # fmt: skip
        finally:
            print(f"deleting them: {clean(root, env):.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--apply", type=int, default=5000)
    parser.add_argument("--child-plan", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_plan:
        child_plan(Path(args.child_plan[0]), args.child_plan[1])
        return
    curve([int(s) for s in args.sizes.split(",")])
    if args.apply:
        apply_new(args.apply)


if __name__ == "__main__":
    main()
