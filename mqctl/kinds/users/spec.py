"""SCRAM user specs: the model, and building it from `users/*.yaml`. Passwords are references to environment variables
(`${VAR}`); this module only checks that shape, so offline validation needs no secret, and never
echoes a value that is not a reference (it may be a password pasted by mistake).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mqctl.connecting import Login, login
from mqctl.diagnostics import Diagnostic, warning
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


def _self_changes(doc: YamlDocument, path: PathKey, spec: UserSpec, who: Login) -> list[Diagnostic]:
    """What the specs alone tell about changing the user mqctl connects as (mqctl.connecting): a
    password from another variable than mqctl.yaml's, or no longer the mechanism it logs in with.
    A literal password in mqctl.yaml cannot be compared offline: plan compares the values."""
    if spec.name != who.scram_user or who.allowed:
        return []
    out = []
    if who.password_var is not None and spec.password_var != who.password_var:
        out.append(doc.error((*path, "password"), (
            f"{spec.name} is the user mqctl connects to environment {who.env} as; this would set its password "
            f"from ${{{spec.password_var}}}, not from the ${{{who.password_var}}} mqctl.yaml connects with, "
            f"and lock mqctl out of the cluster. Use ${{{who.password_var}}}, or leave the user out of users/ "
            f"({who.hint()})")))
    if who.mechanism not in spec.mechanisms:
        out.append(doc.error((*path, "mechanisms"), (
            f"{spec.name} is the user mqctl connects to environment {who.env} as, with {who.mechanism}; "
            f"without it mqctl could not log in again. Keep {who.mechanism} in mechanisms ({who.hint()})")))
    return out


def _broad_ownership(ctx: SpecContext) -> list[Diagnostic]:
    """`managed_users: ["*"]` hands every SCRAM user of the cluster to this environment's specs."""
    return [
        warning("mqctl.yaml", None, f"environments.{ctx.env.name}.policy.managed_users",
                f"{glob!r} makes every SCRAM user of the cluster this environment's: users no file in users/ "
                "declares (other teams', other environments') are deleted by apply --allow-delete. List the "
                "names or prefixes this environment owns")
        for glob in ctx.env.policy.managed_users if not glob.strip("*")
    ]


def build_users(docs: Iterable[YamlDocument], ctx: SpecContext) -> tuple[list[UserSpec], list[Diagnostic]]:
    problems = _broad_ownership(ctx)
    users: dict[str, UserSpec] = {}
    who = login(ctx.env)
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
            spec = UserSpec(
                name=entry["name"],
                password_var=ref.group(1),
                mechanisms=tuple(sorted(entry.get("mechanisms", DEFAULT_MECHANISMS))),
                iterations=int(entry.get("iterations", DEFAULT_ITERATIONS)),
                source=source,
                rotate=bool(entry.get("rotate", False)),
            )
            refused = _self_changes(doc, path, spec, who)
            problems += refused
            if not refused:
                users[entry["name"]] = spec
    return list(users.values()), problems
