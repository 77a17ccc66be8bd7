"""YAML loading that remembers the line of every key and list item, bounded for untrusted input.

PyYAML's plain loaders drop positions; we compose the node graph with libyaml and build the data
ourselves, keeping a map from a path (tuple of keys and indexes) to its 1-based line, so every
later error can name its line.

Spec files arrive in pull requests, so building the data is bounded (issue 12):
- alias expansion: the composed graph shares aliased nodes, but building data from it copies them,
  so a few hundred bytes of nested aliases ("billion laughs") would grow to gigabytes. We count the
  nodes built and those built through an alias, and refuse a document whose alias share is too high,
  with the rule of go-yaml (decoder.go, `allowedAliasRatio`): anything goes up to 400,000 nodes,
  then the share of aliased nodes allowed falls from 99% to 10% at 4,000,000;
- an alias inside the node it refers to (`&a [*a]`) is refused instead of recursing forever;
- nesting deeper than `MAX_DEPTH` is refused (libyaml itself stops at 1,000 levels, which is past
  Python's recursion limit);
- merge keys (`<<: *base`, `<<: [*a, *b]`) are done here with PyYAML's precedence (keys written in
  the mapping win, then the first mapping of a merge list); a merged key keeps the line it is
  written on, in the anchored mapping;
- a value PyYAML cannot construct (`2001-13-45`, `!!int x`) is an error on its line, not a
  traceback; so are control characters, a file that is not UTF-8 and a file over `MAX_FILE_BYTES`.

Some problems do not stop parsing; they are kept in `YamlDocument.problems` and reported with the
schema problems (`schema_check.check`), so `validate` still shows everything at once: `.inf`/`.nan`
(no Kafka number is infinite, and NaN passes every JSON Schema range check), and strings holding
control or bidirectional characters (`"\\e[2K"`, `"\\u202e"`) that could rewrite what a reviewer sees.
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mqctl.diagnostics import Diagnostic, error
from mqctl.textsafe import FORBIDDEN_IN_SPECS, describe_forbidden

PathKey = tuple[str | int, ...]

MAX_DEPTH = 64  # nesting of mappings and lists; specs need fewer than 10
MAX_FILE_BYTES = 16 * 2**20  # a spec file of 10,000 topics is about 1.5 MiB
_ALIAS_FREE_NODES = 400_000  # go-yaml's alias_ratio_range_low
_ALIAS_STRICT_NODES = 4_000_000  # go-yaml's alias_ratio_range_high
_MERGE_TAG = "tag:yaml.org,2002:merge"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_Scalar = yaml.ScalarNode
_RESOLVED: dict[str, str] = {}  # plain scalar -> its implicit tag, bounded (see _LineLoader.resolve)
_RESOLVED_MAX = 4096


@dataclass
class YamlDocument:
    """Parsed YAML data plus where each part of it stands in the file."""

    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)
    invalid: set[PathKey] = field(default_factory=set)  # list items that failed the schema
    problems: list[Diagnostic] = field(default_factory=list)  # found while loading; see module doc

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

    def copy(self) -> YamlDocument:
        """A copy to change in place (each environment resolves its own values into the document,
        mqctl.spec.overlay), so that one parse serves every environment: new mappings and lists,
        the same scalars (the parse never shares a mapping or list, an alias's included: `_Builder`
        builds each expansion anew). 20,000 topic and ACL entries: 26 ms, against 136 ms to parse."""
        return YamlDocument(self.file, _copied(self.data), dict(self.lines), set(self.invalid), list(self.problems))


def _copied(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


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


# First characters of a plain scalar that some implicit resolver (bool, int, float, null,
# timestamp, merge, ...) looks at; SafeLoader has no wildcard and no path resolvers.
_RESOLVED_FIRST = frozenset(key for key in _BaseLoader.yaml_implicit_resolvers if key is not None)


class _LineLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader used for composing nodes and constructing scalars; collections are built by
    `_Builder`, which bounds them."""

    _RESOLVED_FIRST = _RESOLVED_FIRST

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        """PyYAML's resolve, answered at once for what most spec scalars are: text. libyaml calls
        it for every scalar (a third of parsing a large spec set); a quoted scalar, or a plain one
        whose first character no implicit resolver takes (`order.created.v1`, `READ`), is a str,
        exactly as BaseResolver.resolve would find after trying the resolvers (and so are mappings
        and lists, there being no path resolvers)."""
        if kind is not _Scalar:
            return _MAP_TAG if kind is yaml.MappingNode else _SEQ_TAG
        if not implicit[0] or (value and value[0] not in self._RESOLVED_FIRST):
            return _STR_TAG
        tag = _RESOLVED.get(value)  # keys repeat in every entry: `name`, `partitions`, `true`
        if tag is None:
            tag = super().resolve(kind, value, implicit)  # for a plain scalar: a function of the text alone
            if len(_RESOLVED) < _RESOLVED_MAX:
                _RESOLVED[value] = tag
        return tag


_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


class _Refused(Exception):
    """The document cannot be built; `line` is where (1-based) when known."""

    def __init__(self, node: yaml.Node | None, message: str, line: int | None = None) -> None:
        super().__init__(message)
        if line is None and node is not None and node.start_mark is not None:
            line = node.start_mark.line + 1
        self.line = line
        self.message = message


def _allowed_alias_share(decoded: int) -> float:
    """go-yaml's allowedAliasRatio: 0.99 up to 400,000 nodes, falling linearly to 0.10 at 4,000,000."""
    if decoded <= _ALIAS_FREE_NODES:
        return 0.99
    if decoded >= _ALIAS_STRICT_NODES:
        return 0.10
    span = _ALIAS_STRICT_NODES - _ALIAS_FREE_NODES
    return 0.99 - 0.89 * (decoded - _ALIAS_FREE_NODES) / span


class _Builder:
    """Builds Python data from a composed node graph: lines recorded, aliases and depth bounded."""

    __slots__ = ("active", "alias_line", "aliased", "check_strings", "decoded", "file", "lines", "loader", "problems",
                 "seen")

    def __init__(self, loader: _LineLoader, file: str, check_strings: bool) -> None:
        self.loader = loader
        self.file = file
        self.check_strings = check_strings  # only when the text could hold a control character
        self.lines: dict[PathKey, int] = {}
        self.problems: list[Diagnostic] = []
        self.decoded = 0  # nodes built, an alias's nodes counted every time it is expanded
        self.aliased = 0  # of those, nodes built through an alias
        self.seen: set[int] = set()  # collection nodes built at least once (a second time is an alias)
        self.active: set[int] = set()  # collection nodes being built: one met again is a recursive alias
        self.alias_line: int | None = None

    def build(self, node: yaml.Node, path: PathKey, depth: int, in_alias: bool) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if type(node) is _Scalar:
            self.decoded += 1
            if in_alias:
                self.aliased += 1
            return self._scalar(node, path)
        return self._collection(node, path, depth, in_alias)

    def _collection(self, node: yaml.Node, path: PathKey, depth: int, in_alias: bool) -> Any:
        self.decoded += 1
        ident = id(node)
        if ident in self.active:
            raise _Refused(node, "an alias refers to the mapping or list that contains it (a recursive alias)")
        if in_alias or ident in self.seen:
            if not in_alias:
                self.alias_line = self.lines.get(path)  # where the alias is used (an anchor has no mark)
                in_alias = True
            self.aliased += 1
            if (
                self.aliased > 100
                and self.decoded > 1000
                and self.aliased > _allowed_alias_share(self.decoded) * self.decoded
            ):
                raise _Refused(
                    node,
                    f"aliases expand this document to more than {self.decoded:,} values, "
                    f"{self.aliased:,} of them copies of anchored ones; refused as an alias bomb",
                    self.alias_line,
                )
        else:
            self.seen.add(ident)
        if depth >= MAX_DEPTH:
            raise _Refused(node, f"nested more than {MAX_DEPTH} levels deep; specs need far fewer")
        self.active.add(ident)
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path, depth, in_alias)
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*path, i), depth + 1, in_alias) for i, item in enumerate(node.value)]
            raise _Refused(node, f"unexpected YAML node {type(node).__name__}")
        finally:
            self.active.discard(ident)

    def _scalar(self, node: yaml.ScalarNode, path: PathKey) -> Any:
        tag = node.tag
        if tag == _STR_TAG:  # what SafeConstructor would return, without its bookkeeping (most scalars)
            value: Any = node.value
            if self.check_strings:
                self._check_string(value, node, path)
            return value
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, TypeError, OverflowError) as exc:  # 2001-13-45, !!int x, a bad offset
            raise _Refused(node, f"{node.value!r} is not a valid {tag.rsplit(':', 1)[-1]}: {exc}") from None
        if tag == _FLOAT_TAG and isinstance(value, float) and not math.isfinite(value):
            self.problems.append(
                error(self.file, node.start_mark.line + 1, format_path(path),
                      f"{node.value} is not a number mqctl accepts: Kafka has no infinite or NaN values")
            )
        elif self.check_strings and isinstance(value, str):
            self._check_string(value, node, path)
        return value

    def _check_string(self, value: str, node: yaml.Node, path: PathKey) -> None:
        reason = describe_forbidden(value)
        if reason is not None:
            self.problems.append(
                error(self.file, node.start_mark.line + 1, format_path(path),
                      f"the value {reason}; control and bidirectional characters can change what a reviewer "
                      "sees in a terminal or a pull request, and no name, value or path needs them")
            )

    def _mapping(self, node: yaml.MappingNode, path: PathKey, depth: int, in_alias: bool) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        merges: list[yaml.Node] = []
        lines = self.lines
        for key_node, value_node in node.value:
            if type(key_node) is not _Scalar:
                raise _Refused(key_node, "mapping keys must be plain scalars")
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            key = self._scalar(key_node, path)
            if key is None or not isinstance(key, (str, int, float, bool)):
                raise _Refused(key_node, "mapping keys must be plain scalars")
            if key in result:
                raise _Refused(key_node, f"duplicate key {key!r}")
            child = (*path, key if type(key) is str else str(key))
            lines[child] = key_node.start_mark.line + 1
            if type(value_node) is _Scalar:  # inlined build() for the common case: a scalar value
                self.decoded += 1
                if in_alias:
                    self.aliased += 1
                result[key] = self._scalar(value_node, child)
            else:
                result[key] = self._collection(value_node, child, depth + 1, in_alias)
        if merges:
            self._merge(result, merges, path, depth, in_alias)
        return result

    def _merge(self, result: dict[Any, Any], merges: list[yaml.Node], path: PathKey, depth: int,
               in_alias: bool) -> None:
        """PyYAML's merge: a later `<<` wins over an earlier one, and in `<<: [*a, *b]` a over b;
        keys written in the mapping itself win over all of them."""
        sources: list[yaml.Node] = []
        for value_node in reversed(merges):
            items = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for item in items:
                if not isinstance(item, yaml.MappingNode):
                    raise _Refused(item, "a merge key (<<) takes a mapping or a list of mappings")
                sources.append(item)
        own_lines = self.lines
        for source in sources:
            self.lines = {}
            try:
                merged = self.build(source, path, depth, in_alias)
            finally:
                merged_lines, self.lines = self.lines, own_lines
            taken = set()
            for key, value in merged.items():
                if key not in result:
                    result[key] = value
                    taken.add(key if isinstance(key, str) else str(key))
            at = len(path)
            for key_path, line in merged_lines.items():
                if len(key_path) > at and key_path[at] in taken:
                    self.lines.setdefault(key_path, line)


# --- the fast path: plain block YAML, as nearly every spec file is ----------------------------------
#
# Composing a node graph through libyaml costs about 10 us a value (a Python node, two marks and three
# callbacks each), three quarters of loading 10,000 topics and 10,000 ACL entries. Files written in
# the plain block style specs use are read line by line instead, into exactly the data, lines and
# (no) problems `_Builder` gives them. Anything else (aliases, merge keys, tags, block or multi-line
# scalars, quotes with escapes, flow mappings, tabs, non-ASCII text, a key that is not text, a
# duplicate key, a value of a type other than text, int, bool, null or a finite float, and every
# error) makes `_simple_document` answer None and the file goes the full way, errors and all.
# tests/unit/test_yaml_fast.py compares both ways on the example specs and on generated documents.

_NOT_PLAIN_TEXT = re.compile(r"[^\n\x20-\x7e]")  # tabs, CR, control and non-ASCII: the full way
# a line: indent, a list item's dash, a key, then a plain scalar (no `: `, ` #`, `\\`, no indicator
# first) or anything else (`_value` sorts it out), then an optional comment
_LINE = re.compile(
    r"( *)(?:(-)(?: +|$))?(?:([A-Za-z0-9_][A-Za-z0-9_.-]*):(?: +|$))?"
    r"(?:((?:[A-Za-z0-9_/(.+]|-(?=[0-9]))(?:[A-Za-z0-9_ ./:,()'@+=-]*[A-Za-z0-9_./:,()'@+=-])?)|(.*?))(?: +#.*)? *"
)
_PLAIN = re.compile(r"([A-Za-z0-9_/(.+]|-(?=[0-9]))[A-Za-z0-9_ ./:,()'@+=-]*(?: +#.*)?")
_QUOTED = re.compile(r"'([^'\n]*)'(?: +#.*)?|\"([^\"\\\n]*)\"(?: +#.*)?")
_FLOW_ITEM = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
_FLOW_LIST = re.compile(rf"\[ *((?:{_FLOW_ITEM})(?: *, *{_FLOW_ITEM})*)? *\](?: +#.*)?")
_FLOW_SPLIT = re.compile(" *, *")
_EMPTY_MAP = re.compile(r"\{ *\}(?: +#.*)?")
_COMMENT = re.compile(r" +#.*")
_FAST_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", _FLOAT_TAG})
_DASH, _KEYED, _VALUE = 0, 1, 2
_NONE = object()  # a key with nothing after it on its line


class _NotSimple(Exception):
    """Not a file the fast path reads exactly: the full parser decides."""


def _plain_tag(value: str) -> str:
    """The implicit tag of a plain scalar: a function of its text alone (see _LineLoader.resolve)."""
    if value and value[0] not in _RESOLVED_FIRST:
        return _STR_TAG
    tag = _RESOLVED.get(value)
    if tag is None:
        tag = _RESOLVER.resolve(_Scalar, value, (True, False))  # type: ignore[no-untyped-call]
        if len(_RESOLVED) < _RESOLVED_MAX:
            _RESOLVED[value] = tag
    return tag


def _plain_value(text: str) -> Any:
    tag = _plain_tag(text)
    if tag == _STR_TAG:
        return text
    if tag not in _FAST_TAGS:
        raise _NotSimple
    try:
        value = _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, text))
    except Exception:  # the full way reports it on its line
        raise _NotSimple from None
    if isinstance(value, float) and not math.isfinite(value):
        raise _NotSimple  # a problem the full way reports
    return value


def _value(rest: str) -> Any:
    """The value written after `key: ` or `- ` (comment stripped), or _NONE when there is none."""
    if not rest or rest[0] == "#":
        return _NONE
    first = rest[0]
    if first == "'" or first == '"':
        quoted = _QUOTED.fullmatch(rest)
        if quoted is None:
            raise _NotSimple
        return quoted.group(1) if first == "'" else quoted.group(2)
    if first == "[":
        flow = _FLOW_LIST.fullmatch(rest)
        if flow is None:
            raise _NotSimple
        items = flow.group(1)
        return [] if items is None else [_plain_value(item) for item in _FLOW_SPLIT.split(items)]
    if first == "{":
        if _EMPTY_MAP.fullmatch(rest) is None:
            raise _NotSimple
        return {}
    if _PLAIN.fullmatch(rest) is None:
        raise _NotSimple
    comment = _COMMENT.search(rest)
    text = rest if comment is None else rest[: comment.start()]
    if ": " in text or text.endswith(":"):
        raise _NotSimple
    return _plain_value(text)


def _tokens(text: str) -> list[tuple[int, int, int, Any, Any]]:
    """(kind, line, column, key, value) of each `- `, `key:` and value after `- `, in order."""
    out: list[tuple[int, int, int, Any, Any]] = []
    append = out.append
    line_match = _LINE.fullmatch
    resolved_first = _RESOLVED_FIRST
    for number, raw in enumerate(text.split("\n"), 1):
        match = line_match(raw)  # matches every line: `other` takes anything
        if match is None:
            raise _NotSimple
        indent, dash, key, plain, other = match.groups()
        if plain is not None:
            if ": " in plain or plain[-1] == ":":
                raise _NotSimple
            value = plain if plain[0] not in resolved_first else _plain_value(plain)
            column = match.start(4)
        elif other:
            value = _NONE if other[0] == "#" else _value(other)
            column = match.start(5)
        else:
            value = _NONE
            column = match.start(5)
        if key is not None:
            if key[0] in resolved_first and _plain_tag(key) != _STR_TAG:
                raise _NotSimple
            column = match.start(3)
        if dash is None:
            if key is None:
                if value is _NONE:
                    continue  # blank, or a comment
                raise _NotSimple  # a value on its own line: a continuation, a document marker, ...
            append((_KEYED, number, column, key, value))
            continue
        append((_DASH, number, len(indent), None, None))
        if key is not None:
            append((_KEYED, number, column, key, value))
        elif value is _NONE:
            raise _NotSimple  # an empty list item
        else:
            append((_VALUE, number, column, None, value))
    return out


class _SimpleReader:
    """Builds data and lines from `_tokens`, as `_Builder` would from the composed nodes."""

    __slots__ = ("at", "lines", "tokens")

    def __init__(self, tokens: list[tuple[int, int, int, Any, Any]]) -> None:
        self.tokens = tokens
        self.at = 0
        self.lines: dict[PathKey, int] = {}

    def document(self) -> dict[str, Any]:
        if not self.tokens or self.tokens[0][0] != _KEYED or self.tokens[0][2] != 0:
            raise _NotSimple
        self.lines[()] = self.tokens[0][1]
        data = self.mapping(0, (), 1)
        if self.at != len(self.tokens):
            raise _NotSimple
        return data

    def _collection(self, path: PathKey, depth: int, indentless_at: int) -> Any:
        """The block under a key with no value on its line: deeper, or a list at the key's column."""
        if depth >= MAX_DEPTH - 1:
            raise _NotSimple
        tokens, at = self.tokens, self.at
        if at < len(tokens):
            kind, _, column, _, _ = tokens[at]
            if column > indentless_at and kind == _KEYED:
                return self.mapping(column, path, depth)
            if column > indentless_at:
                return self.sequence(column, path, depth, False)
            if column == indentless_at and kind == _DASH:
                return self.sequence(column, path, depth, True)
        return None

    def _item_lines(self, path: PathKey, items: list[Any], line: int) -> None:
        """A `[a, b]` written on one line: each item's line is that line."""
        for index in range(len(items)):
            self.lines.setdefault((*path, index), line)

    def mapping(self, column: int, path: PathKey, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        tokens, lines = self.tokens, self.lines
        count = len(tokens)
        while self.at < count:
            kind, line, at_column, key, value = tokens[self.at]
            if kind != _KEYED or at_column != column:
                break
            self.at += 1
            if key in result:
                raise _NotSimple
            child = (*path, key)
            lines[child] = line
            if value is _NONE:
                value = self._collection(child, depth + 1, column)
            elif type(value) is list:
                self._item_lines(child, value, line)
            result[key] = value
        if self.at < count and tokens[self.at][2] >= column:
            raise _NotSimple  # deeper or a `- ` at this column after a mapping: not well formed
        return result

    def sequence(self, column: int, path: PathKey, depth: int, indentless: bool) -> list[Any]:
        result: list[Any] = []
        tokens, lines = self.tokens, self.lines
        count = len(tokens)
        while self.at < count:
            kind, line, at_column, _, _ = tokens[self.at]
            if kind != _DASH or at_column != column:
                break
            self.at += 1
            kind, line, at_column, _, value = tokens[self.at]  # a dash is always followed (see _tokens)
            child = (*path, len(result))
            lines.setdefault(child, line)
            if kind == _VALUE:
                self.at += 1
                if type(value) is list:
                    self._item_lines(child, value, line)
                result.append(value)
            else:
                if depth >= MAX_DEPTH - 1:
                    raise _NotSimple
                result.append(self.mapping(at_column, child, depth + 1))
        if self.at < count:
            kind, _, at_column, _, _ = tokens[self.at]
            if at_column > column or (at_column == column and not (indentless and kind == _KEYED)):
                raise _NotSimple
        return result


def _simple_document(text: str, file: str) -> YamlDocument | None:
    """The document read by the fast path, or None when the full parser must read it."""
    if _NOT_PLAIN_TEXT.search(text) is not None:
        return None
    try:
        reader = _SimpleReader(_tokens(text))
        data = reader.document()
    except (_NotSimple, IndexError):
        return None
    return YamlDocument(file=file, data=data, lines=reader.lines)


def _reader_error(exc: yaml.reader.ReaderError, text: str, file: str) -> Diagnostic:
    line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
    char = exc.character
    what = f"U+{char:04X}" if isinstance(char, int) else repr(char)
    return error(file, line, "", f"invalid YAML: the character {what} is not allowed ({exc.reason})")


def parse_yaml(text: str, file: str) -> YamlDocument | Diagnostic:
    """Parse one YAML document; a syntax error or a refused document comes back as a Diagnostic
    with its line. Never raises for any text."""
    simple = _simple_document(text, file)
    if simple is not None:
        return simple
    check_strings = "\\" in text or FORBIDDEN_IN_SPECS.search(text) is not None
    try:
        loader = _LineLoader(text)
    except UnicodeError as exc:  # a lone surrogate: only in text that did not come from a file
        return error(file, None, "", f"invalid YAML: not valid Unicode text ({exc})")
    try:
        node = loader.get_single_node()
        builder = _Builder(loader, file, check_strings)
        data = None if node is None else builder.build(node, (), 0, False)
    except _Refused as exc:
        return error(file, exc.line, "", f"invalid YAML: {exc.message}")
    except yaml.reader.ReaderError as exc:
        return _reader_error(exc, text, file)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        return error(file, line, "", f"invalid YAML: {problem}")
    except yaml.YAMLError as exc:
        return error(file, None, "", f"invalid YAML: {exc}")
    except RecursionError:  # the pure-Python composer (no libyaml) has no nesting limit of its own
        return error(file, None, "", f"invalid YAML: nested more than {MAX_DEPTH} levels deep")
    finally:
        loader.dispose()
    return YamlDocument(file=file, data=data, lines=builder.lines, problems=builder.problems)


def read_bytes(path: Path, name: str, limit: int = MAX_FILE_BYTES) -> bytes | Diagnostic:
    """The bytes of a regular file of at most `limit` bytes. Opened without blocking and checked
    before reading, so a FIFO or device named like a spec file can neither hang nor flood us; read
    at most limit + 1 bytes, so a file growing meanwhile is still caught."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        return error(name, None, "", f"cannot read file: {getattr(exc, 'strerror', None) or exc}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return error(name, None, "", "cannot read file: not a regular file")
        if info.st_size > limit:
            return error(name, None, "", f"file is {info.st_size:,} bytes; the limit is {limit:,}")
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            return error(name, None, "", f"file is over the limit of {limit:,} bytes")
    except OSError as exc:
        return error(name, None, "", f"cannot read file: {exc.strerror or exc}")
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_text_file(path: Path, name: str, limit: int = MAX_FILE_BYTES) -> str | Diagnostic:
    """The UTF-8 text of a regular file of at most `limit` bytes (see `read_bytes`)."""
    data = read_bytes(path, name, limit)
    if isinstance(data, Diagnostic):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = f"0x{data[exc.start]:02x}"
        return error(name, line, "", f"not UTF-8 text: byte {bad} cannot be decoded; save the file as UTF-8")


def load_yaml_file(path: Path, display_name: str | None = None) -> YamlDocument | Diagnostic:
    name = display_name or str(path)
    text = read_text_file(path, name)
    if isinstance(text, Diagnostic):
        return text
    return parse_yaml(text, name)
