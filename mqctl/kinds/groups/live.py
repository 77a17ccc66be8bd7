"""The groups of one environment as plain values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

EMPTY = "Empty"  # the state of a group without members (classic and consumer groups alike)
REPLAY_SUFFIX = ".replay"  # `<group id>.replay` commits what `groups replay-dlq` re-published


@dataclass(frozen=True)
class LiveGroup:
    """One live group. Only whether it is empty and its type are managed state (a saved plan is
    tied to them); its exact state and coordinator change as consumers come and go."""

    group_id: str
    state: str = field(metadata={"fingerprint": False})  # ListGroups' state: Stable, Empty, Reconciling, ...
    type: str  # classic, consumer, share or streams
    coordinator: int = field(default=-1, metadata={"fingerprint": False})  # the broker coordinating it

    @property
    def empty(self) -> bool:
        return self.state == EMPTY


@dataclass(frozen=True)
class LiveGroups:
    """Every live group under the environment's prefix, and the dynamic configs of GROUP resources
    under it (a config resource exists whether or not its group does)."""

    groups: Mapping[str, LiveGroup]
    configs: Mapping[str, Mapping[str, str]]  # group id -> key -> value, GROUP_CONFIG-sourced only
    # topics each group has committed offsets on: what export writes; context, not managed state
    committed_topics: Mapping[str, frozenset[str]] = field(default_factory=dict, metadata={"fingerprint": False})
