"""Benchmark: `groups status` over 1,000 groups x 10 partitions against 10 groups, in one run.

Sets up, under a throwaway environment prefix on the local 3-broker cluster: 100 topics of 10
partitions (replication factor 1), 20 records per partition written a minute ago (1 ms apart, as a
producer fills a batch: time lag is read from the batch headers, see GroupAdmin), and 1,000 groups, ten per topic, each
with committed offsets on all 10 partitions of its topic (AlterConsumerGroupOffsets: no live
consumer needed) at different offsets behind the end, so every group has lag and a time lag to
read. Then times the status of the 1,000 declared groups and of 10 of them (chosen to cover the
same coordinators) alternately, `--rounds` times each, in this process (fresh connections each
time, and the garbage collector set as `mqctl` sets it: what one `mqctl groups status` run does
after start-up) and as whole CLI runs (`--group` for the 10), and removes everything.

    .venv/bin/python benchmarks/groups_bench.py            # 1,000 vs 10 groups, 3 rounds
    .venv/bin/python benchmarks/groups_bench.py --groups 200 --rounds 1
    .venv/bin/python benchmarks/groups_bench.py --rounds 1 --profile 30   # + where the CPU goes
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from confluent_kafka import ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from mqctl.__main__ import GC_THRESHOLDS
from mqctl.config import load_config
from mqctl.edges import Edges
from mqctl.kinds.groups.admin import GroupAdmin
from mqctl.kinds.groups.workflow import status_report

MQCTL = str(Path(sys.executable).with_name("mqctl"))
BOOTSTRAP = os.environ.get("MQCTL_TEST_BOOTSTRAP", "127.0.0.1:19092,127.0.0.1:29092,127.0.0.1:39092")
PARTITIONS = 10
GROUPS_PER_TOPIC = 10
RECORDS = 20  # per partition
QUIET = logging.getLogger("bench.librdkafka")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


def topic_of(env: str, i: int) -> str:
    return f"{env}.bench.t{i // GROUPS_PER_TOPIC:03d}.v1"


def setup(admin: AdminClient, env: str, groups: int) -> None:
    topics = sorted({topic_of(env, i) for i in range(groups)})
    for future in admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in topics], operation_timeout=60).values():
        future.result()
    time.sleep(2)  # let every broker learn the new leaders
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 20, "logger": QUIET})
    now = int(time.time() * 1000)
    for topic in topics:
        for p in range(PARTITIONS):
            for r in range(RECORDS):
                producer.produce(topic, value=b"x" * 100, partition=p, timestamp=now - 60_000 + r)
        producer.poll(0)
    assert producer.flush(120) == 0
    pending = []
    for i in range(groups):  # ten groups per topic at offsets 0..9: all behind the end, all different
        offsets = [TopicPartition(topic_of(env, i), p, i % GROUPS_PER_TOPIC) for p in range(PARTITIONS)]
        pending += admin.alter_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(f"{env}.g{i:04d}", offsets)], request_timeout=30
        ).values()
        if len(pending) >= 100:
            for future in pending:
                future.result()
            pending = []
    for future in pending:
        future.result()


def cleanup(admin: AdminClient, env: str) -> None:
    """Delete the benchmark's groups (retried: a coordinator still loading refuses some) and topics."""
    for _ in range(5):
        listed = admin.list_consumer_groups(request_timeout=30).result(timeout=40).valid
        ids = [g.group_id for g in listed if g.group_id.startswith(env + ".")]
        if not ids:
            break
        for start in range(0, len(ids), 200):
            for future in admin.delete_consumer_groups(ids[start:start + 200], request_timeout=30).values():
                with contextlib.suppress(Exception):
                    future.result()
        time.sleep(1)
    topics = [t for t in admin.list_topics(timeout=30).topics if t.startswith(env + ".")]
    if topics:
        for future in admin.delete_topics(topics, operation_timeout=60).values():
            with contextlib.suppress(Exception):
                future.result()


def project(root: Path, env: str, groups: int) -> None:
    (root / "mqctl.yaml").write_text(
        f"environments:\n  {env}:\n    bootstrap_servers: {BOOTSTRAP}\n    timeout_seconds: 30\n"
    )
    (root / "groups").mkdir()
    lines = ["groups:"]
    for i in range(groups):
        topic = topic_of(env, i).removeprefix(env + ".")
        lines.append(f"  - {{name: g{i:04d}, topics: [{topic}], alerts: {{max_lag: 1000000, max_time_lag: 1h}}}}")
    (root / "groups" / "g.yaml").write_text("\n".join(lines) + "\n")


def covering(root: Path, env: str, groups: int, count: int) -> list[str]:
    """`count` group names whose coordinators are every coordinator of all the groups."""
    live = GroupAdmin(Edges(load_config(root, env).environment)).list_groups()
    by_node: dict[int, list[str]] = {}
    for i in range(groups):
        name = f"g{i:04d}"
        by_node.setdefault(live[f"{env}.{name}"].coordinator, []).append(name)
    chosen = [names[0] for names in by_node.values()]
    rest = [f"g{i:04d}" for i in range(groups) if f"g{i:04d}" not in chosen]
    return (chosen + rest)[:count]


def measure(root: Path, env: str, names: list[str]) -> tuple[float, int, int, int, float]:
    """Wall seconds, requests, groups, partition rows, and mqctl's own CPU seconds (the brokers'
    work and the waiting excluded: steadier than wall time on a shared machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    report = status_report(root, env, names)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    partitions = sum(len(t.partitions) for g in report.groups for t in g.topics)
    assert all(t.time_lag_seconds is not None for g in report.groups for t in g.topics)
    return seconds, report.requests, len(report.groups), partitions, cpu


def profile(root: Path, env: str, names: list[str], top: int) -> None:
    """cProfile of one in-process status, kafka-python's IO thread included (it decodes the
    responses): the `top` functions by their own time."""
    import cProfile
    import io
    import pstats
    import threading

    profiles: list[cProfile.Profile] = []
    plain_run = threading.Thread.run

    def profiled_run(thread: threading.Thread) -> None:
        own = cProfile.Profile()
        profiles.append(own)
        own.enable()
        try:
            plain_run(thread)
        finally:
            own.disable()

    threading.Thread.run = profiled_run  # type: ignore[method-assign,assignment]
    main = cProfile.Profile()
    try:
        main.enable()
        status_report(root, env, names)
        main.disable()
    finally:
        threading.Thread.run = plain_run  # type: ignore[method-assign]
    time.sleep(0.5)  # let the IO thread finish its last poll
    out = io.StringIO()
    stats = pstats.Stats(main, stream=out)
    for own in profiles:
        with contextlib.suppress(TypeError):  # a thread still running has no stats yet
            stats.add(own)
    stats.sort_stats("tottime").print_stats(top)
    print(out.getvalue())


def cli_seconds(root: Path, env: str, names: list[str]) -> float:
    """Wall clock of the whole `mqctl groups status` command (start-up, imports, specs, cluster, text
    output), as a cron job runs it; exit 0 or 2 (breaches) both count as a run."""
    selection = [arg for name in names for arg in ("--group", name)] if len(names) < 100 else []
    start = time.perf_counter()
    done = subprocess.run([MQCTL, "groups", "status", "--env", env, *selection], cwd=root,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=300)
    seconds = time.perf_counter() - start
    assert done.returncode in (0, 2), done.stderr
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--few", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, metavar="TOP",
                        help="then profile one in-process status of all the groups: the TOP functions")
    args = parser.parse_args()
    gc.set_threshold(*GC_THRESHOLDS)  # as the CLI runs (mqctl.__main__)
    env = "gb" + uuid.uuid4().hex[:8]
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP, "logger": QUIET})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        try:
            began = time.perf_counter()
            setup(admin, env, args.groups)
            print(f"setup: {args.groups} groups x {PARTITIONS} partitions on {args.groups // GROUPS_PER_TOPIC} topics "
                  f"in {time.perf_counter() - began:.1f} s", flush=True)
            project(root, env, args.groups)
            all_names = [f"g{i:04d}" for i in range(args.groups)]
            few = covering(root, env, args.groups, args.few)
            measure(root, env, few)  # warm-up: imports, first connections
            rows: dict[str, list[tuple[float, int, int, int, float]]] = {"few": [], "all": []}
            cli: dict[str, list[float]] = {"few": [], "all": []}
            for _ in range(args.rounds):
                rows["few"].append(measure(root, env, few))
                rows["all"].append(measure(root, env, all_names))
                cli["few"].append(cli_seconds(root, env, few))
                cli["all"].append(cli_seconds(root, env, all_names))
            print("| groups | partitions read | requests | seconds (each round) | median | CPU seconds | median |")
            print("| --- | --- | --- | --- | --- | --- | --- |")
            for key in ("few", "all"):
                runs = rows[key]
                times = ", ".join(f"{r[0]:.2f}" for r in runs)
                cpus = ", ".join(f"{r[4]:.2f}" for r in runs)
                print(f"| {runs[0][2]:,} | {runs[0][3]:,} | {', '.join(str(r[1]) for r in runs)} | {times} | "
                      f"{statistics.median(r[0] for r in runs):.2f} | {cpus} | "
                      f"{statistics.median(r[4] for r in runs):.2f} |")
            cpu_ratio = statistics.median(r[4] for r in rows["all"]) / statistics.median(r[4] for r in rows["few"])
            print(f"\nin process, mqctl's CPU time: ratio **{cpu_ratio:.2f}x**")
            ratio = statistics.median(r[0] for r in rows["all"]) / statistics.median(r[0] for r in rows["few"])
            same = all(f[1] == a[1] for f, a in zip(rows["few"], rows["all"], strict=True))
            print(f"\nin process: ratio {args.groups:,} / {args.few} groups **{ratio:.2f}x** (target <= 1.5x); "
                  f"requests {'the same' if same else 'NOT the same'} for {args.few} and {args.groups:,} groups "
                  "in every round (between rounds they follow the brokers answering and the leaders' spread)")
            for key in ("few", "all"):
                print(f"whole CLI run, {len(few) if key == 'few' else args.groups} groups: "
                      f"{', '.join(f'{t:.2f}' for t in cli[key])} s")
            cli_ratio = statistics.median(cli["all"]) / statistics.median(cli["few"])
            print(f"whole CLI run: ratio **{cli_ratio:.2f}x** (target <= 1.5x)")
            if args.profile:
                profile(root, env, all_names, args.profile)
        finally:
            cleanup(admin, env)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
