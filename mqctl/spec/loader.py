"""Find spec files, parse them with line numbers, schema-check them and build the DesiredState.

Generic over the kinds registry: each kind names its folder and JSON Schema and builds its own
items; all problems of all files are collected before anything fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mqctl import schema_check
from mqctl.config import ProjectConfig
from mqctl.diagnostics import Diagnostic, error
from mqctl.kind import DesiredState, Kind
from mqctl.kinds import KINDS
from mqctl.safefiles import folder_files
from mqctl.spec.model import SpecContext
from mqctl.spec.overlay import SpecLabels, lift_labels, resolve_env
from mqctl.yamlsource import YamlDocument, format_path, load_yaml_file


def spec_files(root: Path, folder: str, problems: list[Diagnostic] | None = None) -> list[Path]:
    """The YAML files of a spec folder (`.yaml`/`.yml` in any case, hidden names skipped: the listing
    a saved plan's fingerprint digests too, mqctl.safefiles.folder_files). A file that may not be read
    (a link leading out of the project, a FIFO) is left out, with why in `problems`."""
    paths = []
    for listed in folder_files(root, folder):
        if not listed.is_spec:
            continue
        if listed.refusal is None:
            paths.append(listed.path)
        elif problems is not None:
            problems.append(error(listed.relative, None, "", listed.refusal))
    return paths


Parsed = dict[Path, YamlDocument | Diagnostic]  # spec files parsed once for several environments


def _parsed(path: Path, root: Path, parsed: Parsed | None) -> YamlDocument | Diagnostic:
    """The file's document, to change in place: parsed now, or a copy of the one `parsed` holds."""
    if parsed is None:
        return load_yaml_file(path, path.relative_to(root).as_posix())
    found = parsed.get(path)
    if found is None:
        found = parsed[path] = load_yaml_file(path, path.relative_to(root).as_posix())
    return found.copy() if isinstance(found, YamlDocument) else found


def _documents(
    config: ProjectConfig, kind: Kind[Any, Any], labels: SpecLabels, problems: list[Diagnostic], parsed: Parsed | None
) -> list[YamlDocument]:
    docs = []
    root = config.root
    for path in spec_files(root, kind.name, problems):
        doc = _parsed(path, root, parsed)
        if isinstance(doc, Diagnostic):
            problems.append(doc)
            continue
        if doc.data is None:  # an empty file declares nothing
            continue
        # Per-environment values and labels first: what the schema and the kind see is what this
        # environment gets, with the lines of the keys that set it.
        problems.extend(resolve_env(doc, config.environment.name, config.environments))
        problems.extend(lift_labels(doc, labels))
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
    if not problems:  # the common case: no need to spell out every path of the document
        return []
    by_text = {format_path(path): path for path in doc.lines}
    return [by_text.get(p.key, ()) for p in problems]


def spec_folders(root: Path, kinds: Sequence[Kind[Any, Any]] = KINDS) -> frozenset[str]:
    """The spec folders present under `root`: the kinds this project manages."""
    return frozenset(kind.name for kind in kinds if (root / kind.name).is_dir())


def load_specs(config: ProjectConfig, parsed: Parsed | None = None) -> tuple[DesiredState, list[Diagnostic]]:
    """The desired state of `config.environment`, and every problem found on the way. Loading
    several environments of one project, pass them the same `parsed` (empty at first): each spec
    file is then parsed once, and each environment gets its own copy (a third of the load of 10,000
    topics and 10,000 ACL bindings is the parse)."""
    ctx = SpecContext(config.root, config.environment, config.naming, config.environments, config.limits)
    problems: list[Diagnostic] = list(config.warnings)  # mqctl.yaml's, shown wherever spec problems are
    items: dict[str, tuple[object, ...]] = {}
    labels = SpecLabels()
    for kind in KINDS:
        docs = _documents(config, kind, labels, problems, parsed)
        if not docs:  # nothing to build (every kind declares nothing from no documents), so a kind
            items[kind.name] = ()  # the project does not use never loads its spec module
            continue
        built, found = kind.build(docs, ctx)
        items[kind.name] = tuple(built)
        problems.extend(found)
    desired = DesiredState(
        env=config.environment.name, folders=spec_folders(config.root), items=items, labels=labels
    )
    for kind in KINDS:
        problems.extend(kind.check(desired))
    return desired, sorted(set(problems))
