"""The principal mqctl connects as, protected from the specs it applies (issue 12, item 4).

Specs arrive in pull requests. Without this, one could lock mqctl out of its own cluster: set another
password for the SCRAM user mqctl logs in as, drop the mechanism it logs in with, revoke the ACLs of
its principal, or deny that principal an operation mqctl needs. Unless mqctl.yaml allows it for the
environment (`policy.allow_self_changes: true`), each is an error: at validate where the specs alone
tell (a users/ entry for that user with another password variable or without its mechanism, a deny
binding for its principal or `User:*`), and at plan where it takes the live state or the secret (a
password value that differs from the one mqctl connects with, an ACL of the principal about to be
deleted). Deleting the user itself is never planned (kept with a warning, kinds/users/diff.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mqctl.config import Environment, Secret

ANYONE = "User:*"
# What mqctl does with its admin clients (topics, configs, ACLs, SCRAM users, reassignments, the
# apply lock): a deny of one of these for its principal breaks plan or apply.
MQCTL_OPERATIONS = frozenset({"ALL", "ALTER", "ALTER_CONFIGS", "CREATE", "DELETE", "DESCRIBE", "DESCRIBE_CONFIGS"})


@dataclass(frozen=True)
class Login:
    """How mqctl logs in to one environment, as far as specs could change it."""

    env: str
    principal: str | None  # `User:<name>` the brokers see; None when only a certificate tells (TLS)
    scram_user: str | None  # the SCRAM user mqctl logs in as (a users/ spec could change it)
    mechanism: str | None  # its SCRAM mechanism
    password_var: str | None  # the variable mqctl.yaml's `password: ${VAR}` names
    password: Secret | None = field(default=None, repr=False, compare=False)
    allowed: bool = False  # policy.allow_self_changes: specs may change all of the above

    @property
    def protected(self) -> bool:
        return not self.allowed

    def hint(self) -> str:
        return (f"if that is intended, set policy.allow_self_changes: true for environment {self.env} in "
                "mqctl.yaml")


def login(env: Environment) -> Login:
    """The Login of `env` from its mqctl.yaml settings."""
    sec = env.security
    sasl = sec.protocol.startswith("SASL") and sec.username is not None
    principal = f"User:{sec.username}" if sasl else ("User:ANONYMOUS" if sec.protocol == "PLAINTEXT" else None)
    scram = sasl and (sec.sasl_mechanism or "").startswith("SCRAM-")
    return Login(
        env=env.name,
        principal=principal,
        scram_user=sec.username if scram else None,
        mechanism=sec.sasl_mechanism if scram else None,
        password_var=sec.password_var,
        password=sec.password,
        allowed=env.policy.allow_self_changes,
    )


def denies_mqctl(principal: str, permission: str, operation: str, resource_type: str, name: str,
                 who: Login) -> bool:
    """Whether a binding would deny mqctl an operation it needs: a deny for its principal or for
    everyone, of an operation its admin clients use, or of anything on every topic (the apply lock
    is a topic outside every environment prefix, matched only by `*`)."""
    if permission != "deny" or principal not in (who.principal, ANYONE):
        return False
    return operation in MQCTL_OPERATIONS or (resource_type == "topic" and name == "*")
