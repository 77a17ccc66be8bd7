"""Kafka's ACL vocabulary and the role shorthands: which operations each resource type accepts, and
which exact bindings a producer or consumer needs. Pure data and one pure function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mqctl.kinds.acls.model import AclBinding

CLUSTER_NAME = "kafka-cluster"  # the one name a cluster resource has

# Operations each resource type accepts: Kafka's AclEntry.supportedOperations (4.x), restricted to
# what the admin client can express; ALL is valid on every type. Anything else the broker refuses.
OPERATIONS: dict[str, frozenset[str]] = {
    "topic": frozenset(
        {"READ", "WRITE", "CREATE", "DESCRIBE", "DELETE", "ALTER", "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "ALL"}
    ),
    "group": frozenset({"READ", "DESCRIBE", "DELETE", "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "ALL"}),
    "cluster": frozenset(
        {
            "CREATE",
            "CLUSTER_ACTION",
            "DESCRIBE_CONFIGS",
            "ALTER_CONFIGS",
            "IDEMPOTENT_WRITE",
            "ALTER",
            "DESCRIBE",
            "ALL",
        }
    ),
    "transactional_id": frozenset({"DESCRIBE", "WRITE", "ALL"}),
}


@dataclass(frozen=True)
class Role:
    """What a role grants: operations on its topics, its group and its transactional id."""

    topic: tuple[str, ...]
    group: tuple[str, ...] = ()
    transactional_id: tuple[str, ...] = ()
    description: str = ""


# The bindings the Java and librdkafka clients need (what kafka-acls.sh --producer/--consumer
# grant, without the topic CREATE that only auto-creation uses). Idempotent producing needs no
# cluster binding since Kafka 2.8: WRITE on a topic implies IDEMPOTENT_WRITE (KIP-679).
ROLES: dict[str, Role] = {
    "producer": Role(topic=("WRITE", "DESCRIBE"), description="writes to its topics"),
    "consumer": Role(topic=("READ", "DESCRIBE"), group=("READ",), description="reads its topics as its group"),
    "transactional-producer": Role(
        topic=("WRITE", "DESCRIBE"),
        transactional_id=("WRITE", "DESCRIBE"),
        description="writes to its topics in transactions under its transactional id",
    ),
}


def expand(
    role: Role,
    principal: str,
    topics: Sequence[str],
    group: str | None,
    transactional_id: str | None,
    pattern_type: str,
    host: str,
) -> list[AclBinding]:
    """The allow bindings `role` stands for; names are the full (environment-prefixed) names."""
    resources = [("topic", name, op) for name in topics for op in role.topic]
    if group is not None:
        resources += [("group", group, op) for op in role.group]
    if transactional_id is not None:
        resources += [("transactional_id", transactional_id, op) for op in role.transactional_id]
    return [AclBinding(principal, kind, name, pattern_type, op, "allow", host) for kind, name, op in resources]
