"""Policies: the two CEL packages side by side, and what policies add to an offline `validate`.

1. CEL interpreters on a typical policy over a topic's view: compile 5 expressions, then 10,000
   evaluations (in process, one library at a time), and the time `import` takes. cel-python is not a
   dependency of mqctl: `pip install cel-python` to include it.
2. `mqctl validate` of 10,000 topics in a subprocess: no policies, 5 built-in rules, and the same plus
   one CEL rule (the bounded child process included).

Prints Markdown rows; on a shared machine compare ratios within one run.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

N = 10_000
VIEW = {
    "name": "order.created.v1", "full_name": "prod.order.created.v1", "partitions": 32, "replication_factor": 3,
    "config": {"retention.ms": "604800000", "min.insync.replicas": "2", "cleanup.policy": "delete",
               "compression.type": "lz4"},
    "labels": {"owner": "order-team"}, "protected": False, "key": None, "sizing": None,
}
EXPRESSIONS = [
    'resource.partitions <= 64 || "big" in resource.labels',
    'resource.name.startsWith("order.")',
    '"owner" in resource.labels && resource.labels.owner != ""',
    'int(resource.config["retention.ms"]) <= 2592000000',
    'resource.labels.all(k, k.matches("^[a-z-]+$"))',
]
IMPORT = {
    "common-expression-language": "import sys, types; sys.modules['cel.cli'] = types.ModuleType('cel.cli'); import cel",
    "common-expression-language (with its REPL)": "import cel",
    "cel-python": "import celpy",
}


def _import_seconds(code: str) -> float | None:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    return time.perf_counter() - started if done.returncode == 0 else None


def bench_rust() -> tuple[float, float]:
    import cel

    started = time.perf_counter()
    programs = [cel.compile(e) for e in EXPRESSIONS]
    compiled = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(N):
        programs[0].execute({"resource": VIEW})
    return compiled, time.perf_counter() - started


def bench_celpy() -> tuple[float, float] | None:
    try:
        import logging

        import celpy
    except ImportError:
        return None
    logging.disable(logging.CRITICAL)
    env = celpy.Environment()
    started = time.perf_counter()
    programs = [env.program(env.compile(e)) for e in EXPRESSIONS]
    compiled = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(N):
        programs[0].evaluate({"resource": celpy.json_to_cel(VIEW)})
    return compiled, time.perf_counter() - started


RULES = """\
policies:
  - {name: rf, kind: topics, rule: {min_replication_factor: 3}}
  - {name: isr, kind: topics, rule: {min_insync_replicas: 2}}
  - {name: owners, kind: topics, rule: {required_labels: [owner]}}
  - {name: retention, kind: topics, rule: {retention: {min: 1d, max: 30d}}}
  - {name: cleanup, kind: topics, rule: {cleanup_policies: [delete, compact]}}
"""
CEL_RULE = "  - {name: wide, kind: topics, cel: 'resource.partitions <= 64 || \"big\" in resource.labels'}\n"


def write_project(root: Path, policies: str | None) -> None:
    (root / "mqctl.yaml").write_text("environments:\n  bench:\n    bootstrap_servers: 127.0.0.1:1\n")
    (root / "topics").mkdir()
    for part in range(20):
        lines = ["labels: {owner: team-a}\ndefaults:\n  replication_factor: 3\n  config:\n    min.insync.replicas: 2\n",
                 "topics:\n"]
        for i in range(part * N // 20, (part + 1) * N // 20):
            lines.append(f"  - name: domain{i % 50}.event{i}.v1\n    partitions: 12\n    retention: 7d\n"
                         "    config:\n      cleanup.policy: delete\n")
        (root / "topics" / f"part{part:02d}.yaml").write_text("".join(lines))
    if policies is not None:
        (root / "policies").mkdir()
        (root / "policies" / "p.yaml").write_text(policies)


def validate_seconds(policies: str | None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        write_project(Path(tmp), policies)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "mqctl", "validate", "--root", tmp], capture_output=True,
                              check=False)
        took = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stdout.decode() + done.stderr.decode())
        return took


def main() -> None:
    print("| CEL package | import | compile 5 expressions | 10,000 evaluations |")
    print("| --- | ---: | ---: | ---: |")
    imports = {name: _import_seconds(code) for name, code in IMPORT.items()}
    rust = bench_rust()
    print(f"| common-expression-language | {imports['common-expression-language']:.2f} s "
          f"({imports['common-expression-language (with its REPL)']:.2f} s with its REPL) | "
          f"{rust[0] * 1000:.1f} ms | {rust[1]:.2f} s |")
    celpy = bench_celpy()
    if celpy is None or imports["cel-python"] is None:
        print("| cel-python | (not installed: pip install cel-python) | | |")
    else:
        print(f"| cel-python | {imports['cel-python']:.2f} s | {celpy[0] * 1000:.1f} ms | {celpy[1]:.2f} s |")
    print()
    print(f"| `mqctl validate`, {N:,} topics | seconds |")
    print("| --- | ---: |")
    cases = (("no policies", None), ("5 built-in rules", RULES), ("5 built-in + 1 CEL", RULES + CEL_RULE))
    for label, policies in cases:
        print(f"| {label} | {validate_seconds(policies):.2f} |")


if __name__ == "__main__":
    main()
