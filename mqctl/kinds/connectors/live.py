"""The live connectors of one environment as plain values, the shapes the connector diff compares
specs with.

Connect returns configs with their secrets in plain text. The values are kept for the diff, which
compares them in memory, but never reach a saved plan: the fingerprint of a live connector holds
its class, tasks, state and config keys, not one value (a digest of a secret value would let
whoever holds the plan file test guesses against it). The plan's own fingerprint still ties a saved
plan to every value difference it shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# The state a connector was asked to be in, from the runtime state the worker reports: a FAILED or
# RESTARTING connector is still meant to run; UNASSIGNED (between rebalances, or just created)
# tells nothing, and maps to None.
TARGET_STATES: Mapping[str, str] = {
    "RUNNING": "running",
    "FAILED": "running",
    "RESTARTING": "running",
    "PAUSED": "paused",
    "STOPPED": "stopped",
}


@dataclass(frozen=True)
class LiveConnector:
    name: str
    class_name: str
    tasks_max: str  # as the worker stores it (a string: a hand-made config may hold anything)
    state: str | None  # running | paused | stopped; None: the worker does not say (yet)
    config_keys: tuple[str, ...]
    # every key but name, connector.class and tasks.max, values in plain text: compared, never saved
    config: Mapping[str, str] = field(default_factory=dict, repr=False, metadata={"fingerprint": False})


LiveConnectors = Mapping[str, LiveConnector]  # the environment's connectors (under its prefix), by name
