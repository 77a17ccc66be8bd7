"""SCRAM user changes: credentials set (upsert) and mechanisms removed. Creates run before ACL
creates, so a new service can log in and act at once; deletes after its ACLs are revoked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mqctl.config import Secret
from mqctl.kinds.users import NAME
from mqctl.plan import Action, Change

LiveUsers = Mapping[str, Mapping[str, int]]  # user -> SCRAM mechanism -> iterations


@dataclass(frozen=True, kw_only=True)
class UserChange(Change):
    """Credentials to set (upsert) and mechanisms to remove for one user: one alteration each."""

    kind = NAME
    resource_type = "user"

    set_mechanisms: tuple[str, ...] = ()
    iterations: int = 0
    password: Secret | None = field(default=None, repr=False, compare=False)
    remove_mechanisms: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class UserCreate(UserChange):
    action = Action.CREATE


@dataclass(frozen=True, kw_only=True)
class UserUpdate(UserChange):
    action = Action.UPDATE


@dataclass(frozen=True, kw_only=True)
class UserDelete(UserChange):
    action = Action.DELETE


CHANGES = (UserCreate, UserUpdate, UserDelete)
