"""Build SubjectSpecs from `schemas/*.yaml` and check every schema offline, collecting all errors.

Each schema type is one `SchemaFormat` in `FORMATS` (how to check it, how to normalise it), never an
if-chain. Normalised text is what the diff compares, so re-indenting a schema or reordering JSON keys
is not a new version. Protobuf is parsed by proto-schema-parser (pure Python, an ANTLR grammar of
the .proto language): the `protobuf` package can only load compiled descriptors, not .proto text.
Each type's parser (fastavro, jsonschema, the Protobuf grammar in protobuf.py) loads only when a
subject of that type is checked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

from mqctl.diagnostics import Diagnostic, error
from mqctl.kinds.schemas.model import SubjectReference, SubjectSpec
from mqctl.safefiles import MAX_SCHEMA_DEPTH, RefusedPath, nesting_depth, read_project_file
from mqctl.spec.model import Source, SpecContext
from mqctl.textsafe import visible
from mqctl.yamlsource import PathKey, YamlDocument

PROTOBUF_WELL_KNOWN = "google/protobuf/"  # imports every registry resolves without a reference


class SchemaProblem(Exception):
    """Why a schema does not parse, with its line in the schema file when the parser knows it."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Dependency:
    """A reference as a schema check sees it."""

    name: str
    types: Mapping[str, Any] | None  # Avro named types of a spec subject; None: unknown offline


@dataclass(frozen=True)
class SchemaFormat:
    """How one schema type (Avro, JSON Schema, Protobuf) is checked and normalised."""

    check: Callable[[str, Sequence[Dependency]], dict[str, Any]]  # raises SchemaProblem; -> named types
    canonical: Callable[[str], str]  # never raises: text that does not parse stays as it is


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaProblem(f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from exc


def _canonical_json(text: str) -> str:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):  # RecursionError: a registry schema nested absurdly deep
        return text
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _check_avro(text: str, deps: Sequence[Dependency]) -> dict[str, Any]:
    data = _json(text)
    import fastavro  # each schema type's parser loads when a subject of that type is checked
    from fastavro.schema import SchemaParseException

    named: dict[str, Any] = {}
    for dep in deps:
        # A type from outside the specs cannot be seen offline; a stand-in lets the rest be checked.
        named.update(dep.types if dep.types is not None else {dep.name: _stand_in(dep.name)})
    try:
        fastavro.parse_schema(data, named_schemas=named)
    except fastavro.schema.UnknownType as exc:
        raise SchemaProblem(f"unknown Avro type {exc.name!r}; define it or add a reference to it") from exc
    except (SchemaParseException, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise SchemaProblem(f"not a valid Avro schema: {exc}") from exc
    return named


def _stand_in(name: str) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": []}


def _check_json_schema(text: str, deps: Sequence[Dependency]) -> dict[str, Any]:
    data = _json(text)
    if not isinstance(data, dict):
        raise SchemaProblem("a JSON Schema here is an object (the registry does not take true / false)")
    import jsonschema_rs

    try:
        # in Rust: a valid schema never loads jsonschema, whose import was the largest part of
        # validating the example specs (python -X importtime)
        if jsonschema_rs.meta.is_valid(data):
            return {}
    except Exception:  # e.g. a $schema it does not know: jsonschema decides, and explains
        pass
    import jsonschema

    try:
        jsonschema.validators.validator_for(data).check_schema(data)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise SchemaProblem(f"not a valid JSON Schema at {where}: {exc.message}") from exc
    return {}


def _check_proto(text: str, deps: Sequence[Dependency]) -> dict[str, Any]:
    from mqctl.kinds.schemas.protobuf import check_proto

    return check_proto(text, deps)


def _canonical_proto(text: str) -> str:
    from mqctl.kinds.schemas.protobuf import canonical_proto

    return canonical_proto(text)


FORMATS: Mapping[str, SchemaFormat] = {
    "AVRO": SchemaFormat(_check_avro, _canonical_json),
    "JSON": SchemaFormat(_check_json_schema, _canonical_json),
    "PROTOBUF": SchemaFormat(_check_proto, _canonical_proto),
}


def canonical(schema_type: str, text: str) -> str:
    """`text` normalised for its type (unknown types compare as written)."""
    fmt = FORMATS.get(schema_type)
    return fmt.canonical(text) if fmt else text


@dataclass(frozen=True)
class _Entry:
    """One subject entry, its schema file read, before references are resolved."""

    doc: YamlDocument
    path: PathKey
    name: str
    full_name: str
    schema_type: str
    schema_file: str  # relative to the project root, for messages
    text: str
    fields: Mapping[str, Any]

    @property
    def source(self) -> Source:
        return Source(self.doc.file, self.doc.line_of(self.path))


def _schema_text(doc: YamlDocument, at: PathKey, ctx: SpecContext, shown: str) -> str | Diagnostic:
    """The schema file a spec names (`shown`: relative to the project root), read only when it is a
    regular file inside the project, under mqctl.yaml's `limits.max_referenced_file_bytes`, and
    nested no deeper than MAX_SCHEMA_DEPTH (json.loads and the Protobuf parser recurse); otherwise
    an error at the spec's `file:` key that says why and never shows what the file holds."""
    written = str(doc.data["subjects"][at[1]]["file"])
    try:
        text = read_project_file(ctx.root, Path(doc.file).parent, written, shown, ctx.limits.max_referenced_file_bytes)
    except RefusedPath as exc:
        return doc.error(at, f"schema file {visible(shown)}: {exc}")
    if isinstance(text, Diagnostic):
        where = f" (line {text.line})" if text.line is not None else ""
        return doc.error(at, f"schema file {visible(shown)}{where}: {text.message}")
    depth = nesting_depth(text)
    if depth > MAX_SCHEMA_DEPTH:
        return doc.error(at, f"schema file {visible(shown)} nests {depth:,} levels deep; a schema may nest at most "
                             f"{MAX_SCHEMA_DEPTH}")
    return text


def _read(doc: YamlDocument, index: int, ctx: SpecContext, problems: list[Diagnostic]) -> _Entry | None:
    fields: dict[str, Any] = doc.data["subjects"][index]
    path: PathKey = ("subjects", index)
    name = fields.get("subject") or f"{fields['topic']}-{fields.get('part', 'value')}"
    relative = (Path(doc.file).parent / fields["file"]).as_posix()
    text = _schema_text(doc, (*path, "file"), ctx, relative)
    if isinstance(text, Diagnostic):
        problems.append(text)
        return None
    full_name = f"{ctx.env.name}.{name}"
    return _Entry(doc, path, name, full_name, fields["type"], relative, text, fields)


def _unique(entries: Iterable[_Entry], problems: list[Diagnostic]) -> dict[str, _Entry]:
    kept: dict[str, _Entry] = {}
    for entry in entries:
        first = kept.get(entry.name)
        if first is not None:
            problems.append(
                entry.doc.error(entry.path, f"subject {entry.name!r} is declared twice; first at {first.source}")
            )
            continue
        kept[entry.name] = entry
    return kept


def _references(
    entry: _Entry, specs: Mapping[str, _Entry], problems: list[Diagnostic]
) -> tuple[list[SubjectReference], set[str]] | None:
    """The entry's references resolved to registry subjects, and the spec subjects it needs first."""
    refs: list[SubjectReference] = []
    needs: set[str] = set()
    seen: set[str] = set()
    before = len(problems)
    for j, raw in enumerate(entry.fields.get("references") or []):
        where = (*entry.path, "references", j)
        subject, version = raw["subject"], raw.get("version")
        if raw["name"] in seen:
            problems.append(entry.doc.error((*where, "name"), f"reference name {raw['name']!r} is used twice"))
        seen.add(raw["name"])
        if subject == entry.name:
            problems.append(entry.doc.error((*where, "subject"), "a subject cannot reference itself"))
        elif subject in specs:
            needs.add(subject)
            refs.append(SubjectReference(raw["name"], specs[subject].full_name, version))
        elif version is None:
            problems.append(
                entry.doc.error(
                    (*where, "subject"),
                    f"{subject!r} is not a subject of these specs; declare it in schemas/ or give the "
                    "version of the registry subject of that full name",
                )
            )
        else:
            refs.append(SubjectReference(raw["name"], subject, version))
    return (refs, needs) if len(problems) == before else None


def _order(graph: Mapping[str, set[str]], specs: Mapping[str, _Entry], problems: list[Diagnostic]) -> list[str]:
    """Subjects in registration order: everything a subject references comes before it."""
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        cycle: list[str] = exc.args[1]
        first = specs[cycle[0]]
        problems.append(first.doc.error((*first.path, "references"), f"references form a cycle: {' -> '.join(cycle)}"))
        return []


def build_subjects(docs: Iterable[YamlDocument], ctx: SpecContext) -> tuple[list[SubjectSpec], list[Diagnostic]]:
    problems: list[Diagnostic] = []
    read = [_read(doc, index, ctx, problems) for doc in docs for index, _ in doc.items("subjects")]
    specs = _unique((e for e in read if e is not None), problems)
    resolved = {name: _references(entry, specs, problems) for name, entry in specs.items()}
    graph = {name: r[1] for name, r in resolved.items() if r is not None}
    built: dict[str, SubjectSpec] = {}
    types: dict[str, Mapping[str, Any] | None] = {}
    for name in _order(graph, specs, problems):
        entry, refs_needs = specs[name], resolved[name]
        if refs_needs is None:
            continue  # its reference problems are reported already
        refs, needs = refs_needs
        short = {specs[n].full_name: n for n in needs}
        # A referenced subject that failed its own check counts as unknown, so this one is still checked.
        deps = [Dependency(r.name, types.get(short[r.subject]) if r.subject in short else None) for r in refs]
        try:
            types[name] = FORMATS[entry.schema_type].check(entry.text, deps)
        except SchemaProblem as exc:
            problems.append(
                error(
                    entry.schema_file,
                    exc.line,
                    "",
                    f"{entry.schema_type} schema of subject {name!r} ({entry.source}): {exc.message}",
                )
            )
            continue
        if any(need not in built for need in needs):
            continue
        built[name] = SubjectSpec(
            name=name,
            full_name=entry.full_name,
            schema_type=entry.schema_type,
            file=entry.schema_file,
            schema=entry.text,
            canonical=canonical(entry.schema_type, entry.text),
            source=entry.source,
            compatibility=entry.fields.get("compatibility"),
            references=tuple(refs),
            depth=max((built[n].depth + 1 for n in needs), default=0),
        )
    return [built[name] for name in specs if name in built], problems
