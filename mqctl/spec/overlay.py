"""What every kind's spec files share before their JSON Schema check: per-environment values
(`env:`) and labels (`labels:`). Done here, in the generic loader, so a kind gets both by existing.

`env:` may appear in every item of a top-level list (`topics[3]`) and in every top-level section
that is a mapping (`defaults:`, `brokers:`). Its entries map environment names to the values that
differ there; the one for the environment being built is merged into the mapping (nested mappings
key by key, like `config:`; other values replace), and the line of each merged key becomes the
line of the override, so every later error points at the value that was used. Names that are not
environments of mqctl.yaml are errors: a typo would otherwise silently apply to nothing.

`labels:` (string -> string) may appear in every item of a top-level list, in a top-level section
mapping, and at the top of a file (labels of every resource the file declares). They are lifted
out of the data, so kind schemas and builders never see them, and kept per item Source: the file
and line a kind's declared resource carries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mqctl.config import unknown_environments
from mqctl.diagnostics import Diagnostic
from mqctl.spec.model import Source

if TYPE_CHECKING:
    from mqctl.yamlsource import PathKey, YamlDocument

ENV_KEY = "env"
LABELS_KEY = "labels"
MAX_LABELS = 64
MAX_LABEL_VALUE = 256
# Kubernetes' label-key shape: an optional DNS prefix and `/`, then 1-63 characters.
LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
Labels = Mapping[str, str]


@dataclass
class SpecLabels:
    """Labels lifted from spec files: per declaring file, and per item (its Source)."""

    by_file: dict[str, dict[str, str]] = field(default_factory=dict)
    by_item: dict[Source, dict[str, str]] = field(default_factory=dict)

    def of(self, source: Source | None) -> dict[str, str]:
        """The labels of the resource declared at `source`: its file's, then its own."""
        if source is None:
            return {}
        return {**self.by_file.get(source.file, {}), **self.by_item.get(source, {})}


def _sections(doc: YamlDocument) -> Iterator[tuple[PathKey, dict[str, Any], bool]]:
    """(path, mapping, is_list_item) of every place `env:` and `labels:` may stand."""
    if not isinstance(doc.data, dict):
        return
    for key, value in doc.data.items():
        if isinstance(value, dict):
            yield (str(key),), value, False
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    yield (str(key), index), item, True


def declares_env(doc: YamlDocument) -> bool:
    """Whether the document sets per-environment values anywhere."""
    return any(ENV_KEY in mapping for _, mapping, _ in _sections(doc))


def _move_lines(doc: YamlDocument, value: Any, source: PathKey, target: PathKey) -> None:
    """Give `target` (and everything under it) the lines of the override at `source`."""
    line = doc.lines.get(source)
    if line is not None:
        doc.lines[target] = line
    if isinstance(value, dict):
        for key, child in value.items():
            _move_lines(doc, child, (*source, str(key)), (*target, str(key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            _move_lines(doc, child, (*source, index), (*target, index))


def _merge(doc: YamlDocument, target: dict[str, Any], override: dict[str, Any], at: PathKey, source: PathKey) -> None:
    for key, value in override.items():
        name = str(key)
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(doc, target[key], value, (*at, name), (*source, name))
            continue
        target[key] = value
        _move_lines(doc, value, (*source, name), (*at, name))


def resolve_env(doc: YamlDocument, env: str, known: tuple[str, ...]) -> list[Diagnostic]:
    """Merge the `env:` overrides for `env` into `doc` (in place) and drop the others; with `known`
    empty the environment names are not checked (a config built without mqctl.yaml)."""
    problems: list[Diagnostic] = []
    for path, mapping, _ in _sections(doc):
        if ENV_KEY not in mapping:
            continue
        overrides = mapping.pop(ENV_KEY)
        where = (*path, ENV_KEY)
        if not isinstance(overrides, dict):
            problems.append(doc.error(where, "env: maps environment names to the values that differ there, "
                                             "e.g. env: {dev: {partitions: 4}}"))
            continue
        for name, values in overrides.items():
            at = (*where, str(name))
            unknown = unknown_environments([name], known) if known else []
            problems += [doc.error(at, problem) for problem in unknown]
            if unknown or values is None:
                continue
            if not isinstance(values, dict):
                problems.append(doc.error(at, f"the values for environment {name} must be a mapping of keys "
                                              "to their values there"))
            elif ENV_KEY in values:
                problems.append(doc.error((*at, ENV_KEY), "env: cannot be nested inside env:"))
            elif str(name) == env:
                _merge(doc, mapping, values, path, at)
    return problems


def _check_labels(doc: YamlDocument, path: PathKey, raw: Any, problems: list[Diagnostic]) -> dict[str, str]:
    if not isinstance(raw, dict):
        problems.append(doc.error(path, "labels: is a mapping of names to strings, e.g. labels: {owner: order-team}"))
        return {}
    if len(raw) > MAX_LABELS:
        problems.append(doc.error(path, f"{len(raw)} labels; at most {MAX_LABELS} are allowed"))
        return {}
    labels: dict[str, str] = {}
    for key, value in raw.items():
        at = (*path, str(key))
        if not isinstance(key, str) or not LABEL_KEY.match(key):
            problems.append(doc.error(at, "a label name is 1-63 letters, digits, '-', '_' or '.', starting "
                                          "and ending with a letter or digit, optionally after a prefix like "
                                          "team.example/"))
        elif not isinstance(value, str):
            problems.append(doc.error(at, f"label values are strings; quote it ({key}: \"{value}\")"
                                          if isinstance(value, (int, float, bool)) else "label values are strings"))
        elif len(value) > MAX_LABEL_VALUE:
            problems.append(doc.error(at, f"a label value is at most {MAX_LABEL_VALUE} characters"))
        else:
            labels[key] = value
    return labels


def lift_labels(doc: YamlDocument, into: SpecLabels) -> list[Diagnostic]:
    """Take every `labels:` out of `doc` (in place) into `into`, checked."""
    problems: list[Diagnostic] = []
    if not isinstance(doc.data, dict):
        return problems
    file_labels: dict[str, str] = {}
    if LABELS_KEY in doc.data:
        file_labels.update(_check_labels(doc, (LABELS_KEY,), doc.data.pop(LABELS_KEY), problems))
    lines_taken: dict[int | None, PathKey] = {}
    for path, mapping, is_item in _sections(doc):
        if LABELS_KEY not in mapping:
            continue
        labels = _check_labels(doc, (*path, LABELS_KEY), mapping.pop(LABELS_KEY), problems)
        if not is_item:
            file_labels.update(labels)
            continue
        source = Source(doc.file, doc.line_of(path))
        other = lines_taken.setdefault(source.line, path)
        if other != path:
            problems.append(doc.error(path, "two labelled items start on one line; put each on a line of its own"))
            continue
        into.by_item[source] = labels
    if file_labels:
        into.by_file[doc.file] = file_labels
    return problems
