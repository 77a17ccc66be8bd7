"""Schema-registry subjects: desired SubjectSpecs vs the registry snapshot -> typed changes.

Pure: no I/O. Schemas are compared in their normalised form (formatting is never a new version);
references to spec subjects that get a new version in the same plan follow it, so a subject is
registered after everything it references and deleted before anything it references.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from mqctl.diagnostics import Diagnostic, warning
from mqctl.kinds.schemas.changes import SubjectCompatibility, SubjectDelete, SubjectRegister
from mqctl.kinds.schemas.live import LiveSubject, RegistryState
from mqctl.kinds.schemas.model import SubjectReference, SubjectSpec
from mqctl.kinds.schemas.spec import canonical
from mqctl.plan import Change, FieldDiff


def fingerprint(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:12]


def _show_refs(refs: Sequence[SubjectReference]) -> str | None:
    if not refs:
        return None
    return ", ".join(f"{r.name} -> {r.subject}@{r.version or 'latest'}" for r in sorted(refs))


def _resolve(ref: SubjectReference, live: RegistryState, registering: set[str]) -> SubjectReference:
    """A spec-subject reference without version pins the live latest, unless this plan registers
    a new version of it: then it stays open and apply fills in the version it registered."""
    current = live.subjects.get(ref.subject)
    if ref.version is not None or ref.subject in registering or current is None:
        return ref
    return SubjectReference(ref.name, ref.subject, current.version)


def _register(
    spec: SubjectSpec, current: LiveSubject | None, refs: tuple[SubjectReference, ...], pending: list[str]
) -> SubjectRegister | None:
    new_text = canonical(spec.schema_type, spec.schema)
    if current is not None:
        same = (
            current.schema_type == spec.schema_type
            and canonical(current.schema_type, current.schema) == new_text
            and sorted(current.references) == sorted(refs)
        )
        if same:
            return None
    before = current.version if current else None
    diffs = [FieldDiff("version", before, "new" if before is None else f"new, after v{before}")]
    if current is None or current.schema_type != spec.schema_type:
        diffs.append(FieldDiff("type", current.schema_type if current else None, spec.schema_type))
    old_print = fingerprint(canonical(current.schema_type, current.schema)) if current else None
    diffs.append(FieldDiff("schema", old_print, f"{spec.file} {fingerprint(new_text)}"))
    old_refs = _show_refs(current.references) if current else None
    if old_refs != _show_refs(refs):
        diffs.append(FieldDiff("references", old_refs, _show_refs(refs)))
    return SubjectRegister(
        spec.full_name,
        tuple(diffs),
        schema_type=spec.schema_type,
        schema=spec.schema,
        references=refs,
        latest_version=before,
        check=not pending,
        depth=spec.depth,
    )


def _warn(spec: SubjectSpec, message: str) -> Diagnostic:
    return warning(spec.source.file, spec.source.line, "compatibility", f"{spec.full_name}: {message}")


def _delete_depths(names: Sequence[str], live: RegistryState) -> dict[str, int]:
    """For each subject to delete, the longest chain of other deleted subjects referencing it."""
    referrers: dict[str, set[str]] = {name: set() for name in names}
    for name in names:
        for ref in live.subjects[name].references:
            if ref.subject in referrers:
                referrers[ref.subject].add(name)
    depth: dict[str, int] = {}

    def walk(name: str, seen: frozenset[str]) -> int:
        if name not in depth:
            depth[name] = max((walk(r, seen | {name}) + 1 for r in referrers[name] - seen), default=0)
        return depth[name]

    for name in names:
        walk(name, frozenset())
    return depth


def diff_subjects(desired: Sequence[SubjectSpec], live: RegistryState) -> tuple[list[Change], list[Diagnostic]]:
    """Changes that make the registry's subjects of this environment match `desired`."""
    changes: list[Change] = []
    problems: list[Diagnostic] = []
    registering: set[str] = set()
    for spec in sorted(desired, key=lambda s: (s.depth, s.name)):
        current = live.subjects.get(spec.full_name)
        level = current.compatibility if current else None
        if spec.compatibility is not None and spec.compatibility != level:
            changes.append(
                SubjectCompatibility(
                    spec.full_name, (FieldDiff("level", level, spec.compatibility),), level=spec.compatibility
                )
            )
        refs = tuple(_resolve(r, live, registering) for r in spec.references)
        pending = sorted(r.subject for r in refs if r.subject in registering)
        register = _register(spec, current, refs, pending)
        if register is None:
            continue
        registering.add(spec.full_name)
        changes.append(register)
        if current is not None and pending:
            problems.append(
                _warn(
                    spec,
                    f"compatibility is not checked by the plan: it references {', '.join(pending)}, whose "
                    "new version this apply registers first; the registry checks it at apply",
                )
            )
        if current is not None and spec.compatibility not in (None, level):
            problems.append(
                _warn(
                    spec,
                    f"the plan checks the new version under the registry's current level {level}; apply "
                    f"sets {spec.compatibility} first and the registry checks it again under that",
                )
            )
    wanted = {spec.full_name for spec in desired}
    gone = sorted(name for name in live.subjects if name not in wanted)
    depths = _delete_depths(gone, live)
    for name in gone:
        subject = live.subjects[name]
        changes.append(
            SubjectDelete(
                name,
                (FieldDiff("version", subject.version, None),),
                risks=(f"soft-deletes every version of subject {name}; clients can no longer fetch it by subject",),
                depth=depths[name],
            )
        )
    return changes, problems
