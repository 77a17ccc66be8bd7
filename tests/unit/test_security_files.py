"""Files named by specs stay inside the project (issue 12, item 1), and schema text nesting is bounded
(item 3): the helpers phase 2 wires into spec/subjects.py. New module: every test fails before it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mqctl.diagnostics import Diagnostic
from mqctl.safefiles import MAX_SCHEMA_DEPTH, RefusedPath, nesting_depth, read_project_file, resolve_inside


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "schemas" / "events").mkdir(parents=True)
    (project / "schemas" / "events" / "a.avsc").write_text('{"type": "string"}')
    (tmp_path / "outside.txt").write_text("secret content outside the project")
    return project


def test_a_file_inside_is_read(root: Path) -> None:
    assert read_project_file(root, Path("schemas"), "events/a.avsc", "events/a.avsc") == '{"type": "string"}'
    assert resolve_inside(root, Path("schemas"), "../schemas/events/a.avsc") == root / "schemas/events/a.avsc"


@pytest.mark.parametrize("name", ["../../outside.txt", "/etc/passwd", "events/../../../outside.txt", "", "a\x00b"])
def test_paths_leading_out_are_refused(root: Path, name: str) -> None:
    with pytest.raises(RefusedPath) as refused:
        read_project_file(root, Path("schemas"), name, name)
    assert "secret content" not in str(refused.value)


def test_a_symlink_leading_out_is_refused(root: Path) -> None:
    (root / "schemas" / "link.avsc").symlink_to(root.parent / "outside.txt")
    (root / "schemas" / "dir").symlink_to(root.parent)
    for name in ("link.avsc", "dir/outside.txt"):
        with pytest.raises(RefusedPath, match="outside the project"):
            read_project_file(root, Path("schemas"), name, name)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_devices_and_directories_are_refused_without_reading(root: Path) -> None:
    os.mkfifo(root / "schemas" / "fifo.avsc")
    (root / "schemas" / "zero.avsc").symlink_to("/dev/zero")
    started = time.perf_counter()
    fifo = read_project_file(root, Path("schemas"), "fifo.avsc", "fifo.avsc")
    assert isinstance(fifo, Diagnostic) and "not a regular file" in fifo.message
    with pytest.raises(RefusedPath):  # /dev/zero is outside the project
        read_project_file(root, Path("schemas"), "zero.avsc", "zero.avsc")
    directory = read_project_file(root, Path("schemas"), "events", "events")
    assert isinstance(directory, Diagnostic)
    assert time.perf_counter() - started < 1


def test_a_file_over_the_cap_is_not_read(root: Path) -> None:
    (root / "schemas" / "big.json").write_text("x" * 5000)
    diag = read_project_file(root, Path("schemas"), "big.json", "big.json", limit=4096)
    assert isinstance(diag, Diagnostic) and "limit" in diag.message


def test_a_missing_file_is_refused(root: Path) -> None:
    with pytest.raises(RefusedPath, match="does not exist"):
        read_project_file(root, Path("schemas"), "nope.avsc", "nope.avsc")


@pytest.mark.parametrize(
    ("text", "depth"),
    [('{"a": [1, {"b": 2}]}', 3), ('{"a": "[[[[{{{"}', 1), ('{"a": "\\"[["}', 1), ("[]", 1), ("", 0),
     ("message A { message B { // {{{{\n } /* {{{{ */ }", 2), ("x = '{{{'; y {", 1)],
)
def test_nesting_depth_counts_structure_not_strings_or_comments(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth


def _depth_by_characters(text: str) -> int:
    """The reference: nesting_depth's rules as a loop over every character."""
    depth = deepest = 0
    i, quote = 0, ""
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
            continue
        elif char in "{[(":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "}])":
            depth = max(0, depth - 1)
        i += 1
    return deepest


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="{}[]()\"'\\/*\nab ", max_size=60))
def test_nesting_depth_agrees_with_a_loop_over_every_character(text: str) -> None:
    assert nesting_depth(text) == _depth_by_characters(text)


def test_nesting_depth_of_a_deep_document_is_linear_and_never_recursive() -> None:
    text = "[" * 200_000 + "]" * 200_000
    started = time.perf_counter()
    assert nesting_depth(text) == 200_000 > MAX_SCHEMA_DEPTH
    assert time.perf_counter() - started < 2
    with pytest.raises(RecursionError):  # what phase 2 must check before: json.loads of the same text
        json.loads(text)
