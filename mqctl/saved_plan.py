"""Saved plans: a plan file that `apply` executes exactly, or not at all.

`mqctl plan --out FILE` writes the JSON plan (format_version 1) plus a `fingerprints` section:
the digest of the changes (`Plan.fingerprint`), of the specs the plan was made from (every file in
the spec folders, and the environment's settings without secrets) and of the live state it was made
against (each managed kind's snapshot, digested per resource). `mqctl apply FILE` re-reads specs and
cluster, plans again and executes only when all three still match; otherwise it names what changed.

Everything here is pure except `read_spec_sources`: paths, bytes and snapshots in; digests, the
plan file's dict and readable differences out. Secrets never reach a digest (`canonical` replaces
them by a marker), and `secrets_in` lets the writer check the file text itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from mqctl.config import Environment, Secret
from mqctl.diagnostics import Diagnostic, MqctlError
from mqctl.plan import FORMAT_VERSION, Plan, changes_fingerprint
from mqctl.safefiles import folder_files, nesting_depth
from mqctl.textsafe import visible
from mqctl.yamlsource import read_bytes

# Snapshot dataclass fields with `metadata={FINGERPRINT: False}` are context, not managed state
# (e.g. every topic name on a shared cluster): a change there must not invalidate a saved plan.
FINGERPRINT = "fingerprint"
SECRET_MARK = "<secret>"
MIN_CHECKED_SECRET = 6  # shorter secrets would "match" ordinary plan text; they are not searched for
MAX_LISTED = 20  # differences listed one by one before "... and N more"


def canonical(value: Any) -> Any:
    """A JSON-ready form that is equal for equal values: dataclass fields in order, mappings by key,
    sets sorted. A Secret becomes a fixed marker, so neither it nor its hash lands in a plan file."""
    if isinstance(value, Secret):
        return SECRET_MARK
    if isinstance(value, Enum):
        return canonical(value.value)
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: canonical(getattr(value, f.name))
            for f in fields(value)
            if f.metadata.get(FINGERPRINT, True)
        }
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((canonical(v) for v in value), key=_dumps)
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(value: Any) -> str:
    return hashlib.sha256(_dumps(canonical(value)).encode()).hexdigest()


def _entries(value: Any) -> dict[str, Any] | None:
    """The resources of a collection in a snapshot, by a readable key; None if not a collection."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return {str(v): v for v in value}
    return None


def live_resources(kind: str, snapshot: Any) -> dict[str, str]:
    """Digest per resource of one kind's snapshot, labelled so a change can be named:
    `topics[dev.order.created.v1]` for an entry of a mapping or set, `topics.brokers` for a field."""
    if is_dataclass(snapshot) and not isinstance(snapshot, type):
        parts = {f.name: getattr(snapshot, f.name) for f in fields(snapshot) if f.metadata.get(FINGERPRINT, True)}
    else:
        parts = {kind: snapshot}
    out: dict[str, str] = {}
    for name, value in parts.items():
        label = kind if name == kind else f"{kind}.{name}"
        entries = _entries(value)
        if entries is None:
            out[label] = digest(value)
        else:
            out.update({f"{label}[{key}]": digest(item) for key, item in entries.items()})
    return out


@dataclass(frozen=True)
class Fingerprints:
    changes: str  # Plan.fingerprint(): what the plan does
    spec_files: Mapping[str, str]  # spec file path (relative to the project root) -> sha256
    spec_folders: tuple[str, ...]  # spec folders present: which kinds are managed
    config: str  # the environment's settings in mqctl.yaml, secrets left out
    live: Mapping[str, str]  # live resource label -> digest (see live_resources)

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": self.changes,
            "specs": {"folders": list(self.spec_folders), "files": dict(self.spec_files), "config": self.config},
            "live": dict(self.live),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fingerprints:
        specs = data["specs"]
        return cls(
            changes=str(data["changes"]),
            spec_files={str(k): str(v) for k, v in specs["files"].items()},
            spec_folders=tuple(str(f) for f in specs["folders"]),
            config=str(specs["config"]),
            live={str(k): str(v) for k, v in data["live"].items()},
        )


def fingerprints(
    plan: Plan,
    snapshots: Mapping[str, Any],
    spec_sources: Mapping[str, bytes],
    spec_folders: Iterable[str],
    env: Environment,
    naming_pattern: str,
) -> Fingerprints:
    live: dict[str, str] = {}
    for kind, snapshot in sorted(snapshots.items()):
        live.update(live_resources(kind, snapshot))
    return Fingerprints(
        changes=plan.fingerprint(),
        spec_files={path: hashlib.sha256(data).hexdigest() for path, data in sorted(spec_sources.items())},
        spec_folders=tuple(sorted(spec_folders)),
        config=digest({"environment": env, "naming_pattern": naming_pattern}),
        live=dict(sorted(live.items())),
    )


@dataclass(frozen=True)
class SavedPlan:
    source: str  # where it was read from, for messages
    environment: str
    changes: list[Any]  # the changes as saved (Change.to_dict), checked against fingerprints.changes
    fingerprints: Fingerprints
    targets: tuple[str, ...] = ()  # the `--target`s it was planned with


def saved_plan_dict(plan: Plan, prints: Fingerprints) -> dict[str, Any]:
    """The plan file: the documented JSON plan plus its fingerprints."""
    return {**plan.to_dict(), "fingerprints": prints.to_dict()}


MAX_PLAN_DEPTH = 32  # a plan file nests about 8 levels; json.loads recurses once per level


def _format_version(value: Any, source: str) -> None:
    """Refuse a plan file of another format, saying which: a string where a number belongs (an
    edited file), or a number this mqctl does not read (a newer or older mqctl wrote it)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MqctlError(
            f"{source}: format_version is {visible(repr(value))}, not a number; `mqctl plan --out` writes "
            f"format_version {FORMAT_VERSION} (was the file edited?)"
        )
    if value != FORMAT_VERSION:
        newer = "a newer" if value > FORMAT_VERSION else "an older"
        raise MqctlError(
            f"{source}: plan format_version {value} is not supported (this mqctl reads {FORMAT_VERSION}; "
            f"{newer} mqctl wrote it); make the plan again with this mqctl"
        )


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def read_saved_plan(text: str, source: str) -> SavedPlan:
    """Parse a plan file; MqctlError (naming the file) if it is not one `mqctl plan --out` wrote, is
    of another format, or was edited after it was saved (its changes do not match their
    fingerprint). All of this is checked before anything connects."""
    if nesting_depth(text) > MAX_PLAN_DEPTH:
        raise MqctlError(f"{source}: not a saved mqctl plan (nested more than {MAX_PLAN_DEPTH} levels deep)")
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise TypeError("the file holds no JSON object")
        _format_version(data["format_version"], source)
        prints = Fingerprints.from_dict(data["fingerprints"])
        environment, changes, targets = data["environment"], data["changes"], data.get("targets", [])
        if not isinstance(environment, str) or not isinstance(changes, list) or not _strings(targets):
            raise TypeError("environment, changes or targets is not of the type mqctl writes")
        saved = SavedPlan(source, environment, changes, prints, tuple(targets))
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise MqctlError(
            f"{source}: not a saved mqctl plan ({type(exc).__name__}: {visible(str(exc))}); write one with "
            "`mqctl plan --env ENV --out FILE`"
        ) from None
    if changes_fingerprint(saved.changes) != prints.changes:
        raise MqctlError(
            f"{source}: the plan file was edited after it was saved (its changes do not match its fingerprint); "
            "nothing was applied. Make and review a new plan (mqctl plan --out)"
        )
    return saved


def _keyed(before: Mapping[str, str], after: Mapping[str, str], what: str, verbs: tuple[str, str, str]) -> list[str]:
    """One line per key whose value changed, was added or went away: `verbs` says it that way."""
    edited, added, gone = verbs
    out = [f"{what.format(k)} {edited}" for k in sorted(before.keys() & after.keys()) if before[k] != after[k]]
    out += [f"{what.format(k)} {added}" for k in sorted(after.keys() - before.keys())]
    out += [f"{what.format(k)} {gone}" for k in sorted(before.keys() - after.keys())]
    return out


def what_changed(saved: SavedPlan, now: Fingerprints) -> list[str]:
    """Why `saved` may not be applied any more, one readable line per difference; empty if it may."""
    was = saved.fingerprints
    out: list[str] = []
    files = ("was edited", "was added", "was removed")
    out += _keyed(dict.fromkeys(was.spec_folders, ""), dict.fromkeys(now.spec_folders, ""), "spec folder {}/", files)
    out += _keyed(was.spec_files, now.spec_files, "spec file {}", files)
    if was.config != now.config:
        out.append(f"the settings of environment {saved.environment} in mqctl.yaml changed")
    cluster = ("changed on the cluster", "appeared on the cluster", "disappeared from the cluster")
    out += _keyed(was.live, now.live, "{}", cluster)
    if not out and was.changes != now.changes:
        out.append(
            "the plan made now differs from the saved one although specs and cluster are unchanged "
            "(was it saved by another version of mqctl?)"
        )
    if len(out) > MAX_LISTED:
        out = [*out[:MAX_LISTED], f"... and {len(out) - MAX_LISTED} more"]
    return out


def secrets_in(value: Any) -> Iterator[str]:
    """The revealed values of every Secret inside `value` (dataclasses, mappings, sequences)."""
    if isinstance(value, Secret):
        yield value.reveal()
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from secrets_in(getattr(value, f.name))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from secrets_in(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from secrets_in(item)


def leaked_secret(text: str, *holders: Any) -> bool:
    """True if any secret held by `holders` (long enough to search for) appears in `text`."""
    return any(len(s) >= MIN_CHECKED_SECRET and s in text for h in holders for s in secrets_in(h))


def read_spec_sources(root: Path, spec_folders: Iterable[str]) -> tuple[dict[str, bytes], list[str]]:
    """Every file under the spec folders (schema files included, not only YAML), by path relative
    to `root`, and the spec folders present: the listing the loader reads its YAML files from
    (mqctl.safefiles.folder_files: hidden names skipped by both). A file that may not be read
    (a link leading out, a FIFO) or is over the size bound stands in by why, never by its content:
    the loader refuses it too, so no plan is made from it. The one bit of I/O in this module."""
    files: dict[str, bytes] = {}
    folders = []
    for folder in spec_folders:
        if not (root / folder).is_dir():
            continue
        folders.append(folder)
        for listed in folder_files(root, folder):
            data = read_bytes(listed.path, listed.relative) if listed.refusal is None else listed.refusal
            if isinstance(data, Diagnostic):
                data = data.message
            files[listed.relative] = data if isinstance(data, bytes) else f"not read: {data}".encode()
    return files, folders
