"""In-process timing of YAML parsing and of `load_specs` on 10,000 topics (CPU time, min of several runs).

`validate_bench.py` times the real CLI in a subprocess, which is what a user sees but is noisy on a
shared 2-core machine (start-up, imports). This one isolates what the YAML loader's safety checks
(alias budget, depth bound, NUL checks) cost: run it before and after a change to the loader.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.validate_bench import write_project
from mqctl.config import load_config
from mqctl.spec.loader import load_specs
from mqctl.yamlsource import parse_yaml

COUNT = 10_000
RUNS = 7


def best(action: object) -> float:
    times = []
    for _ in range(RUNS):
        started = time.process_time()
        action()  # type: ignore[operator]
        times.append(time.process_time() - started)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_project(root, COUNT)
        texts = [(p.name, p.read_text()) for p in sorted((root / "topics").iterdir())]
        parse = best(lambda: [parse_yaml(text, name) for name, text in texts])
        config = load_config(root, "bench", secrets=False)
        load = best(lambda: load_specs(config))
    print(f"| {COUNT:,} topics | parse_yaml {parse:.3f} s | load_specs {load:.3f} s | best of {RUNS} |")


if __name__ == "__main__":
    main()
