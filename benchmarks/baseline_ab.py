"""Issue 21's targets, side by side with a baseline checkout in one run: start-up, validate, in-sync
plans, the marginal cost of an in-sync topic, and request counts that must not grow.

    .venv/bin/python benchmarks/baseline_ab.py --baseline /work/baseline [--rounds 5]
        [--cases help,validate,example,plan500,marginal,declared,envs,requests]
        [--declared-topics 10000] [--declared-acls 10000]

Every timed case runs the whole CLI (`mqctl ...`, a fresh process: Python start-up, imports,
everything a user waits for) from compiled bytecode (compile_bytecode says why), alternating
baseline and this checkout `--rounds` times, and reports wall-clock and CPU seconds (user +
system of the process and its children, from wait4) as min / median, the peak RSS, and the ratio
baseline / new of the medians. The machine is shared:
compare the ratios of one run, and read the load average printed with each table.

The baseline runs from its own venv (`<baseline>/.venv/bin/python -m mqctl`) when it has one,
otherwise with this interpreter and `PYTHONPATH=<baseline>` (an older commit of this repository
exported with `git archive`: its dependencies must match this venv's).

Cases:
- help: `mqctl --help`.
- validate: `mqctl validate` of each checkout's own example specs (run from its root), and of the
  baseline's example specs for both (the same input).
- example: `mqctl plan --env dev` and `--env secure` of this checkout's example project (applied
  first), run from its root with each checkout's code: the plan a team's CI runs. Not timed when the
  baseline cannot read these specs (the issue's baseline predates several of their sections).
- plan500: `mqctl plan` over 500 topics (3 partitions, replication factor 3, configs set) that
  already match their specs, on the 3-broker cluster.
- marginal: `mqctl plan` over 10 and over 1,000 such topics; (plan(1,000) - plan(10)) / 990 is the
  cost of one more in-sync topic. Also the plan's admin requests at both sizes (this checkout).
- declared: `mqctl plan` of a project that declares 10,000 topics and 10,000 ACL bindings (one
  binding per entry, over 50 principals), all in sync, on the SASL node with the ACL authorizer.
- envs: `mqctl validate` (offline) of a project declaring `--declared-topics` topics and
  `--declared-acls` ACL bindings, in one environment and in three: what each further environment
  costs.
- requests: the requests of each read in `READINGS` at two sizes (this checkout only).

Set-up goes through this checkout's `mqctl apply`, under throwaway environment names; everything
created is deleted at the end, even on failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BOOTSTRAP = os.environ.get("MQCTL_BENCH_BOOTSTRAP", "127.0.0.1:19092,127.0.0.1:29092,127.0.0.1:39092")
SASL_BOOTSTRAP = os.environ.get("MQCTL_TEST_SASL_BOOTSTRAP", "127.0.0.1:49092")
CONNECT_URL = os.environ.get("MQCTL_BENCH_CONNECT", "http://127.0.0.1:8083")
EXAMPLE_FOLDERS = ("topics", "acls", "users", "schemas", "brokers", "connectors", "policies")
GROW_STEP = 1000  # topics added per apply while setting up
SETTLE_ROUNDS = 30  # plans (2 s apart) to wait for the brokers to list what a large apply created


# --- running the CLI ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkout:
    label: str
    root: Path
    command: tuple[str, ...]
    env: dict[str, str]

    @classmethod
    def at(cls, label: str, root: Path) -> Checkout:
        # PYTHONSAFEPATH: `python -m` run from another checkout's root (the example case) would
        # otherwise import that directory's mqctl, not this checkout's
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONSAFEPATH": "1"}
        venv_python = root / ".venv" / "bin" / "python"
        python = str(venv_python) if venv_python.exists() else sys.executable
        return cls(label, root, (python, "-m", "mqctl"), env)


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float
    peak_mib: float
    code: int
    output: str


def compile_bytecode(checkout: Checkout) -> None:
    """Both checkouts run from compiled bytecode, as a pip-installed mqctl does (pip compiles it at
    install time). An editable checkout has none, and with PYTHONDONTWRITEBYTECODE set (as on these
    machines) every run would compile each imported module from source: a cost users never pay,
    and larger for whichever checkout imports more of its own code."""
    command = [checkout.command[0], "-m", "compileall", "-q", str(checkout.root / "mqctl")]
    subprocess.run(command, check=True, env=checkout.env, stdout=subprocess.DEVNULL)
    print(f"compiled the bytecode of {checkout.root / 'mqctl'}")


def run(checkout: Checkout, args: Sequence[str], cwd: Path) -> Sample:
    """One CLI process; wall time, CPU (user + system, its reaped children included) and peak RSS."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        child = subprocess.Popen([*checkout.command, *args], cwd=cwd, env=checkout.env, stdout=out, stderr=out)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode, text)


@dataclass
class Timings:
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def add(self, label: str, sample: Sample) -> None:
        self.samples.setdefault(label, []).append(sample)

    def median(self, label: str, what: str = "wall") -> float:
        return statistics.median(getattr(s, what) for s in self.samples[label])

    def cell(self, label: str, what: str) -> str:
        values = [getattr(s, what) for s in self.samples[label]]
        return f"{min(values):.3f} / {statistics.median(values):.3f}"


def alternate(
    checkouts: Sequence[Checkout], args: Sequence[str], rounds: int, cwd: Callable[[Checkout], Path], expect: int = 0
) -> Timings:
    """`rounds` runs of each checkout, alternating (A B, B A, A B, ...) so drift hits both alike."""
    timings = Timings()
    run(checkouts[-1], args, cwd(checkouts[-1]))  # warm the file cache, not measured
    for index in range(rounds):
        order = checkouts if index % 2 == 0 else list(reversed(checkouts))
        for checkout in order:
            sample = run(checkout, args, cwd(checkout))
            if sample.code != expect:
                tail = "\n".join(sample.output.splitlines()[-12:])
                command = " ".join(args)
                raise SystemExit(f"{checkout.label}: mqctl {command} exited {sample.code}, not {expect}:\n{tail}")
            timings.add(checkout.label, sample)
    return timings


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def table(title: str, command: str, rows: Sequence[tuple[str, Timings]], base: str, new: str) -> None:
    print(f"\n### {title}\n\n`{command}`; load average before: {load()}\n")
    print("| case | baseline wall s (min / median) | new wall s (min / median) | wall ratio (medians) "
          "| baseline CPU s | new CPU s | CPU ratio | peak RSS MiB (base / new) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, t in rows:
        ratio = t.median(base) / t.median(new)
        cpu_ratio = t.median(base, "cpu") / t.median(new, "cpu")
        rss = f"{max(s.peak_mib for s in t.samples[base]):.0f} / {max(s.peak_mib for s in t.samples[new]):.0f}"
        print(f"| {name} | {t.cell(base, 'wall')} | {t.cell(new, 'wall')} | **{ratio:.2f}x** "
              f"| {t.cell(base, 'cpu')} | {t.cell(new, 'cpu')} | {cpu_ratio:.2f}x | {rss} |")  # fmt: skip
    sys.stdout.flush()


# --- projects on the cluster -------------------------------------------------------------------


def new_env(tag: str) -> str:
    return f"{tag}{uuid.uuid4().hex[:8]}"


def write_config(root: Path, env: str, bootstrap: str = BOOTSTRAP, sasl: bool = False) -> None:
    security = (
        "    security:\n      protocol: SASL_PLAINTEXT\n      sasl_mechanism: SCRAM-SHA-512\n"
        "      username: admin\n      password: ${KAFKA_ADMIN_PASSWORD}\n"
        if sasl
        else ""
    )
    (root / "mqctl.yaml").write_text(
        f"environments:\n  {env}:\n    bootstrap_servers: {bootstrap}\n    timeout_seconds: 120\n{security}"
        "    policy:\n      max_deletes: 1000000\n      max_delete_fraction: 1.0\n"
    )


def write_spec_files(
    root: Path, kind: str, count: int, entry: Callable[[int], str], header: str = "", per_file: int = 500
) -> None:
    """`count` entries of `kind` (entry(i) each), spread over files of `per_file` as teams would;
    an empty list when `count` is 0 (the folder still says "none of this kind")."""
    folder = root / kind
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    if not count:
        (folder / "none.yaml").write_text(f"{kind}: []\n")
    for start in range(0, count, per_file):
        body = "".join(entry(i) for i in range(start, min(start + per_file, count)))
        (folder / f"part{start // per_file:03d}.yaml").write_text(f"{header}{kind}:\n{body}")


def write_topics(root: Path, count: int, partitions: int, replication: int) -> None:
    """`count` topics with configs and a 7-day retention."""
    defaults = (
        f"defaults:\n  partitions: {partitions}\n  replication_factor: {replication}\n"
        f"  config:\n    min.insync.replicas: {min(2, replication)}\n    compression.type: lz4\n"
    )
    write_spec_files(root, "topics", count, lambda i: f"  - name: domain{i % 50}.event{i}.v1\n    retention: 7d\n",
                     defaults)  # fmt: skip


def write_acls(root: Path, count: int) -> None:
    """`count` explicit bindings, one per entry: READ on topic i for one of 50 principals."""
    write_spec_files(root, "acls", count, lambda i: (
        f"  - principal: User:service-{i % 50}\n    resource_type: topic\n"
        f"    name: domain{i % 50}.event{i}.v1\n    operations: [READ]\n"
    ))  # fmt: skip


SETUP = {"PYTHONPATH": str(REPO)}  # the checkout whose `mqctl apply` sets up and tears down (--new)


def mqctl(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **SETUP}
    return subprocess.run([sys.executable, "-m", "mqctl", *args], cwd=root, env=env, capture_output=True, text=True)


def apply(root: Path, env: str, *extra: str) -> None:
    done = mqctl(root, "apply", "--env", env, "--auto-approve", *extra)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise SystemExit(f"apply failed in {env}:\n{tail}")


def settle(root: Path, env: str) -> None:
    """Right after a large apply a broker may not list every new topic yet: wait (bounded) until a
    plan sees no changes."""
    for _ in range(SETTLE_ROUNDS):
        done = mqctl(root, "plan", "--env", env)
        if done.returncode == 0:
            return
        time.sleep(2)
    tail = "\n".join((done.stdout + done.stderr).splitlines()[-10:])
    raise SystemExit(f"{env} does not settle: the plan still shows changes:\n{tail}")


@contextlib.contextmanager
def in_sync_project(
    tag: str, topics: int, partitions: int = 3, replication: int = 3, acls: int = 0, sasl: bool = False
) -> Iterator[tuple[Path, str]]:
    """A project whose specs the cluster matches; torn down (topics and ACLs deleted) afterwards."""
    env = new_env(tag)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_config(root, env, SASL_BOOTSTRAP if sasl else BOOTSTRAP, sasl)
        try:
            # in steps: a create request of 1,800 topics with three configs each was refused by the
            # SASL node (POLICY_VIOLATION: excessively large batch operation), 1,000 were not
            for step in range(GROW_STEP, topics + GROW_STEP, GROW_STEP):
                write_topics(root, min(step, topics), partitions, replication)
                apply(root, env)
            if acls:
                write_acls(root, acls)
                apply(root, env)
            settle(root, env)
            yield root, env
        finally:
            write_topics(root, 0, partitions, replication)
            if acls:
                write_acls(root, 0)
            # brokers that still list deleted topics make a pass miss some, and on a loaded node a
            # DeleteAcls of 9,000 bindings can time out: another pass picks up what is left
            for _ in range(5):
                done = mqctl(root, "apply", "--env", env, "--auto-approve", "--allow-delete")
                if done.returncode != 0:
                    failed = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("✗")]
                    print(f"teardown pass of {env}: {len(failed)} failed, e.g. {failed[:1]}", file=sys.stderr)
                if mqctl(root, "plan", "--env", env).returncode == 0:
                    break
                time.sleep(2)
            else:
                apply(root, env, "--allow-delete")  # still not clean: fail, showing why


# --- request counts (this checkout, in a child process) ----------------------------------------


def child_plan(root: Path, env: str) -> None:
    """In its own process: one plan as `mqctl plan` makes it; its admin requests and changes as JSON."""
    from mqctl.config import load_config
    from mqctl.edges import Edges
    from mqctl.workflows.plan import plan_project

    config = load_config(root, env)
    result, _ = plan_project(config, Edges(config.environment))
    print(json.dumps({"requests": result.requests, "changes": len(result.plan.changes)}))


def child_reading(root: Path, env: str, name: str) -> None:
    """In its own process: the reading `name` of READINGS; requests to Kafka, registry and Connect."""
    (reading,) = [r for r in READINGS if r.name == name]
    print(json.dumps({"requests": reading.read(root, env)}))


def in_child(*args: str) -> dict[str, int]:
    env = {**os.environ, **SETUP}
    done = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{done.stdout}{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def transport_requests(edges: object) -> int:
    """Requests sent through the transports an Edges opened: Kafka admin, registry and Connect."""
    opened = vars(edges)  # cached_property values: only the transports this run used
    return sum(int(getattr(opened[name], "requests", 0)) for name in ("kafka", "registry", "connect") if name in opened)


def snapshot_requests(kind_name: str) -> Callable[[Path, str], int]:
    """Requests of one kind's snapshot (`kind.snapshot(edges)`), as a plan takes it."""

    def read(root: Path, env: str) -> int:
        from mqctl.config import load_config
        from mqctl.edges import Edges
        from mqctl.kinds import BY_NAME

        edges = Edges(load_config(root, env).environment)
        BY_NAME[kind_name].snapshot(edges)
        return transport_requests(edges)

    return read


def connectors_status_requests(root: Path, env: str) -> int:
    """`mqctl connectors status`: one read of every connector's status on the worker."""
    from mqctl.config import load_config
    from mqctl.connect import ConnectClient

    client = ConnectClient(load_config(root, env).environment)
    client.connectors()
    return client.requests


def write_connectors(root: Path, count: int) -> None:
    folder = root / "connectors"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    lines = ["connectors:\n"] if count else ["connectors: []\n"]
    for i in range(count):
        lines.append(
            f"  - name: bench-{i}\n    class: org.apache.kafka.connect.file.FileStreamSinkConnector\n"
            f"    tasks_max: 1\n    state: paused\n    config:\n      topics: ${{env}}.domain0.event0.v1\n"
            f"      file: /tmp/mqctl-bench-{i}.txt\n"
        )
    (folder / "bench.yaml").write_text("".join(lines))


def write_groups(root: Path, count: int) -> None:
    """`count` declared groups, all consuming one topic (declared too)."""
    write_topics(root, 1 if count else 0, 1, 1)
    folder = root / "groups"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    lines = ["groups:\n"] if count else ["groups: []\n"]
    lines += [f"  - {{name: bench-{i}, topics: [domain0.event0.v1]}}\n" for i in range(count)]
    (folder / "bench.yaml").write_text("".join(lines))


def groups_status_requests(root: Path, env: str) -> int:
    """`mqctl groups status`: every declared group's state, lag and time lag."""
    from mqctl.kinds.groups.workflow import status_report

    return status_report(root, env).requests


def write_quotas(root: Path, count: int) -> None:
    """`count` client-id quotas (client.id `<env>.bench-i`: in the environment's scope, so removed after)."""
    write_spec_files(root, "quotas", count, lambda i: f"  - client_id: bench-{i}\n    producer_byte_rate: 1MiB\n")


def health_requests(root: Path, env: str) -> int:
    """`mqctl cluster health` over the environment's topics (`<env>.*`)."""
    from mqctl.workflows.health import HealthOptions, cluster_health

    return cluster_health(root, env, HealthOptions(topics=(f"{env}.*",))).requests


@dataclass(frozen=True)
class Reading:
    """A read whose request count must not grow with what it reads: `write(root, n)` declares n
    resources (applied first through `mqctl apply`), `read(root, env)` returns the requests of one
    read. Adding a kind or a command is one entry here."""

    name: str
    write: Callable[[Path, int], None]
    read: Callable[[Path, str], int]
    sizes: tuple[int, int] = (10, 1000)
    connect: bool = False  # the environment needs the Connect worker


READINGS: tuple[Reading, ...] = (
    Reading("topics snapshot", lambda root, n: write_topics(root, n, 1, 1), snapshot_requests("topics")),
    Reading("connectors snapshot", write_connectors, snapshot_requests("connectors"), sizes=(1, 10), connect=True),
    Reading("connectors status", write_connectors, connectors_status_requests, sizes=(1, 10), connect=True),
    Reading("groups snapshot", write_groups, snapshot_requests("groups")),
    Reading("groups status (declared groups; groups_bench.py commits offsets)", write_groups, groups_status_requests),
    Reading("quotas snapshot", write_quotas, snapshot_requests("quotas")),
    Reading("cluster health (the environment's topics)", lambda root, n: write_topics(root, n, 1, 1), health_requests),
)


def reading_counts(reading: Reading) -> list[int]:
    env = new_env("rq")
    counts = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_config(root, env)
        if reading.connect:
            with (root / "mqctl.yaml").open("a") as config:
                config.write(f"    connect:\n      url: {CONNECT_URL}\n")
        try:
            for size in reading.sizes:
                reading.write(root, size)
                apply(root, env, "--allow-delete")
                counts.append(in_child("--child-reading", str(root), env, reading.name)["requests"])
        finally:
            reading.write(root, 0)
            apply(root, env, "--allow-delete")
    return counts


# --- the cases ---------------------------------------------------------------------------------


def case_help(checkouts: Sequence[Checkout], rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t = alternate(checkouts, ["--help"], rounds, lambda _: Path(tmp))
    table("`mqctl --help`", "mqctl --help", [("--help", t)], checkouts[0].label, checkouts[1].label)


def example_copy(source: Path, target: Path) -> Path:
    shutil.copy(source / "mqctl.yaml", target / "mqctl.yaml")
    for folder in EXAMPLE_FOLDERS:
        if (source / folder).is_dir():
            shutil.copytree(source / folder, target / folder)
    return target


def case_validate(checkouts: Sequence[Checkout], rounds: int) -> None:
    base, new = checkouts
    with tempfile.TemporaryDirectory() as tmp:
        same = example_copy(base.root, Path(tmp))
        own = alternate(checkouts, ["validate"], rounds, lambda c: c.root)
        shared = alternate(checkouts, ["validate"], rounds, lambda _: same)
    table(
        "`mqctl validate` of the example specs",
        "mqctl validate",
        [("each checkout's own example specs", own), ("the baseline's example specs, both", shared)],
        base.label,
        new.label,
    )


def case_envs(checkouts: Sequence[Checkout], rounds: int, topics: int, acls: int) -> None:
    rows = []
    for count in (1, 3):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            envs = "".join(f"  env{n}:\n    bootstrap_servers: 127.0.0.1:1\n" for n in range(count))
            (root / "mqctl.yaml").write_text(f"environments:\n{envs}")
            write_topics(root, topics, 1, 1)
            write_acls(root, acls)
            label = "1 environment" if count == 1 else f"{count} environments"
            rows.append((label, alternate(checkouts, ["validate"], rounds, lambda _, root=root: root)))
    base, new = checkouts
    table(f"`mqctl validate` of {topics:,} topics and {acls:,} ACL bindings, by environments", "mqctl validate",
          rows, base.label, new.label)  # fmt: skip


def case_example(checkouts: Sequence[Checkout], rounds: int) -> None:
    """The plan a team's CI runs: this checkout's example project, in sync on both local environments,
    planned from its root with each checkout's code. A baseline that cannot read these specs (the
    issue's baseline predates Connect, OAuth and policies) is reported, not timed."""
    base, new = checkouts
    for env in ("secure", "dev"):  # the demo's order: dev's MirrorMaker logs in as a user secure creates
        apply(new.root, env)
    probe = run(base, ["plan", "--env", "dev"], new.root)
    if probe.code != 0:
        first = next((line for line in probe.output.splitlines() if line.strip()), "")
        print(f"\n### `mqctl plan` of the example project\n\nnot timed: the baseline cannot plan these specs "
              f"(exit {probe.code}): {first}")  # fmt: skip
        return
    rows = [(f"--env {env}", alternate(checkouts, ["plan", "--env", env], rounds, lambda _: new.root))
            for env in ("dev", "secure")]  # fmt: skip
    title = "`mqctl plan` of the example project, in sync (this checkout's specs, each checkout's code)"
    table(title, "mqctl plan --env ENV", rows, base.label, new.label)


def case_plan500(checkouts: Sequence[Checkout], rounds: int) -> None:
    with in_sync_project("ab", 500) as (root, env):
        t = alternate(checkouts, ["plan", "--env", env], rounds, lambda _: root)
    table("`mqctl plan` over 500 in-sync topics (3 partitions, RF 3)", f"mqctl plan --env {env}",
          [("500 topics", t)], checkouts[0].label, checkouts[1].label)  # fmt: skip


def case_marginal(checkouts: Sequence[Checkout], rounds: int) -> None:
    base, new = checkouts
    with in_sync_project("ab", 10) as (small, small_env), in_sync_project("ab", 1000) as (large, large_env):
        requests = [in_child("--child-plan", str(small), small_env), in_child("--child-plan", str(large), large_env)]
        t10 = alternate(checkouts, ["plan", "--env", small_env], rounds, lambda _: small)
        t1000 = alternate(checkouts, ["plan", "--env", large_env], rounds, lambda _: large)
    table("`mqctl plan` over 10 and 1,000 in-sync topics (3 partitions, RF 3)", "mqctl plan --env ENV",
          [("10 topics", t10), ("1,000 topics", t1000)], base.label, new.label)  # fmt: skip
    print("\n| marginal cost of an in-sync topic: (plan(1,000) - plan(10)) / 990 | baseline | new |")
    print("|---|---:|---:|")
    for what in ("wall", "cpu"):
        per = [(t1000.median(c.label, what) - t10.median(c.label, what)) / 990 * 1000 for c in checkouts]
        print(f"| {what} (medians), ms per topic | {per[0]:.3f} | **{per[1]:.3f}** |")
    print(f"\nAdmin requests of a plan (new): {requests[0]['requests']} at 10 topics, "
          f"{requests[1]['requests']} at 1,000 (changes: {requests[0]['changes']}, "
          f"{requests[1]['changes']}).")  # fmt: skip


def case_declared(checkouts: Sequence[Checkout], rounds: int, topics: int, acls: int) -> None:
    os.environ.setdefault("KAFKA_ADMIN_PASSWORD", "admin-secret")
    with in_sync_project("decl", topics, 1, 1, acls=acls, sasl=True) as (root, env):
        requests = in_child("--child-plan", str(root), env)
        t = alternate(checkouts, ["plan", "--env", env], rounds, lambda _: root)
    name = f"{topics:,} topics + {acls:,} ACL bindings declared"
    table(f"`mqctl plan` of a project declaring {name}, in sync (SASL node)", f"mqctl plan --env {env}",
          [(name, t)], checkouts[0].label, checkouts[1].label)  # fmt: skip
    print(f"\nAdmin requests of that plan (new): {requests['requests']}; changes: {requests['changes']}.")


def case_requests() -> None:
    print(f"\n### Requests of one read at two sizes (this checkout)\n\nload average before: {load()}\n")
    print("| read | sizes | requests | constant? |")
    print("|---|---|---|---|")
    for reading in READINGS:
        counts = reading_counts(reading)
        sizes = " / ".join(f"{s:,}" for s in reading.sizes)
        constant = "yes" if len(set(counts)) == 1 else "NO"
        print(f"| {reading.name} | {sizes} | {' / '.join(map(str, counts))} | {constant} |")
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, default=Path("/work/baseline"))
    parser.add_argument("--new", type=Path, default=REPO, help="the checkout to compare (default: this one)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cases", default="help,validate,example,plan500,marginal,declared,requests")
    parser.add_argument("--declared-topics", type=int, default=10_000)
    parser.add_argument("--declared-acls", type=int, default=10_000)
    parser.add_argument("--child-plan", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-reading", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_plan:
        child_plan(Path(args.child_plan[0]), args.child_plan[1])
        return
    if args.child_reading:
        child_reading(Path(args.child_reading[0]), args.child_reading[1], args.child_reading[2])
        return
    new = args.new.resolve()
    SETUP["PYTHONPATH"] = str(new)
    checkouts = (Checkout.at(f"baseline ({args.baseline})", args.baseline.resolve()), Checkout.at("new", new))
    cases = args.cases.split(",")
    print(f"rounds: {args.rounds}; baseline: {args.baseline}; new: {new}; cases: {', '.join(cases)}")
    for checkout in checkouts:
        compile_bytecode(checkout)
    if "help" in cases:
        case_help(checkouts, args.rounds)
    if "validate" in cases:
        case_validate(checkouts, args.rounds)
    if "example" in cases:
        case_example(checkouts, args.rounds)
    if "plan500" in cases:
        case_plan500(checkouts, args.rounds)
    if "marginal" in cases:
        case_marginal(checkouts, args.rounds)
    if "declared" in cases:
        case_declared(checkouts, max(3, args.rounds // 2), args.declared_topics, args.declared_acls)
    if "envs" in cases:
        case_envs(checkouts, args.rounds, args.declared_topics, args.declared_acls)
    if "requests" in cases:
        case_requests()


if __name__ == "__main__":
    main()
