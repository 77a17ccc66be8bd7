"""Compare every broker's live configuration with the broker template: pure, snapshot first, then diff.

The live side is a plain mapping broker id -> key -> LiveConfig read beforehand by
mqctl.kinds.brokers.admin (the same read the brokers kind snapshots); this module never talks to
Kafka, so tests drive it with plain data.
Keys the template marks `check: false` (host paths, rack) and keys it leaves unset are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mqctl.live import LiveConfig
from mqctl.templates import Machine, Rendered

# Where a live value comes from (Kafka's ConfigSource names), in one word an operator acts on.
SOURCE_KINDS: dict[str, str] = {
    "DYNAMIC_BROKER_CONFIG": "dynamic",  # set at runtime for this broker
    "DYNAMIC_DEFAULT_BROKER_CONFIG": "dynamic-default",  # set at runtime for all brokers
    "STATIC_BROKER_CONFIG": "static",  # server.properties
    "DEFAULT_CONFIG": "default",  # Kafka's built-in default
}
# How a differing key can be brought in line.
CHANGES: dict[str, str] = {
    "dynamic": "kafka-configs --alter, no restart",
    "restart": "server.properties and a rolling restart",
    "unknown": "not a config of this Kafka version",
}


@dataclass(frozen=True)
class BrokerValue:
    broker: int
    value: str | None
    source: str | None  # None: this broker does not know the key (other Kafka version, or a typo)
    read_only: bool | None
    matches: bool

    @property
    def origin(self) -> str:
        if self.source is None:
            return "unknown key"
        return SOURCE_KINDS.get(self.source, self.source)

    def to_dict(self) -> dict[str, object]:
        return {"broker": self.broker, "value": self.value, "source": self.source,
                "origin": self.origin, "read_only": self.read_only, "matches": self.matches}


@dataclass(frozen=True)
class Difference:
    """A template key that at least one broker does not have at the template's value."""

    key: str
    expected: str
    why: str
    brokers: tuple[BrokerValue, ...]  # every broker, matching or not, so the spread is visible

    @property
    def change(self) -> str:
        """How the differing brokers can be brought in line: a key of CHANGES."""
        differing = [b for b in self.brokers if not b.matches]
        if any(b.source is None for b in differing):
            return "unknown"
        if any(b.read_only for b in differing):
            return "restart"
        return "dynamic"

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, "template": self.expected, "why": self.why, "change": self.change,
                "brokers": [b.to_dict() for b in self.brokers]}


@dataclass(frozen=True)
class BrokerCheck:
    profile: str
    machine: Machine | None
    brokers: tuple[int, ...]
    checked: tuple[str, ...]
    skipped: tuple[str, ...]
    differences: tuple[Difference, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "profile": self.profile,
            "machine": self.machine.to_dict() if self.machine else None,
            "brokers": list(self.brokers),
            "checked": list(self.checked),
            "skipped": list(self.skipped),
            "differences": [d.to_dict() for d in self.differences],
        }


def check_brokers(template: Rendered, live: Mapping[int, Mapping[str, LiveConfig]]) -> BrokerCheck:
    """Differences between `template` and each broker's live config, in template order."""
    brokers = tuple(sorted(live))
    checked = tuple(s.key for s in template.settings if s.check and s.text is not None)
    skipped = tuple(s.key for s in template.settings if s.key not in checked)
    differences = []
    for key in checked:
        setting = template.get(key)
        expected = setting.text or ""
        values = []
        for broker in brokers:
            entry = live[broker].get(key)
            values.append(BrokerValue(
                broker=broker,
                value=entry.value if entry else None,
                source=entry.source if entry else None,
                read_only=entry.read_only if entry else None,
                matches=entry is not None and entry.value == expected,
            ))
        if not all(v.matches for v in values):
            differences.append(Difference(key, expected, setting.why, tuple(values)))
    return BrokerCheck(template.profile, template.machine, brokers, checked, skipped, tuple(differences))
