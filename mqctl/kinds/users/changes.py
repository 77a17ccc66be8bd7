"""SCRAM user changes: credentials set (upsert) and mechanisms removed. Creates run before ACL
creates, so a new service can log in and act at once; deletes after its ACLs are revoked."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from mqctl.config import Secret
from mqctl.kinds.users import NAME
from mqctl.plan import Action, Change

Credentials = Mapping[str, Mapping[str, int]]  # user -> SCRAM mechanism -> iterations


@dataclass(frozen=True)
class LiveUsers(Mapping[str, Mapping[str, int]]):
    """The SCRAM users the brokers list, read from every broker, because brokers can disagree: Kafka
    4.1.1 brokers restarted in a local cluster that had run the whole test suite listed none of the
    users created before their restart (users created afterwards reached them), so one broker's
    answer depended on which broker it was. As a mapping: every credential some broker lists."""

    users: Credentials
    # user -> the brokers that do not list all of its credentials (sending them again fixes that)
    unlisted_by: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def of_brokers(cls, views: Mapping[int, Credentials]) -> LiveUsers:
        """One view per broker that answered, merged: a credential counts when any broker lists it."""
        users: dict[str, dict[str, int]] = {}
        for view in views.values():
            for user, mechanisms in view.items():
                users.setdefault(user, {}).update(mechanisms)
        unlisted_by = {
            user: missing
            for user, mechanisms in users.items()
            if (missing := tuple(b for b, view in sorted(views.items()) if view.get(user) != mechanisms))
        }
        return cls(users, unlisted_by)

    def __getitem__(self, user: str) -> Mapping[str, int]:
        return self.users[user]

    def __iter__(self) -> Iterator[str]:
        return iter(self.users)

    def __len__(self) -> int:
        return len(self.users)


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
