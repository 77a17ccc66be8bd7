"""Find spec files, parse them with line numbers, schema-check them and build the DesiredState.

Each kind of spec is one `SpecKind` (folder, JSON Schema, builder); adding a kind is one entry in
`SPEC_KINDS`, not a new code path. All problems of all files are collected before anything fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mqctl import schema_check
from mqctl.config import ProjectConfig
from mqctl.diagnostics import Diagnostic
from mqctl.spec.acls import build_acls
from mqctl.spec.brokers import build_brokers
from mqctl.spec.model import DesiredState, SpecContext
from mqctl.spec.references import undeclared_acl_topics
from mqctl.spec.subjects import build_subjects
from mqctl.spec.topics import build_topics
from mqctl.spec.users import build_users
from mqctl.yamlsource import YamlDocument, format_path, load_yaml_file

Builder = Callable[[Iterable[YamlDocument], SpecContext], tuple[list[Any], list[Diagnostic]]]


@dataclass(frozen=True)
class SpecKind:
    folder: str  # spec files live in <root>/<folder>/**/*.yaml
    schema: str  # mqctl/schemas/<schema>.schema.json
    field: str  # the DesiredState field it fills
    build: Builder


SPEC_KINDS: tuple[SpecKind, ...] = (
    SpecKind("topics", "topics", "topics", build_topics),
    SpecKind("acls", "acls", "acls", build_acls),
    SpecKind("users", "users", "users", build_users),
    SpecKind("brokers", "brokers", "brokers", build_brokers),
    SpecKind("schemas", "schemas", "subjects", build_subjects),
)


def spec_files(root: Path, folder: str) -> list[Path]:
    base = root / folder
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _documents(root: Path, kind: SpecKind, problems: list[Diagnostic]) -> list[YamlDocument]:
    docs = []
    for path in spec_files(root, kind.folder):
        doc = load_yaml_file(path, str(path.relative_to(root)))
        if isinstance(doc, Diagnostic):
            problems.append(doc)
            continue
        if doc.data is None:  # an empty file declares nothing
            continue
        schema_problems = schema_check.check(doc, kind.schema)
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


def spec_folders(root: Path) -> frozenset[str]:
    """The spec folders present under `root`: the kinds this project manages."""
    return frozenset(kind.folder for kind in SPEC_KINDS if (root / kind.folder).is_dir())


def load_specs(config: ProjectConfig) -> tuple[DesiredState, list[Diagnostic]]:
    """The desired state of `config.environment`, and every problem found on the way."""
    ctx = SpecContext(config.root, config.environment, re.compile(config.naming_pattern))
    problems: list[Diagnostic] = []
    fields: dict[str, tuple[Any, ...]] = {}
    for kind in SPEC_KINDS:
        items, found = kind.build(_documents(config.root, kind, problems), ctx)
        fields[kind.field] = tuple(items)
        problems.extend(found)
    desired = DesiredState(env=config.environment.name, folders=spec_folders(config.root), **fields)
    problems.extend(undeclared_acl_topics(desired))
    return desired, sorted(set(problems))
