"""YAML loading that remembers the line of every key and list item.

PyYAML's plain loaders drop positions; we compose the node graph ourselves and keep a map from
a path (tuple of keys and indexes) to its 1-based line, so every later error can name its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mqctl.diagnostics import Diagnostic, error

PathKey = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """Parsed YAML data plus where each part of it stands in the file."""

    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)
    invalid: set[PathKey] = field(default_factory=set)  # list items that failed the schema

    def items(self, key: str) -> list[tuple[int, Any]]:
        """(index, item) of the list under `key`, leaving out items that failed the schema."""
        values = self.data.get(key) or [] if isinstance(self.data, dict) else []
        return [(i, item) for i, item in enumerate(values) if (key, i) not in self.invalid]

    def line_of(self, path: PathKey) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def error(self, path: PathKey, message: str) -> Diagnostic:
        return error(self.file, self.line_of(path), format_path(path), message)


def format_path(path: PathKey) -> str:
    """`('topics', 0, 'config', 'retention.ms')` -> `topics[0].config.retention.ms`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


# libyaml's C parser when the wheel has it (10x faster on large spec sets); the pure one otherwise.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader whose nodes keep their marks; duplicate keys are rejected in `_construct`."""


def _construct(node: yaml.Node, path: PathKey, loader: _LineLoader, lines: dict[PathKey, int]) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be plain scalars", key_node.start_mark
                )
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            child = (*path, key if isinstance(key, str) else str(key))
            lines[child] = key_node.start_mark.line + 1
            result[key] = _construct(value_node, child, loader, lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, index), loader, lines) for index, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def parse_yaml(text: str, file: str) -> YamlDocument | Diagnostic:
    """Parse one YAML document; a syntax error comes back as a Diagnostic with its line."""
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[PathKey, int] = {}
        data = None if node is None else _construct(node, (), loader, lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        return error(file, line, "", f"invalid YAML: {problem}")
    except yaml.YAMLError as exc:
        return error(file, None, "", f"invalid YAML: {exc}")
    finally:
        loader.dispose()
    return YamlDocument(file=file, data=data, lines=lines)


def load_yaml_file(path: Path, display_name: str | None = None) -> YamlDocument | Diagnostic:
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return error(name, None, "", f"cannot read file: {exc}")
    return parse_yaml(text, name)
