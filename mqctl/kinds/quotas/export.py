"""Client quotas -> quotas/quotas.yaml: the live entities in the environment's scope exactly as the
plan computes it (mqctl.kinds.quotas.diff.Scope), so that a plan from the export is empty. The
users in scope are those the export declares (mqctl.kinds.acls.export.scope: the users the
environment owns or grants to); an entity the spec format cannot write is left out with a note.
"""

from __future__ import annotations

from typing import Any

from mqctl.exporting import Export, ExportContext, document
from mqctl.kinds.acls.export import scope
from mqctl.kinds.acls.live import LiveAcls
from mqctl.kinds.quotas.diff import Scope, number
from mqctl.kinds.quotas.model import CLIENT_ID, IP, USER, LiveQuotas, QuotaEntity
from mqctl.kinds.quotas.spec import CLIENT_ID_NAME, DEFAULT_WORD, USER_NAME
from mqctl.kinds.users.changes import LiveUsers

_SPEC_KEYS = {USER: "user", CLIENT_ID: "client_id", IP: "ip"}


def _entity_keys(entity: QuotaEntity, prefix: str) -> tuple[dict[str, str], str | None]:
    """(the spec keys naming `entity`, None), or ({}, why no spec entry can name it)."""
    keys: dict[str, str] = {}
    for kind, name in entity.parts:
        if name is None:
            keys[_SPEC_KEYS[kind]] = DEFAULT_WORD
        elif name == DEFAULT_WORD:
            return {}, f"a {kind} literally named {DEFAULT_WORD!r} (quotas/ reads that word as <default>)"
        elif kind == USER and not USER_NAME.match(name):
            return {}, f"user {name!r} is not a name users/ accepts"
        elif kind == CLIENT_ID and not (name.startswith(prefix) and CLIENT_ID_NAME.match(name[len(prefix):])):
            return {}, f"client id {name!r} is not <env>.<client_id> of this environment"
        else:
            keys[_SPEC_KEYS[kind]] = name[len(prefix):] if kind == CLIENT_ID else name
    return keys, None


def export_quotas(quotas: LiveQuotas, acls: LiveAcls, users: LiveUsers, ctx: ExportContext) -> Export:
    env = ctx.env
    owned = Scope(env.prefix, frozenset(scope(acls, users, ctx).users), env.policy.managed_users,
                  env.policy.manage_cluster_quotas)  # fmt: skip
    report = Export([], [], [])
    entries: list[dict[str, Any]] = []
    for entity, values in sorted(quotas.entities.items()):
        if not values or not owned.owns(entity):
            continue
        keys, why = _entity_keys(entity, env.prefix)
        if why is not None:
            report.notes.append(f"quota {entity} is in this environment's scope but not exported ({why}); "
                                "a plan deletes it")
        elif not ctx.select(str(entity)):
            report.left_out.append(f"quota {entity}")
        else:
            entries.append({**keys, **{key: number(value) for key, value in sorted(values.items())}})
    if entries:
        report.files.append(document("quotas/quotas.yaml", "quotas", env.name, {"quotas": entries}))
    return report
