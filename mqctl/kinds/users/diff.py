"""SCRAM users: desired UserSpecs vs the live credentials -> UserCreate / UserUpdate / UserDelete.

Pure; the process environment comes in as a mapping. Kafka tells which mechanisms a user has and
with how many iterations, never the password, so a password is set when a credential is missing,
when its iterations differ, or when the spec says `rotate: true`. The password travels only inside
the change, as a Secret, to the executor; diffs, plan output and plan files show the variable name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase

from mqctl.config import Secret
from mqctl.diagnostics import Diagnostic, error, warning
from mqctl.kinds.users.changes import LiveUsers, UserChange, UserCreate, UserDelete, UserUpdate
from mqctl.kinds.users.spec import UserSpec
from mqctl.plan import Change, FieldDiff


def _set_diff(mechanism: str, before: int | None, spec: UserSpec) -> FieldDiff:
    return FieldDiff(
        mechanism,
        None if before is None else f"{before} iterations",
        f"{spec.iterations} iterations, password set from ${spec.password_var}",
    )


def _upsert(spec: UserSpec, current: Mapping[str, int] | None, password: Secret) -> UserChange | None:
    if current is None:
        return UserCreate(
            spec.name,
            tuple(_set_diff(m, None, spec) for m in spec.mechanisms),
            set_mechanisms=spec.mechanisms,
            iterations=spec.iterations,
            password=password,
        )
    to_set = tuple(m for m in spec.mechanisms if spec.rotate or current.get(m) != spec.iterations)
    to_remove = tuple(sorted(m for m in current if m not in spec.mechanisms))
    if not to_set and not to_remove:
        return None
    diffs = [_set_diff(m, current.get(m), spec) for m in to_set] + [
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


def diff_users(
    desired: Sequence[UserSpec],
    live: LiveUsers,
    managed: Sequence[str],
    environ: Mapping[str, str],
    connected_as: str | None = None,
) -> tuple[list[Change], list[Diagnostic]]:
    """Changes making declared users current, and deleting live users matching a `managed` glob
    that no spec declares (never the user mqctl itself connects as)."""
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
        change = _upsert(spec, live.get(spec.name), Secret(value))
        if change is not None:
            changes.append(change)
    declared = {spec.name for spec in desired}
    for name, current in sorted(live.items()):
        if name in declared or not any(fnmatchcase(name, glob) for glob in managed):
            continue
        if name == connected_as:
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
