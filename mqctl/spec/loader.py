"""Find spec files, parse them with line numbers, schema-check them and build the DesiredState.

Generic over the kinds registry: each kind names its folder and JSON Schema and builds its own
items; all problems of all files are collected before anything fails.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mqctl import schema_check
from mqctl.config import ProjectConfig
from mqctl.diagnostics import Diagnostic
from mqctl.kind import DesiredState, Kind
from mqctl.kinds import KINDS
from mqctl.spec.model import SpecContext
from mqctl.yamlsource import YamlDocument, format_path, load_yaml_file


def spec_files(root: Path, folder: str) -> list[Path]:
    base = root / folder
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _documents(root: Path, kind: Kind[Any, Any], problems: list[Diagnostic]) -> list[YamlDocument]:
    docs = []
    for path in spec_files(root, kind.name):
        doc = load_yaml_file(path, str(path.relative_to(root)))
        if isinstance(doc, Diagnostic):
            problems.append(doc)
            continue
        if doc.data is None:  # an empty file declares nothing
            continue
        schema_problems = schema_check.check(doc, kind.schema, kind.schema_package)
        problems.extend(schema_problems)
        # A bad list item is left out and the rest of the file still checked; any other schema
        # problem (unknown top-level key, wrong type of a section) makes the file unusable.
        item_paths = {tuple(d_path[:2]) for d_path in _paths(doc, schema_problems)}
        if any(len(p) < 2 or not isinstance(p[1], int) for p in item_paths):
            continue
        doc.invalid.update(item_paths)
        docs.append(doc)
    return docs


def _paths(doc: YamlDocument, problems: list[Diagnostic]) -> list[tuple[str | int, ...]]:
    """Schema problems carry their key path as text; map each back to the document path."""
    by_text = {format_path(path): path for path in doc.lines}
    return [by_text.get(p.key, ()) for p in problems]


def spec_folders(root: Path, kinds: Sequence[Kind[Any, Any]] = KINDS) -> frozenset[str]:
    """The spec folders present under `root`: the kinds this project manages."""
    return frozenset(kind.name for kind in kinds if (root / kind.name).is_dir())


def load_specs(config: ProjectConfig) -> tuple[DesiredState, list[Diagnostic]]:
    """The desired state of `config.environment`, and every problem found on the way."""
    ctx = SpecContext(config.root, config.environment, re.compile(config.naming_pattern))
    problems: list[Diagnostic] = list(config.warnings)  # mqctl.yaml's, shown wherever spec problems are
    items: dict[str, tuple[object, ...]] = {}
    for kind in KINDS:
        built, found = kind.build(_documents(config.root, kind, problems), ctx)
        items[kind.name] = tuple(built)
        problems.extend(found)
    desired = DesiredState(env=config.environment.name, folders=spec_folders(config.root), items=items)
    for kind in KINDS:
        problems.extend(kind.check(desired))
    return desired, sorted(set(problems))
