"""The ACL kind's spec values: a binding exactly as Kafka stores it, and where the specs declared it
(the cluster's side is live.py)."""

from __future__ import annotations

from dataclasses import dataclass

from mqctl.spec.model import Source


@dataclass(frozen=True, order=True)
class AclBinding:
    """One ACL binding exactly as Kafka stores it (names already carry the environment prefix).
    Specs and the live snapshot both produce these, so the ACL diff is a set difference."""

    principal: str  # `User:alice`
    resource_type: str  # topic | group | cluster | transactional_id
    name: str  # full resource name; `kafka-cluster` for the cluster, `*` for the literal wildcard
    pattern_type: str  # literal | prefixed
    operation: str  # READ, WRITE, ... (Kafka's AclOperation names)
    permission: str = "allow"  # allow | deny
    host: str = "*"

    def __str__(self) -> str:
        pattern = " (prefixed)" if self.pattern_type == "prefixed" else ""
        host = "" if self.host == "*" else f" from {self.host}"
        return (
            f"{self.permission} {self.principal} {self.operation} on "
            f"{self.resource_type}:{self.name}{pattern}{host}"
        )


@dataclass(frozen=True)
class AclSpec:
    """A binding the specs ask for and where it was declared (a role entry declares several)."""

    binding: AclBinding
    source: Source

