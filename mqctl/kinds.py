"""The resource kinds mqctl manages. Each is data: how to read it live, how to diff it, how to
execute its changes (alembic's compare / render / execute lookups). A new kind is one entry in
`KINDS`; the planner, apply and the CLI never name a kind.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from mqctl.apply import Executor
from mqctl.config import Environment
from mqctl.diagnostics import Diagnostic
from mqctl.diff.acls import diff_acls
from mqctl.diff.brokers import diff_brokers
from mqctl.diff.subjects import diff_subjects
from mqctl.diff.topics import diff_topics
from mqctl.diff.users import diff_users
from mqctl.plan import Change
from mqctl.spec.model import DesiredState

if TYPE_CHECKING:  # the clients load in about 0.3 s: offline commands (validate, calc) never need them
    from mqctl.kafka.acls import AclAdmin
    from mqctl.kafka.admin import KafkaAdmin, TopicAdmin
    from mqctl.kafka.broker_configs import BrokerConfigAdmin
    from mqctl.kafka.users import UserAdmin
    from mqctl.registry import SchemaRegistry


class Edges:
    """The connections of one environment, opened on first use and shared by every kind."""

    def __init__(self, env: Environment, notify: Callable[[str], None] = lambda _: None) -> None:
        self.env = env
        self.notify = notify  # progress lines of long operations, for the CLI to show

    @cached_property
    def kafka(self) -> KafkaAdmin:
        from mqctl.kafka.admin import KafkaAdmin

        return KafkaAdmin(self.env, self.notify)

    @cached_property
    def topics(self) -> TopicAdmin:
        from mqctl.kafka.admin import TopicAdmin

        return TopicAdmin(self.kafka)

    @cached_property
    def acls(self) -> AclAdmin:
        from mqctl.kafka.acls import AclAdmin

        return AclAdmin(self.kafka)

    @cached_property
    def users(self) -> UserAdmin:
        from mqctl.kafka.users import UserAdmin

        return UserAdmin(self.kafka)

    @cached_property
    def registry(self) -> SchemaRegistry:
        from mqctl.registry import SchemaRegistry

        return SchemaRegistry(self.env)

    @cached_property
    def brokers(self) -> BrokerConfigAdmin:
        from mqctl.kafka.broker_configs import BrokerConfigAdmin

        return BrokerConfigAdmin(self.kafka)

    @property
    def requests(self) -> int:
        """Admin requests sent so far (benchmarks prove they do not grow with the resource count)."""
        return self.kafka.requests if "kafka" in self.__dict__ else 0


Diff = Callable[[DesiredState, Any, Environment], tuple[list[Change], list[Diagnostic]]]


@dataclass(frozen=True)
class Kind:
    name: str  # also the spec folder whose presence puts the kind under management
    snapshot: Callable[[Edges], Any]
    diff: Diff
    executors: Callable[[Edges], dict[type[Change], Executor]]


def _diff_topics(desired: DesiredState, live: Any, env: Environment) -> tuple[list[Change], list[Diagnostic]]:
    return diff_topics(desired.topics, live, env.prefix, env.policy.protected_topics)


def _diff_brokers(desired: DesiredState, live: Any, env: Environment) -> tuple[list[Change], list[Diagnostic]]:
    return diff_brokers(desired.brokers, live)


def _diff_acls(desired: DesiredState, live: Any, env: Environment) -> tuple[list[Change], list[Diagnostic]]:
    """In scope: names under the env prefix, and every principal the env declares (acls/ or users/)."""
    principals = {spec.binding.principal for spec in desired.acls} | {f"User:{u.name}" for u in desired.users}
    return diff_acls(desired.acls, live, env.prefix, frozenset(principals))


def _diff_users(desired: DesiredState, live: Any, env: Environment) -> tuple[list[Change], list[Diagnostic]]:
    """Passwords come from the process environment, read here at plan time and nowhere else."""
    return diff_users(desired.users, live, env.policy.managed_users, os.environ, env.security.username)


KINDS: Sequence[Kind] = (
    Kind(
        "topics",
        snapshot=lambda edges: edges.topics.snapshot(edges.env.prefix),
        diff=_diff_topics,
        executors=lambda edges: edges.topics.executors(),
    ),
    Kind(
        "acls",
        snapshot=lambda edges: edges.acls.snapshot(),
        diff=_diff_acls,
        executors=lambda edges: edges.acls.executors(),
    ),
    Kind(
        "users",
        snapshot=lambda edges: edges.users.snapshot(),
        diff=_diff_users,
        executors=lambda edges: edges.users.executors(),
    ),
    Kind(
        "schemas",
        snapshot=lambda edges: edges.registry.snapshot(edges.env.prefix),
        diff=lambda desired, live, env: diff_subjects(desired.subjects, live),
        executors=lambda edges: edges.registry.executors(),
    ),
    Kind(
        "brokers",
        snapshot=lambda edges: edges.brokers.snapshot(),
        diff=_diff_brokers,
        executors=lambda edges: edges.brokers.executors(),
    ),
)


def managed(folders: frozenset[str]) -> list[Kind]:
    """Kinds whose spec folder exists: a project without `acls/` does not manage ACLs, while an
    empty `topics/` folder means "no topics" (and the plan's delete safety guards that)."""
    return [kind for kind in KINDS if kind.name in folders]


def all_executors(edges: Edges, kinds: Sequence[Kind]) -> dict[type[Change], Executor]:
    table: dict[type[Change], Executor] = {}
    for kind in kinds:
        table.update(kind.executors(edges))
    return table
