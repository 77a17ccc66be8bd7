"""SCRAM users -> users/users.yaml: the live users the environment owns (`policy.managed_users`) or
grants to, in the scope the ACL exporter computes (mqctl.kinds.acls.export.scope), never the user
mqctl connects as.

Kafka never reveals a password, so users get `password: ${VAR}` with a variable named after the
user, and the export lists the variables to set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mqctl.exporting import Export, ExportContext, document
from mqctl.kinds.acls.export import scope
from mqctl.kinds.acls.live import LiveAcls
from mqctl.kinds.users.changes import LiveUsers


def password_variables(names: Iterable[str]) -> dict[str, str]:
    """User -> the environment variable holding its password: `order-service` ->
    ORDER_SERVICE_PASSWORD; names that would share a variable get a number."""
    variables: dict[str, str] = {}
    for name in sorted(names):
        stem = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()
        stem = stem if stem[:1].isalpha() else f"USER_{stem}"
        variable, n = f"{stem}_PASSWORD", 1
        while variable in variables.values():
            n += 1
            variable = f"{stem}_{n}_PASSWORD"
        variables[name] = variable
    return variables


def export_users(acls: LiveAcls, users: LiveUsers, ctx: ExportContext) -> Export:
    """Names, mechanisms and iterations; never a password (Kafka does not reveal one)."""
    found = scope(acls, users, ctx)
    report = found.user_report
    if not found.users:
        return report
    variables = password_variables(found.users)
    entries = []
    for name, mechanisms in found.users.items():
        iterations = max(mechanisms.values())
        if len(set(mechanisms.values())) > 1:
            report.notes.append(
                f"user {name}: its mechanisms have different iterations ({dict(sorted(mechanisms.items()))}); "
                f"users/ declares one count ({iterations}), so a plan re-sets the others from ${variables[name]}"
            )
        entries.append(
            {
                "name": name,
                "password": f"${{{variables[name]}}}",
                "mechanisms": sorted(mechanisms),
                "iterations": iterations,
            }
        )
    report.files.append(document("users/users.yaml", "users", ctx.env.name, {"users": entries}))
    report.variables.extend(sorted(variables.values()))
    return report
