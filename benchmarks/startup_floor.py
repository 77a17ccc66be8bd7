"""What a command pays before any mqctl code runs: the CPU of a fresh interpreter that only imports
the libraries a command needs (issue #21: why 3x on `validate` and `plan` is out of reach).

    .venv/bin/python benchmarks/startup_floor.py [--runs 15]

Each line is the minimum over `--runs` fresh processes of user + system CPU (from wait4), and the
cost over a bare interpreter (`python -c pass`, with `site` and the editable install's finder).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

IMPORTS = {
    "python with site (nothing imported)": "pass",
    "typer (the CLI)": "import typer",
    "typer + rich.console": "import typer, rich.console",
    "yaml + jsonschema_rs + fastavro (what validating the example specs reads)": "import yaml, jsonschema_rs, fastavro",
    "confluent_kafka.admin": "import confluent_kafka.admin",
    "kafka.admin (kafka-python)": "import kafka.admin",
    "typer + rich + yaml + both Kafka clients (a plan's libraries)":
        "import typer, rich.console, yaml, jsonschema_rs, confluent_kafka.admin, kafka.admin",
    # the least a plan could load: argument parsing, the spec parser and the two clients the brief
    # chose, without the renderer and the schema validator (what issue 21's floor is argued from)
    "typer + yaml + both Kafka clients (no rich, no jsonschema_rs)":
        "import typer, yaml, confluent_kafka.admin, kafka.admin",
}


def cpu(code: str, runs: int) -> float:
    """Minimum CPU seconds of `python -c code` over `runs` fresh processes."""
    best = float("inf")
    for _ in range(runs):
        child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"python -c {code!r} failed")
        best = min(best, usage.ru_utime + usage.ru_stime)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"load average before: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}; {args.runs} runs each\n")
    print("| imports | CPU s (min) | over a bare interpreter (s) |")
    print("|---|---:|---:|")
    bare = cpu("pass", args.runs)
    for label, code in IMPORTS.items():
        seconds = bare if code == "pass" else cpu(code, args.runs)
        print(f"| {label} | {seconds:.3f} | {seconds - bare:.3f} |")


if __name__ == "__main__":
    main()
