"""`--target KIND:NAME` (Terraform's -target): limit a plan to some resources. NAME is a glob over the
name written without the environment (the full name matches too); KIND is a kind's folder name or a
glob over them. Changes outside every target are never planned, deletes included."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from mqctl.diagnostics import Diagnostic, MqctlError, warning
from mqctl.plan import Change


@dataclass(frozen=True)
class Target:
    text: str  # as given on the command line
    kind: str
    name: str

    def matches(self, kind: str, short: str, full: str) -> bool:
        return fnmatchcase(kind, self.kind) and (fnmatchcase(short, self.name) or fnmatchcase(full, self.name))


def parse_targets(texts: Iterable[str], kinds: Sequence[str]) -> list[Target]:
    """`topics:order.*` -> Target; MqctlError for a target without `:` or naming no kind."""
    targets = []
    for text in texts:
        kind, sep, name = text.partition(":")
        if not sep or not kind or not name:
            raise MqctlError(f"--target {text!r}: write KIND:NAME, e.g. topics:order.created.v1 or 'topics:order.*'")
        if not any(fnmatchcase(k, kind) for k in kinds):
            raise MqctlError(f"--target {text!r}: no kind matches {kind!r} (kinds: {', '.join(kinds)})")
        targets.append(Target(text, kind, name))
    return targets


def select(
    changes: Sequence[Change], targets: Sequence[Target], short_names: Mapping[tuple[str, str], str], prefix: str
) -> tuple[list[Change], list[Diagnostic]]:
    """The changes some target matches, and a warning for each target that matches none.
    `short_names` maps (kind, plan name) to the name as written in the specs."""
    if not targets:
        return list(changes), []
    kept = []
    used: set[str] = set()
    for change in changes:
        short = short_names.get((change.kind, change.name), change.name.removeprefix(prefix))
        hits = [t.text for t in targets if t.matches(change.kind, short, change.name)]
        used.update(hits)
        if hits:
            kept.append(change)
    unused = [t.text for t in targets if t.text not in used]
    notes = [warning("(command line)", None, "--target", f"{text} matches no change in this plan") for text in unused]
    return kept, notes
