"""Protobuf subjects: checked and normalised with proto-schema-parser (an ANTLR grammar, slow to
import: loaded only when the specs hold a Protobuf subject)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from antlr4.error.ErrorListener import ErrorListener
from proto_schema_parser import ast as proto_ast
from proto_schema_parser.generator import Generator
from proto_schema_parser.parser import Parser

from mqctl.kinds.schemas.spec import PROTOBUF_WELL_KNOWN, Dependency, SchemaProblem


class _Collect(ErrorListener):  # type: ignore[misc]
    """ANTLR prints syntax errors to stderr by default; keep them as problems instead."""

    def __init__(self) -> None:
        self.found: list[SchemaProblem] = []

    def syntaxError(self, recognizer: Any, offending: Any, line: int, column: int, msg: str, e: Any) -> None:
        self.found.append(SchemaProblem(f"Protobuf syntax error: {msg} (column {column + 1})", line))


def _parse_proto(text: str) -> proto_ast.File:
    listener = _Collect()

    def quiet(recognizer: Any) -> None:
        recognizer.removeErrorListeners()
        recognizer.addErrorListener(listener)

    try:
        parsed = Parser(setup_lexer=quiet, setup_parser=quiet).parse(text)
    except (ValueError, TypeError, AttributeError) as exc:  # the AST builder trips over a broken tree
        if listener.found:
            raise listener.found[0] from exc
        raise SchemaProblem(f"Protobuf syntax error: {exc}") from exc
    if listener.found:
        raise listener.found[0]
    return parsed


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


def check_proto(text: str, deps: Sequence[Dependency]) -> dict[str, Any]:
    names = {dep.name for dep in deps}
    for element in _parse_proto(text).file_elements:
        if (
            isinstance(element, proto_ast.Import)
            and element.name not in names
            and not element.name.startswith(PROTOBUF_WELL_KNOWN)
        ):
            raise SchemaProblem(
                f'imports "{element.name}" but no reference is named so; add it to references',
                _line_of(text, f'"{element.name}"'),
            )
    return {}


def _without_comments(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_comments(n) for n in node if not isinstance(n, proto_ast.Comment)]
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        fields = {f.name: _without_comments(getattr(node, f.name)) for f in dataclasses.fields(node) if f.init}
        return dataclasses.replace(node, **fields)
    return node


def canonical_proto(text: str) -> str:
    try:
        parsed = _parse_proto(text)
    except SchemaProblem:
        return text
    return str(Generator().generate(_without_comments(parsed)))
