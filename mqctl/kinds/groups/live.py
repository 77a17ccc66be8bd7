"""The groups of one environment as plain values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

EMPTY = "Empty"  # the state of a group without members (classic and consumer groups alike)
REPLAY_SUFFIX = ".replay"  # `<group id>.replay` commits what `groups replay-dlq` re-published


@dataclass(frozen=True)
class LiveGroup:
    group_id: str
    state: str  # as ListGroups reports it: Stable, Empty, PreparingRebalance, Reconciling, ...
    type: str  # classic, consumer, share or streams
    coordinator: int = field(default=-1, metadata={"fingerprint": False})  # the broker coordinating it


@dataclass(frozen=True)
class LiveGroups:
    """Every live group under the environment's prefix, and the dynamic configs of GROUP resources
    under it (a config resource exists whether or not its group does)."""

    groups: Mapping[str, LiveGroup]
    configs: Mapping[str, Mapping[str, str]]  # group id -> key -> value, GROUP_CONFIG-sourced only
    # topics each group has committed offsets on: what export writes; context, not managed state
    committed_topics: Mapping[str, frozenset[str]] = field(default_factory=dict, metadata={"fingerprint": False})
