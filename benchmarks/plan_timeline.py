"""Where the time of one in-sync `mqctl plan` goes: a timeline of its phases, run after run.

    .venv/bin/python benchmarks/plan_timeline.py [--topics 10000] [--acls 10000] [--sasl] [--runs 3]

Sets up a project the cluster matches (baseline_ab.py's `in_sync_project`: on the SASL node with
`--sasl`, 1 partition and RF 1 per topic, `--acls` declared bindings), then runs `mqctl plan` in a
fresh process `--runs` times. Each child wraps a few of mqctl's own functions to note when they
start and end, and reports, in milliseconds from the moment the process was started:

- imports: until the plan starts reading the cluster (Python, the CLI, the workflow);
- contact + metadata: the first contact, the topic metadata and kafka-python's connection, until
  topic DescribeConfigs starts;
- describe configs: all its parts; `answers` is, per round of parts in flight, the time from
  sending them to the first response reaching mqctl's decoder (the broker working), and `decode`
  the decoder's own time over all parts;
- other snapshots: the rest of the reading (reassignments, ACLs, ...);
- specs parsed: when the spec parse (in parallel with the reading) ended;
- diff: the pure plan over both;
- total: when the plan's result was in hand (the process then leaves, mqctl.cli.leave).

Then the protocol's floor for the same project, measured in this process over an open connection
(`--runs` times, medians): the Metadata round trip of every topic and the plan's DescribeConfigs
parts (sent as the plan sends them), each answered with its bytes only, and the decoding of those
bytes by mqctl's decoder. An in-sync plan cannot be faster than Python's start-up plus these.

Wall-clock times on a shared machine: compare the phases within a run, not across runs.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import baseline_ab  # noqa: E402 - the same set-up as the A/B benchmark

EVENTS = "MQCTL_TIMELINE_EVENTS"  # the child appends one JSON event per line to this file

CHILD = r"""
import functools, gc, json, os, sys, threading, time
from mqctl.__main__ import GC_THRESHOLDS
gc.set_threshold(*GC_THRESHOLDS)  # as the mqctl command does, before its imports
started = time.perf_counter() - (time.time() - float(os.environ["MQCTL_TIMELINE_T0"]))
sink = open(os.environ["MQCTL_TIMELINE_EVENTS"], "a")

def note(what):
    sink.write(json.dumps([what, (time.perf_counter() - started) * 1000]) + "\n")
    sink.flush()

def wrap(owner, name, label):
    inner = getattr(owner, name)
    @functools.wraps(inner)
    def timed(*args, **kwargs):
        note("> " + label)
        try:
            return inner(*args, **kwargs)
        finally:
            note("< " + label)
    setattr(owner, name, timed)

import mqctl.cli, mqctl.workflows.plan as plan, mqctl.kafka.admin as admin, mqctl.kafka.protocol as protocol
import mqctl.kafka.wire as wire
wrap(plan, "take_snapshots", "snapshots")
wrap(plan, "load_specs", "specs")
wrap(plan, "compute_plan", "diff")
wrap(admin.KafkaAdmin, "topic_configs", "describe configs")
wrap(protocol.ProtocolClient, "send_each", "round")
wrap(wire._Decoder, "decode", "decode")
sys.argv = ["mqctl", "plan", "--env", os.environ["MQCTL_TIMELINE_ENV"]]
code = mqctl.cli.run()
note("done")
sink.close()
mqctl.cli.leave(code)
"""


def one_run(root: Path, env: str, events: Path) -> list[tuple[str, float]]:
    events.write_text("")
    child_env = {**os.environ, EVENTS: str(events), "MQCTL_TIMELINE_ENV": env,
                 "MQCTL_TIMELINE_T0": repr(time.time())}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=root, env=child_env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the plan did not come back clean ({done.returncode}):\n{done.stdout}{done.stderr}")
    return [(what, at) for what, at in (json.loads(line) for line in events.read_text().splitlines())]


def phases(events: list[tuple[str, float]]) -> dict[str, float | str]:
    """The timeline's phases (see the module docstring), in ms."""
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for what, at in events:
        first.setdefault(what, at)
        last[what] = at
    rounds = [at for what, at in events if what == "> round"]
    decodes = [at for what, at in events if what == "> decode"]
    answers = []
    for i, sent in enumerate(rounds):
        ends = rounds[i + 1] if i + 1 < len(rounds) else float("inf")
        arrived = [at for at in decodes if sent <= at < ends]
        if arrived:
            answers.append(arrived[0] - sent)
    decode = sum(end - start for (w1, start), (w2, end) in itertools.pairwise(events)
                 if w1 == "> decode" and w2 == "< decode")  # fmt: skip
    configs_start = first.get("> describe configs", first["> snapshots"])
    configs_end = last.get("< describe configs", configs_start)
    return {
        "imports": first["> snapshots"],
        "contact + metadata": configs_start - first["> snapshots"],
        "describe configs": configs_end - configs_start,
        "answers": " / ".join(f"{a:.0f}" for a in answers),
        "decode": decode,
        "other snapshots": last["< snapshots"] - configs_end,
        "specs parsed": last["< specs"],
        "diff": last["< diff"] - first["> diff"],
        "total": last["< diff"],
    }


def protocol_floor(root: Path, env: str, runs: int) -> dict[str, float]:
    """Medians in ms of the round trips an in-sync plan of `root` needs, answers kept as bytes, and
    of decoding the DescribeConfigs bytes (see the module docstring)."""
    from kafka.protocol.admin import DescribeConfigsRequest, DescribeConfigsResponse
    from kafka.protocol.metadata import MetadataRequest, MetadataResponse

    from mqctl.config import load_config
    from mqctl.edges import Edges
    from mqctl.kafka.admin import describe_shape
    from mqctl.kafka.describe_configs import VERSION, decode_describe_configs
    from mqctl.kafka.wire import decoded_by

    kafka = Edges(load_config(root, env).environment).kafka
    protocol = kafka.protocol  # connected (first contact, kafka-python's bootstrap) before timing
    names = sorted(name for name in kafka.client.list_topics(timeout=30).topics if name.startswith(f"{env}."))
    as_bytes = {"metadata": decoded_by(MetadataRequest, MetadataResponse, bytes),
                "configs": decoded_by(DescribeConfigsRequest, DescribeConfigsResponse, bytes)}  # fmt: skip
    parts, in_flight = describe_shape(len(names))
    readings: dict[str, list[float]] = {"metadata round trip": [], "describe configs": [], "decoding them": []}
    for _ in range(runs):
        started = time.perf_counter()
        protocol.send("metadata", as_bytes["metadata"](topics=None, allow_auto_topic_creation=False, max_version=12))
        readings["metadata round trip"].append(time.perf_counter() - started)
        requests = [as_bytes["configs"](resources=[(2, name, None) for name in names[i::parts]],
                                        min_version=VERSION, max_version=VERSION) for i in range(parts)]  # fmt: skip
        started = time.perf_counter()
        answers = list(protocol.send_all("describe configs", requests, in_flight))
        readings["describe configs"].append(time.perf_counter() - started)
        started = time.perf_counter()
        for answer in answers:
            decode_describe_configs(answer)
        readings["decoding them"].append(time.perf_counter() - started)
    return {what: statistics.median(values) * 1000 for what, values in readings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--acls", type=int, default=10_000)
    parser.add_argument("--sasl", action="store_true", help="on the SASL node (needed for ACLs)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sasl = args.sasl or args.acls > 0
    small = {"partitions": 1, "replication": 1} if sasl else {}
    with contextlib.ExitStack() as stack:
        root, env = stack.enter_context(
            baseline_ab.in_sync_project("tl", args.topics, acls=args.acls, sasl=sasl, **small)
        )
        events = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "events"
        print(f"`mqctl plan` of {args.topics:,} topics and {args.acls:,} ACL bindings, in sync "
              f"({'the SASL node' if sasl else 'the 3-broker cluster'}); load average before: {baseline_ab.load()}\n")
        runs = [phases(one_run(root, env, events)) for _ in range(args.runs)]
        names = list(runs[0])
        print("| ms since the process started | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " |")
        print("|---|" + "---:|" * len(runs))
        for name in names:
            cells = [f"{run[name]:.0f}" if isinstance(run[name], float) else str(run[name]) for run in runs]
            print(f"| {name} | " + " | ".join(cells) + " |")
        totals = [float(run["total"]) for run in runs]
        print(f"\nmedian total: {statistics.median(totals):.0f} ms")
        floor = protocol_floor(root, env, args.runs)
        print("\nthe protocol's floor for the same topics (medians, ms): "
              + ", ".join(f"{what} {ms:.0f}" for what, ms in floor.items()))  # fmt: skip


if __name__ == "__main__":
    main()
