"""Client quotas: declared QuotaSpecs vs the live entities -> QuotaCreate / QuotaUpdate / QuotaDelete.

Pure. Quotas are cluster-wide, so what an environment may remove is its scope (`Scope.owns`): an
entity of a user it declares (users/ or quotas/) or owns (`policy.managed_users`), an entity of a
client id under `<env>.`, and, only when `policy.manage_cluster_quotas` says this environment owns
them, the `<default>` entities and IP addresses. A key dropped from a declared entity is always
removed (the entity is this environment's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from mqctl.diagnostics import Diagnostic
from mqctl.kinds.quotas.changes import QuotaCreate, QuotaDelete, QuotaUpdate
from mqctl.kinds.quotas.model import CLIENT_ID, USER, LiveQuotas, QuotaEntity, QuotaSpec, QuotaValues
from mqctl.plan import Change, FieldDiff


@dataclass(frozen=True)
class Scope:
    prefix: str  # `<env>.`: client ids under it are the environment's
    users: frozenset[str]  # users the environment declares, in users/ or quotas/
    managed_users: tuple[str, ...] = ()  # policy.managed_users globs
    cluster_wide: bool = False  # policy.manage_cluster_quotas: the <default>s and IPs are ours

    def owns(self, entity: QuotaEntity) -> bool:
        """Whether a live entity no spec declares is this environment's to remove."""
        user = entity.named(USER)
        if user is not None:
            return user in self.users or any(fnmatchcase(user, glob) for glob in self.managed_users)
        client = entity.named(CLIENT_ID)
        if client is not None:
            return client.startswith(self.prefix)
        return self.cluster_wide


def number(value: float) -> int | float:
    """A quota value as a plan shows it: 10485760, not 10485760.0."""
    return int(value) if value.is_integer() else value


def _removal(entity: QuotaEntity, current: QuotaValues, keys: Sequence[str], whole: bool) -> QuotaDelete:
    diffs = tuple(FieldDiff(key, number(current[key]), None) for key in keys)
    if whole:
        name = str(entity)
        risk = f"every quota of {entity} is removed: its clients are no longer limited by it (a broader quota, " \
               "such as a <default>, may still apply)"
    else:
        name = f"{entity} [{', '.join(keys)}]"
        risk = f"{', '.join(keys)} of {entity} is lifted"
    return QuotaDelete(name, diffs, risks=(risk,), entity=entity, remove_keys=tuple(keys))


def _declared(spec: QuotaSpec, current: QuotaValues | None) -> list[Change]:
    if current is None:
        diffs = tuple(FieldDiff(key, None, number(value)) for key, value in spec.values.items())
        return [QuotaCreate(str(spec.entity), diffs, entity=spec.entity, set_values=dict(spec.values))]
    changes: list[Change] = []
    changed = {key: value for key, value in spec.values.items() if current.get(key) != value}
    if changed:
        diffs = tuple(
            FieldDiff(key, None if key not in current else number(current[key]), number(value))
            for key, value in changed.items()
        )
        changes.append(QuotaUpdate(str(spec.entity), diffs, entity=spec.entity, set_values=changed))
    dropped = sorted(key for key in current if key not in spec.values)
    if dropped:
        changes.append(_removal(spec.entity, current, dropped, whole=False))
    return changes


def diff_quotas(
    desired: Sequence[QuotaSpec], live: LiveQuotas, scope: Scope
) -> tuple[list[Change], list[Diagnostic]]:
    """Sets for declared values the cluster lacks or holds otherwise, removals for dropped keys and
    for undeclared entities in scope."""
    changes: list[Change] = []
    for spec in desired:
        changes += _declared(spec, live.entities.get(spec.entity))
    declared = {spec.entity for spec in desired}
    for entity, values in sorted(live.entities.items()):
        if entity not in declared and values and scope.owns(entity):
            changes.append(_removal(entity, values, sorted(values), whole=True))
    return changes, []
