"""Files named by untrusted specs: confined to the project, regular, bounded; nesting of schema text.

A spec's `file:` (a schema) is written by a pull-request author. Read naively it can name
`/etc/passwd`, `../../.ssh/id_rsa`, a symlink leading out of the repository, a FIFO that blocks the
read forever or `/dev/zero` that never ends, and its content could then be printed in an error,
rendered in a PR comment or uploaded to the registry. `read_project_file` refuses all of these
before reading a byte, with a reason that names no content. `nesting_depth` bounds schema text
(JSON, Avro, JSON Schema, Protobuf) before a recursive parser sees it.

Phase 2 wires these into spec/subjects.py (`_read`) and saved_plan.read_spec_sources.
"""

from __future__ import annotations

import os
from pathlib import Path

from mqctl.diagnostics import Diagnostic
from mqctl.yamlsource import read_text_file

DEFAULT_MAX_BYTES = 2**20  # 1 MiB: the largest schema in a real registry is a few hundred KiB
MAX_SCHEMA_DEPTH = 64


class RefusedPath(ValueError):
    """A path a spec may not name; the message says why (never what the file holds)."""


def resolve_inside(root: Path, base: Path, name: str) -> Path:
    """`name` (as written in a spec file under `base`, relative to it) resolved with symlinks
    followed; RefusedPath unless it stays inside `root`."""
    if not name or "\x00" in name:
        raise RefusedPath("the path is empty or holds a NUL character")
    written = Path(name)
    if written.is_absolute():
        raise RefusedPath("absolute paths are refused: write the path relative to the spec file, inside the project")
    real_root = root.resolve()
    target = (root / base / written).resolve()  # follows symlinks, including a symlinked directory on the way
    if target != real_root and real_root not in target.parents:
        raise RefusedPath("the path leads outside the project (through '..' or a symbolic link)")
    return target


def read_project_file(
    root: Path, base: Path, name: str, shown: str, limit: int = DEFAULT_MAX_BYTES
) -> str | Diagnostic:
    """The UTF-8 text of the regular file `name` inside `root`, at most `limit` bytes; otherwise a
    Diagnostic about `shown` (the name as the spec wrote it). RefusedPath for a path outside."""
    target = resolve_inside(root, base, name)
    if not os.path.lexists(target):
        raise RefusedPath("the file does not exist")
    return read_text_file(target, shown, limit)


def nesting_depth(text: str) -> int:
    """The deepest nesting of `{`/`[`/`(` in `text`, outside JSON/Protobuf string literals and
    comments; linear time, no recursion. An unbalanced text gives a depth all the same: the parser
    reports what is wrong with it."""
    depth = deepest = 0
    i, size = 0, len(text)
    quote = ""
    while i < size:
        char = text[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            i = size if end < 0 else end
            continue
        elif char == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = size if end < 0 else end + 2
            continue
        elif char in "{[(":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "}])":
            depth = max(0, depth - 1)
        i += 1
    return deepest
