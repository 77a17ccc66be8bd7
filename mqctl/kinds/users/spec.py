"""SCRAM user specs: the model, and building it from `users/*.yaml`. Passwords are references to environment variables
(`${VAR}`); this module only checks that shape, so offline validation needs no secret, and never
echoes a value that is not a reference (it may be a password pasted by mistake).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mqctl.diagnostics import Diagnostic
from mqctl.spec.model import Source, SpecContext
from mqctl.yamlsource import PathKey, YamlDocument

PASSWORD_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
DEFAULT_MECHANISMS = ("SCRAM-SHA-512",)
DEFAULT_ITERATIONS = 8192


@dataclass(frozen=True)
class UserSpec:
    """A SCRAM user. The password is only the name of the environment variable holding it:
    it is read at plan/apply time, never while validating and never written anywhere."""

    name: str
    password_var: str
    mechanisms: tuple[str, ...]  # SCRAM-SHA-256 and/or SCRAM-SHA-512
    iterations: int
    source: Source
    rotate: bool = False  # re-set the password even though the credential looks current


def build_users(docs: Iterable[YamlDocument], ctx: SpecContext) -> tuple[list[UserSpec], list[Diagnostic]]:
    problems: list[Diagnostic] = []
    users: dict[str, UserSpec] = {}
    for doc in docs:
        for index, entry in doc.items("users"):
            path: PathKey = ("users", index)
            source = Source(doc.file, doc.line_of(path))
            password = entry["password"]
            ref = PASSWORD_REF.match(password) if isinstance(password, str) else None
            if ref is None:
                problems.append(
                    doc.error(
                        (*path, "password"),
                        "must be ${VAR}, the environment variable holding the password; a password "
                        "written in a spec file is refused (the value is not shown)",
                    )
                )
                continue
            first = users.get(entry["name"])
            if first is not None:
                problems.append(
                    doc.error((*path, "name"), f"user {entry['name']!r} is declared twice; first at {first.source}")
                )
                continue
            users[entry["name"]] = UserSpec(
                name=entry["name"],
                password_var=ref.group(1),
                mechanisms=tuple(sorted(entry.get("mechanisms", DEFAULT_MECHANISMS))),
                iterations=int(entry.get("iterations", DEFAULT_ITERATIONS)),
                source=source,
                rotate=bool(entry.get("rotate", False)),
            )
    return list(users.values()), problems
