"""The suite's own hygiene: no test changes the process environment for the tests after it."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
# conftest's one module-level default: the local cluster's admin password, for every test alike
ALLOWED = {("conftest.py", "setdefault")}
WRITES = {"update", "setdefault", "pop", "clear", "__setitem__", "__delitem__"}


def environment_writes(path: Path) -> list[tuple[int, str]]:
    """(line, how) of every write to os.environ (or os.putenv / os.unsetenv) in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        target = None
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                if isinstance(t, ast.Subscript) and ast.unparse(t.value) == "os.environ":
                    target = "__delitem__" if isinstance(node, ast.Delete) else "__setitem__"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            call = (ast.unparse(node.func.value), node.func.attr)
            if call in {("os.environ", w) for w in WRITES} | {("os", "putenv"), ("os", "unsetenv")}:
                target = node.func.attr
        if target:
            found.append((node.lineno, target))
    return sorted(found)


def test_tests_change_the_environment_only_through_monkeypatch() -> None:
    leaks = [
        f"{path.relative_to(TESTS)}:{line}: os.environ {how}"
        for path in sorted(TESTS.rglob("*.py"))
        for line, how in environment_writes(path)
        if (path.name, how) not in ALLOWED
    ]
    assert leaks == [], "use monkeypatch.setenv / delenv (undone after the test): " + ", ".join(leaks)


def test_the_check_sees_each_way_of_writing(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nos.environ['A'] = '1'\nos.environ.update(B='2')\ndel os.environ['A']\nos.putenv('C', '3')\n"
        "os.environ.get('D')\n"
    )
    assert environment_writes(sample) == [(2, "__setitem__"), (3, "update"), (4, "__delitem__"), (5, "putenv")]
