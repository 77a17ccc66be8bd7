"""The one registry of resource kinds, in dependency order: a kind comes after the kinds it refers
to (ACLs grant on topics to users). Everything else is derived from this tuple: the spec folders
and JSON Schemas the loader reads, the snapshots a plan takes, the executors apply looks up, the
exporters, the kinds' own commands, and the order apply runs changes in (`apply_order`).

Adding a kind is one new package under `mqctl/kinds/` and one line here (docs/architecture.md).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from mqctl.kind import Kind
from mqctl.kinds import acls, brokers, connectors, groups, quotas, schemas, topics, users

if TYPE_CHECKING:
    from mqctl.plan import Change

KINDS: tuple[Kind[Any, Any], ...] = (
    brokers.KIND,  # first: topics created in the same run already see new broker defaults
    topics.KIND,
    users.KIND,
    quotas.KIND,  # on users
    acls.KIND,
    groups.KIND,  # after topics (its topics) and ACLs (which grant READ on the groups)
    schemas.KIND,
    connectors.KIND,  # last: connectors use the topics, users, ACLs and subjects above
)

BY_NAME: dict[str, Kind[Any, Any]] = {kind.name: kind for kind in KINDS}


@cache
def _positions() -> dict[type[Change], tuple[int, int]]:
    """(kind, rank within the kind) of every change type; made on first use, since reading
    `kind.changes` imports the change types (see mqctl.kind.ChangeTypes)."""
    return {change: (at, rank) for at, kind in enumerate(KINDS) for rank, change in enumerate(kind.changes)}


def apply_order(change: Change) -> tuple[int, int, int, str]:
    """Creates and updates in registry order (what others refer to first), deletes in reverse
    (revoke and remove the referrers first); within a kind, its change types' own order."""
    from mqctl.plan import Action

    at, rank = _positions()[type(change)]
    deleting = change.action is Action.DELETE
    return (int(deleting), -at if deleting else at, rank, change.sort_detail())


def managed(folders: frozenset[str]) -> list[Kind[Any, Any]]:
    """Kinds whose spec folder exists: a project without `acls/` does not manage ACLs, while an
    empty `topics/` folder means "no topics" (and the plan's delete safety guards that)."""
    return [kind for kind in KINDS if kind.name in folders]
