"""SCRAM users: desired UserSpecs vs the live credentials -> UserCreate / UserUpdate / UserDelete.

Pure; the process environment comes in as a mapping. Kafka tells which mechanisms a user has and
with how many iterations, never the password, so a password is set when a credential is missing,
when its iterations differ, when some brokers do not list it (LiveUsers), or when the spec says
`rotate: true`. The password travels only inside
the change, as a Secret, to the executor; diffs, plan output and plan files show the variable name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase

from mqctl.config import Secret
from mqctl.connecting import Login
from mqctl.diagnostics import Diagnostic, error, warning
from mqctl.kinds.users.changes import Credentials, UserChange, UserCreate, UserDelete, UserUpdate
from mqctl.kinds.users.spec import UserSpec
from mqctl.plan import Change, FieldDiff


def _set_diff(mechanism: str, before: int | None, spec: UserSpec, unlisted_by: Sequence[int] = ()) -> FieldDiff:
    shown = None if before is None else f"{before} iterations"
    if shown is not None and unlisted_by:
        shown += f", not listed by broker(s) {', '.join(map(str, unlisted_by))}"
    return FieldDiff(mechanism, shown, f"{spec.iterations} iterations, password set from ${spec.password_var}")


def _upsert(
    spec: UserSpec, current: Mapping[str, int] | None, password: Secret, unlisted_by: Sequence[int] = ()
) -> UserChange | None:
    if current is None:
        return UserCreate(
            spec.name,
            tuple(_set_diff(m, None, spec) for m in spec.mechanisms),
            set_mechanisms=spec.mechanisms,
            iterations=spec.iterations,
            password=password,
        )
    to_set = tuple(m for m in spec.mechanisms if spec.rotate or unlisted_by or current.get(m) != spec.iterations)
    to_remove = tuple(sorted(m for m in current if m not in spec.mechanisms))
    if not to_set and not to_remove:
        return None
    diffs = [_set_diff(m, current.get(m), spec, unlisted_by) for m in to_set] + [
        FieldDiff(m, f"{current[m]} iterations", None, risk=f"clients of {spec.name} using {m} are refused")
        for m in to_remove
    ]
    return UserUpdate(
        spec.name,
        tuple(diffs),
        set_mechanisms=to_set,
        iterations=spec.iterations,
        password=password,
        remove_mechanisms=to_remove,
    )


def _locks_out(spec: UserSpec, change: UserChange, value: str, who: Login | None) -> Diagnostic | None:
    """Why `change` would lock mqctl out (mqctl.connecting): another password for the user it
    connects as (the values are compared here, in memory: validate can only compare variable
    names), or the removal of the mechanism it logs in with."""
    if who is None or who.allowed or spec.name != who.scram_user:
        return None
    current = who.password.reveal() if who.password is not None else None
    if change.set_mechanisms and value != current:
        return error(spec.source.file, spec.source.line, "password", (
            f"{spec.name} is the user mqctl connects to environment {who.env} as: ${spec.password_var} holds another "
            f"password than the one mqctl.yaml connects with, so setting it would lock mqctl out of the cluster "
            f"({who.hint()})"))
    if who.mechanism in change.remove_mechanisms:
        return error(spec.source.file, spec.source.line, "mechanisms", (
            f"{spec.name} is the user mqctl connects to environment {who.env} as, with {who.mechanism}; removing "
            f"it would lock mqctl out of the cluster ({who.hint()})"))
    return None


def diff_users(
    desired: Sequence[UserSpec],
    live: Credentials,
    managed: Sequence[str],
    environ: Mapping[str, str],
    who: Login | None = None,
    unlisted_by: Mapping[str, Sequence[int]] | None = None,
) -> tuple[list[Change], list[Diagnostic]]:
    """Changes making declared users current, and deleting live users matching a `managed` glob
    that no spec declares. The user mqctl connects as (`who`) is never deleted, and a change that
    would lock mqctl out is an error instead of a change, unless mqctl.yaml allows it. A declared
    user some brokers do not list (`unlisted_by`) has its credentials set again: that puts them
    back on every broker."""
    unlisted_by = unlisted_by or {}
    changes: list[Change] = []
    problems: list[Diagnostic] = []
    for spec in desired:
        value = environ.get(spec.password_var)
        if not value:
            state = "is not set" if value is None else "is empty"
            problems.append(
                error(
                    spec.source.file,
                    spec.source.line,
                    "password",
                    f"environment variable {spec.password_var} {state} (the password of user {spec.name})",
                )
            )
            continue
        change = _upsert(spec, live.get(spec.name), Secret(value), unlisted_by.get(spec.name, ()))
        refused = _locks_out(spec, change, value, who) if change is not None else None
        if refused is not None:
            problems.append(refused)
        elif change is not None:
            changes.append(change)
    declared = {spec.name for spec in desired}
    for name, current in sorted(live.items()):
        if name in declared or not any(fnmatchcase(name, glob) for glob in managed):
            continue
        if who is not None and who.principal == f"User:{name}" and not who.allowed:
            problems.append(
                warning(
                    "mqctl.yaml",
                    None,
                    "policy.managed_users",
                    f"{name} is managed but not declared; it is the user mqctl connects as, so it is kept",
                )
            )
            continue
        changes.append(
            UserDelete(
                name,
                tuple(FieldDiff(m, f"{n} iterations", None) for m, n in sorted(current.items())),
                risks=(f"user {name} can no longer authenticate",),
                remove_mechanisms=tuple(sorted(current)),
            )
        )
    return changes, problems
