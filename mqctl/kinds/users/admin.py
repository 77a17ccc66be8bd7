"""SCRAM users on the cluster: describe all credentials in one request, alter them in one request.
The plain password is revealed here only, into the alteration sent to the broker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka.admin import (
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from mqctl.diagnostics import MqctlError
from mqctl.edges import Edges
from mqctl.kafka.batch import send
from mqctl.kafka.protocol import describe_error
from mqctl.kind import Executor, Results, executor
from mqctl.kinds.users.changes import Credentials, LiveUsers, UserChange, UserCreate, UserDelete, UserUpdate
from mqctl.plan import Change
from mqctl.polling import await_every_broker

_MECHANISMS = {"SCRAM-SHA-256": ScramMechanism.SCRAM_SHA_256, "SCRAM-SHA-512": ScramMechanism.SCRAM_SHA_512}
_WIRE_MECHANISMS = {1: "SCRAM-SHA-256", 2: "SCRAM-SHA-512"}  # the protocol's ScramMechanism codes
_DESCRIBE = "describe SCRAM users"


def shows(change: UserChange, live: Credentials) -> bool:
    """Whether `live` has what `change` did: its mechanisms set (with its iterations), the
    removed ones gone."""
    have = live.get(change.name, {})
    return all(have.get(m) == change.iterations for m in change.set_mechanisms) and not any(
        m in have for m in change.remove_mechanisms
    )


def _alterations(change: UserChange) -> list[Any]:
    out: list[Any] = []
    if change.set_mechanisms:
        if change.password is None:
            raise ValueError(f"no password for user {change.name}")  # the diff always supplies one
        secret = change.password.reveal().encode()
        out += [
            UserScramCredentialUpsertion(change.name, ScramCredentialInfo(_MECHANISMS[m], change.iterations), secret)
            for m in change.set_mechanisms
        ]
    out += [UserScramCredentialDeletion(change.name, _MECHANISMS[m]) for m in change.remove_mechanisms]
    return out


class UserAdmin:
    """Snapshot and batched execution for SCRAM credentials, over one KafkaAdmin connection."""

    def __init__(self, edges: Edges) -> None:
        self.admin = edges.kafka
        self.client = self.admin.client

    def snapshot(self) -> LiveUsers:
        """Every SCRAM user with its mechanisms and iteration counts, as every broker lists them
        (LiveUsers says why): one DescribeUserScramCredentials per broker, all sent at once. A
        broker that does not answer is left out, unless none answers."""
        from kafka.protocol.admin import DescribeUserScramCredentialsRequest

        brokers = [broker.id for broker in self.admin.brokers()]
        request = DescribeUserScramCredentialsRequest(users=None)
        answers = self.admin.ask_each_broker(
            _DESCRIBE, request, brokers, "list its SCRAM users", "users are as the other brokers list them"
        )
        return LiveUsers.of_brokers({broker: self._credentials(answer) for broker, answer in answers})

    def on_broker(self, broker: int) -> Credentials:
        """Every SCRAM user as `broker` knows it (from the metadata log, a loaded broker late)."""
        from kafka.protocol.admin import DescribeUserScramCredentialsRequest

        request = DescribeUserScramCredentialsRequest(users=None)
        return self._credentials(self.admin.protocol.send(_DESCRIBE, request, node=broker))

    def _credentials(self, response: Any) -> Credentials:
        """The users of one DescribeUserScramCredentials answer (mechanism -> iterations)."""
        if response.error_code:
            reason = describe_error(self.admin.env, response.error_code, response.error_message)
            raise MqctlError(f"{_DESCRIBE}: {reason}")
        return {
            result.user: {
                _WIRE_MECHANISMS[info.mechanism]: info.iterations
                for info in result.credential_infos
                if info.mechanism in _WIRE_MECHANISMS
            }
            for result in response.results
            if not result.error_code
        }

    def alter(self, changes: Sequence[UserChange], validate_only: bool = False) -> Results:
        """AlterUserScramCredentials for every user of the batch, in as many requests as the user
        with the most mechanisms needs: Kafka refuses two alterations of one user in one request
        ("A user credential cannot be altered twice in the same request"). No validate-only mode
        exists here; the spec checks cover mechanisms and iteration bounds."""
        if validate_only or not changes:
            return {c.name: None for c in changes}
        outcome: Results = {}
        pending = {c.name: _alterations(c) for c in changes}
        for step in range(max(len(alterations) for alterations in pending.values())):
            due = {name: alterations[step] for name, alterations in pending.items() if step < len(alterations)}
            found: Results = {}
            send(self.admin, "alter SCRAM users", self._request(list(due.values())), {n: n for n in due}, found)
            for name, reason in found.items():  # a user's first failure is its outcome
                if outcome.get(name) is None:
                    outcome[name] = reason
        await_every_broker(self.admin, [c for c in changes if outcome.get(c.name) is None], self.on_broker, shows)
        return outcome

    def _request(self, alterations: list[Any]) -> Callable[[], Any]:
        return lambda: self.client.alter_user_scram_credentials(alterations, request_timeout=self.admin.timeout)

    def executors(self) -> dict[type[Change], Executor]:
        return dict([executor(kind, self.alter) for kind in (UserCreate, UserUpdate, UserDelete)])
