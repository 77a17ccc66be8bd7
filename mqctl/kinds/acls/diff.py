"""ACLs: desired bindings vs the live ones, compared as sets -> AclCreate / AclDelete.

Pure. What mqctl may delete is its scope: every binding on a topic, group or transactional id under
`<env>.` (literal or prefixed), and every binding of a principal this environment declares (in
acls/ or users/) that names no other namespace: on the cluster, or on the `*` wildcard. A declared
principal's grant on a name outside `<env>.` belongs to whoever declares it there: environments that
share a cluster and their service users (secure, tls and oauth in this repository's mqctl.yaml)
would otherwise delete each other's grants. Anything else on the cluster is never touched.
A cluster without an authorizer stores no ACLs (and would enforce none): the plan says so and skips them.
"""

from __future__ import annotations

from collections.abc import Sequence

from mqctl.connecting import Login
from mqctl.diagnostics import Diagnostic, error, warning
from mqctl.kinds.acls.changes import AclCreate, AclDelete
from mqctl.kinds.acls.live import LiveAcls
from mqctl.kinds.acls.model import AclBinding, AclSpec
from mqctl.plan import Change

NAMESPACED = frozenset({"topic", "group", "transactional_id"})  # the types whose names carry <env>.


def in_scope(binding: AclBinding, prefix: str, principals: frozenset[str]) -> bool:
    """Whether this environment owns `binding` (and so deletes it when no spec declares it)."""
    wildcard = binding.name == "*" and binding.pattern_type == "literal"
    if binding.resource_type in NAMESPACED and not wildcard:
        return binding.name.startswith(prefix)
    return binding.principal in principals


def _delete(binding: AclBinding) -> AclDelete:
    if binding.permission == "deny":
        risk = f"removes a deny: {binding.principal} may gain {binding.operation} access"
    else:
        risk = f"{binding.principal} loses {binding.operation} on {binding.resource_type} {binding.name}"
    return AclDelete(str(binding), binding=binding, risks=(risk,))


def _own(binding: AclBinding, who: Login | None) -> bool:
    """A grant mqctl's own principal holds: revoking it could lock mqctl out (mqctl.connecting)."""
    return who is not None and not who.allowed and binding.permission == "allow" and binding.principal == who.principal


def diff_acls(
    desired: Sequence[AclSpec], live: LiveAcls, prefix: str, principals: frozenset[str], who: Login | None = None
) -> tuple[list[Change], list[Diagnostic]]:
    """Creates for declared bindings the cluster lacks; deletes for bindings in scope no spec declares,
    except grants of the principal mqctl connects as (`who`): those are errors unless mqctl.yaml allows it."""
    if not live.authorizer:
        if not desired:  # nothing declared, so nothing left unapplied
            return [], []
        files = sorted({spec.source.file for spec in desired}) or ["acls/"]
        note = (
            f"the cluster has no authorizer (authorizer.class.name is empty): Kafka neither stores nor "
            f"enforces ACLs there, so the {len(desired)} declared binding(s) are not applied"
        )
        return [], [warning(files[0], None, "acls", note)]
    wanted = {spec.binding for spec in desired}
    have = set(live.bindings)
    changes: list[Change] = [AclCreate(str(b), binding=b) for b in sorted(wanted - have)]
    gone = [b for b in sorted(have - wanted) if in_scope(b, prefix, principals)]
    changes += [_delete(b) for b in gone if not _own(b, who)]
    problems = [
        error("acls/", None, "acls", (
            f"the plan would revoke {b} (no spec declares it), a grant of {b.principal}, the principal mqctl "
            f"connects to environment {who.env} as: mqctl could lock itself out. Declare it in acls/ "
            f"({who.hint()})"))
        for b in gone if who is not None and _own(b, who)
    ]
    return changes, problems
