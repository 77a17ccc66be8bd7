"""The layering the code relies on, checked on its source (docs/architecture.md):

- a kind is named only inside its own package and the one registry (`mqctl/kinds/__init__.py`):
  everything else works through the registry, so adding a kind is one package and one line;
- the transports (Kafka, the schema registry, Kafka Connect) import nothing of specs, diffs, plans or rendering;
- no private attribute of a third-party library is used outside the one shim (mqctl/kafka/wire.py).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mqctl.kind import Kind
from mqctl.kinds import KINDS

PACKAGE = Path(__file__).resolve().parents[2] / "mqctl"
KIND_NAMES = {kind.name for kind in KINDS}
TRANSPORTS = ("kafka", "registry.py", "connect.py")
UPPER_LAYERS = ("mqctl.kinds", "mqctl.kind", "mqctl.plan", "mqctl.render", "mqctl.workflows", "mqctl.spec",
                "mqctl.exporting", "mqctl.saved_plan", "mqctl.policies", "mqctl.targets")
SHIM = PACKAGE / "kafka" / "wire.py"
NAMEDTUPLE_API = {"_replace", "_asdict", "_fields", "_make"}  # public, underscored to avoid clashes
LOCAL_ERROR_CODES = "KafkaError"  # librdkafka's local error codes (KafkaError._TRANSPORT) are documented API
DOCUMENTED = {("os", "_exit")}  # the standard library's public names that start with "_"


def modules() -> Iterator[Path]:
    yield from sorted(PACKAGE.rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


def owner(path: Path) -> str | None:
    """The kind whose package holds `path`, or None outside every kind's package."""
    parts = path.relative_to(PACKAGE).parts
    return parts[1] if len(parts) > 2 and parts[0] == "kinds" else None


def imported(tree: ast.AST) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, node.lineno
            yield from ((f"{node.module}.{alias.name}", node.lineno) for alias in node.names)


def kind_lookups(tree: ast.AST) -> Iterator[ast.Constant]:
    """A kind's name used as a key or compared with (`snapshots["topics"]`, `name == "acls"`,
    `kind in ("users", ...)`): code that singles a kind out. A label that merely reads like one
    (a JSON field "brokers", an argument name in a message) is not."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            candidates: list[ast.AST] = [node.slice]
        elif isinstance(node, ast.Compare):
            candidates = [node.left, *node.comparators]
        else:
            continue
        for candidate in candidates:
            for leaf in ast.walk(candidate):
                if isinstance(leaf, ast.Constant) and leaf.value in KIND_NAMES:
                    yield leaf


def test_a_kind_is_named_only_in_its_package_and_the_registry() -> None:
    found = []
    registry = PACKAGE / "kinds" / "__init__.py"
    for path in modules():
        if path == registry or owner(path) is not None:
            continue
        tree = ast.parse(path.read_text())
        for name, line in imported(tree):
            if any(name == f"mqctl.kinds.{k}" or name.startswith(f"mqctl.kinds.{k}.") for k in KIND_NAMES):
                found.append(f"{rel(path)}:{line} imports {name}")
        for node in kind_lookups(tree):
            found.append(f"{rel(path)}:{node.lineno} looks up the kind {node.value!r}")
    assert found == []


def test_transports_import_no_spec_diff_plan_or_rendering_layer() -> None:
    found = []
    for path in modules():
        if not rel(path).removeprefix("mqctl/").startswith(TRANSPORTS):
            continue
        for name, line in imported(ast.parse(path.read_text())):
            if any(name == layer or name.startswith(layer + ".") for layer in UPPER_LAYERS):
                found.append(f"{rel(path)}:{line} imports {name}")
    assert found == []


def private_uses(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """`x._name` where x is not self or cls: another object's private attribute."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and node.attr not in NAMEDTUPLE_API
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls", LOCAL_ERROR_CODES))
            and not (isinstance(node.value, ast.Name) and (node.value.id, node.attr) in DOCUMENTED)
        ):
            yield node.attr, node.lineno


def test_no_private_attribute_of_another_object_outside_the_shim() -> None:
    found = [
        f"{rel(path)}:{line} uses .{attr}"
        for path in modules()
        if path != SHIM
        for attr, line in private_uses(ast.parse(path.read_text()))
    ]
    assert found == []


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_a_kind_package_holds_its_schema_and_defines_the_kind(kind: Kind[Any, Any]) -> None:
    folder = PACKAGE / "kinds" / kind.name
    assert (folder / f"{kind.schema}.schema.json").is_file()
    assert type(kind).__module__ == f"mqctl.kinds.{kind.name}"
