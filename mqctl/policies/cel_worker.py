"""The process CEL policies are evaluated in (run as a script by mqctl.policies.cel; stdlib and the
`cel` package only, so it starts in about 35 ms).

The CEL interpreter (common-expression-language, Rust) holds the GIL for a whole evaluation and has
no cost limit, so a thread cannot stop it: an expression like nested `map`s over long lists can run
for minutes. Here it runs in a process of its own, under an address-space limit (and a CPU-time
limit as a backstop), and the parent kills it past its time limit.

stdin: one job per line, {"expressions": [str], "checks": [[expression index, [resource index]]],
       "resources": [obj], "environment": str}
stdout: per job, the index of each check on a line of its own before it runs (so the parent can name
        the policy that was running when it had to stop the child), then one line
        {"compile": [null | error], "results": [[true | false | "error: ..." per resource]]}
"""

from __future__ import annotations

import functools
import json
import resource
import sys
import types
from collections.abc import Callable
from typing import Any


def _evaluate(program: Any, variables: dict[str, Any]) -> bool | str:
    try:
        value = program.execute(variables)
    except Exception as exc:  # a missing key, a type error, an overflow: reported per resource
        return f"error: {type(exc).__name__}: {exc}"
    if not isinstance(value, bool):
        return f"error: the expression gave {type(value).__name__} {value!r:.60}, not true or false"
    return value


def _run(job: dict[str, Any], compile_once: Callable[[str], tuple[Any, str | None]]) -> dict[str, Any]:
    """One job: its expressions compiled (each text once per run), then every check."""
    compiled = [compile_once(text) for text in job["expressions"]]
    results = []
    resources = job["resources"]
    for index, (expression, targets) in enumerate(job["checks"]):
        sys.stdout.write(f"{index}\n")
        sys.stdout.flush()
        program = compiled[expression][0]
        results.append([
            _evaluate(program, {"resource": resources[r], "environment": job["environment"]}) if program else False
            for r in targets
        ])
    return {"compile": [error for _, error in compiled], "results": results}


def main() -> None:
    memory, cpu_seconds = int(sys.argv[1]), int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    # `import cel` also imports its interactive REPL (prompt_toolkit, pygments, rich, typer: 0.4-1.2 s
    # measured here); an empty stand-in for that one submodule keeps the evaluator alone.
    sys.modules.setdefault("cel.cli", types.ModuleType("cel.cli"))
    import cel  # loaded while the parent still parses its specs

    @functools.cache
    def compile_once(text: str) -> tuple[Any, str | None]:
        try:
            return cel.compile(text), None
        except Exception as exc:  # ValueError with the parser's message and a caret under the column
            return None, str(exc)

    for line in sys.stdin:
        json.dump(_run(json.loads(line), compile_once), sys.stdout)
        sys.stdout.write("\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
