"""ACL changes: one binding created or deleted. Creates run after topics and users exist (grants on
what exists), deletes before users and topics go (revoke first): the registry's order gives both."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from mqctl.kinds.acls import NAME
from mqctl.kinds.acls.model import AclBinding
from mqctl.plan import Action, Change


@dataclass(frozen=True, kw_only=True)
class AclChange(Change):
    """One binding to create or delete; its name is the binding in words, unique in a plan."""

    kind = NAME
    resource_type = "acl"

    binding: AclBinding

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "binding": asdict(self.binding)}


@dataclass(frozen=True, kw_only=True)
class AclCreate(AclChange):
    action = Action.CREATE


@dataclass(frozen=True, kw_only=True)
class AclDelete(AclChange):
    action = Action.DELETE


CHANGES = (AclCreate, AclDelete)
