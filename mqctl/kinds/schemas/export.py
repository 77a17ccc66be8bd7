"""Registry subjects under `<env>.` -> schemas/subjects.yaml plus one schema file per subject.

The latest version of each subject is written to a file of its type's extension; the entry names it
without the environment, with the subject's own compatibility level (none when the registry reports
none) and its references. A reference to an exported subject is written by its short name, with
a version only when it is not that subject's latest; any other reference keeps its full name and
version, which is how schemas/ declares a subject from outside the specs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from mqctl.exporting import Export, ExportContext, ExportedFile, document
from mqctl.kinds.schemas.live import LiveSubject, RegistryState
from mqctl.kinds.schemas.model import SubjectReference

EXTENSIONS: Mapping[str, str] = {"AVRO": ".avsc", "JSON": ".schema.json", "PROTOBUF": ".proto"}


def schema_text(subject: LiveSubject) -> str:
    """Avro and JSON Schema indented for reading (the diff compares them normalised, so this is
    no change); Protobuf exactly as registered."""
    if subject.schema_type == "PROTOBUF":
        return subject.schema
    try:
        return json.dumps(json.loads(subject.schema), indent=2, ensure_ascii=False) + "\n"
    except json.JSONDecodeError:
        return subject.schema


def _file_name(short: str, extension: str, taken: set[str]) -> str:
    """A file name from the subject name (characters unsafe in paths replaced), unique in schemas/."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", short)
    name, n = stem + extension, 1
    while name.lower() in taken:
        n += 1
        name = f"{stem}-{n}{extension}"
    taken.add(name.lower())
    return name


def _reference(ref: SubjectReference, shorts: Mapping[str, str], live: RegistryState) -> dict[str, Any]:
    if ref.subject in shorts:
        out: dict[str, Any] = {"name": ref.name, "subject": shorts[ref.subject]}
        if ref.version != live.subjects[ref.subject].version:
            out["version"] = ref.version
        return out
    return {"name": ref.name, "subject": ref.subject, "version": ref.version}


def _inexact(subject: LiveSubject, shorts: Mapping[str, str]) -> str | None:
    """Why schemas/ cannot declare `subject` exactly, if it cannot."""
    if subject.schema_type not in EXTENSIONS:
        return f"schema type {subject.schema_type} is not one schemas/ takes"
    for ref in subject.references:
        if ref.subject in shorts:
            continue
        if ref.version is None:
            return f"its reference to {ref.subject} has no version"
        if ref.subject in shorts.values():
            return f"its reference to {ref.subject} would read as the exported subject of that short name"
    return None


def export_subjects(live: RegistryState, ctx: ExportContext) -> Export:
    prefix = ctx.env.prefix
    result = Export([], [], [])
    shorts: dict[str, str] = {}
    for full in sorted(live.subjects):
        short = full[len(prefix) :]
        if not ctx.select(short):
            result.left_out.append(full)
        elif not short or any(c.isspace() for c in short):
            result.notes.append(f"subject {full!r} is not exported: schemas/ cannot name it; a plan deletes it")
        else:
            shorts[full] = short
    while inexact := {full: why for full in shorts if (why := _inexact(live.subjects[full], shorts))}:
        for full, why in inexact.items():  # whatever referenced it now references a non-spec subject
            result.notes.append(f"subject {full} is not exported: {why}; a plan deletes it")
            del shorts[full]
    entries: list[dict[str, Any]] = []
    taken: set[str] = set()
    for full, short in shorts.items():
        subject = live.subjects[full]
        file = _file_name(short, EXTENSIONS[subject.schema_type], taken)
        entry: dict[str, Any] = {"subject": short, "type": subject.schema_type, "file": file}
        if subject.compatibility is not None:
            entry["compatibility"] = subject.compatibility
        if subject.references:
            entry["references"] = [_reference(r, shorts, live) for r in subject.references]
        entries.append(entry)
        result.files.append(ExportedFile(f"schemas/{file}", schema_text(subject)))
    if entries:
        result.files.append(document("schemas/subjects.yaml", "schemas", ctx.env.name, {"subjects": entries}))
    return result
