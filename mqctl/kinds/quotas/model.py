"""Client quotas as plain values: the entity a quota is on, the declared quota, the live ones.

Kafka keys a quota by an entity: a user, a client id, both, their `<default>`s, or an IP address.
Values are numbers per second (per broker); the protocol carries them as doubles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mqctl.spec.model import Source

USER, CLIENT_ID, IP = "user", "client-id", "ip"  # Kafka's entity types
ENTITY_TYPES = (USER, CLIENT_ID, IP)  # the order an entity's parts are kept and shown in
DEFAULT_NAME = "<default>"  # how a plan shows the default entity of a type (Kafka's own word)

# The quota keys Kafka 4.x accepts, per entity type, and the ones it stores as whole numbers.
USER_CLIENT_KEYS = ("producer_byte_rate", "consumer_byte_rate", "request_percentage", "controller_mutation_rate")
IP_KEYS = ("connection_creation_rate",)
WHOLE_KEYS = frozenset({"producer_byte_rate", "consumer_byte_rate", "connection_creation_rate"})
BYTE_KEYS = frozenset({"producer_byte_rate", "consumer_byte_rate"})
MAX_EXACT = 2**53  # a double holds every whole number up to here; Kafka stores LONG values
MAX_INT = 2**31 - 1  # connection_creation_rate is an INT on the broker


@dataclass(frozen=True)
class QuotaEntity:
    """(entity type, name) pairs in ENTITY_TYPES order; a name of None is the type's `<default>`."""

    parts: tuple[tuple[str, str | None], ...]

    def __lt__(self, other: QuotaEntity) -> bool:
        """Sorted by type, the `<default>` before names: plans list entities in a stable order."""
        return _sort_key(self) < _sort_key(other)

    @classmethod
    def of(cls, parts: Mapping[str, str | None]) -> QuotaEntity:
        return cls(tuple((kind, parts[kind]) for kind in ENTITY_TYPES if kind in parts))

    def has(self, kind: str) -> bool:
        return any(k == kind for k, _ in self.parts)

    def named(self, kind: str) -> str | None:
        """The name of the `kind` part; None when it is absent or the default."""
        return next((name for k, name in self.parts if k == kind), None)

    @property
    def keys(self) -> tuple[str, ...]:
        """The quota keys Kafka accepts on this entity."""
        return IP_KEYS if self.has(IP) else USER_CLIENT_KEYS

    def __str__(self) -> str:
        """`user=order-service`, `user=<default>, client-id=prod.web`, `ip=10.0.0.1`."""
        return ", ".join(f"{kind}={DEFAULT_NAME if name is None else name}" for kind, name in self.parts)


def _sort_key(entity: QuotaEntity) -> tuple[tuple[int, bool, str], ...]:
    return tuple((ENTITY_TYPES.index(kind), name is not None, name or "") for kind, name in entity.parts)


QuotaValues = Mapping[str, float]  # quota key -> value


@dataclass(frozen=True)
class QuotaSpec:
    entity: QuotaEntity
    values: QuotaValues
    source: Source
    key_lines: Mapping[str, int | None] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class LiveQuotas:
    """Every quota entity on the cluster with its values (one DescribeClientQuotas)."""

    entities: Mapping[QuotaEntity, QuotaValues]
