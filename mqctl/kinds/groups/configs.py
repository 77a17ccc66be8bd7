"""Catalogue of Apache Kafka 4.x GROUP config resources (KIP-848; the share and streams keys of 4.1).

Source: `GroupConfig.configDef()` of Kafka 4.1.1 (read from its jar): every key, its type and the
range the definition itself enforces. What `validate` checks offline: the key is known, the value
has the right type and lies in that range, enums, `share.auto.offset.reset`'s `by_duration:` form,
and a session timeout above the heartbeat interval when a spec sets both. What only the cluster
knows: each broker bounds these values by its own static settings
(`group.consumer.min.session.timeout.ms` = 45 s and `...max...` = 60 s by default,
`group.consumer.min/max.heartbeat.interval.ms`, the share and streams equivalents); the plan's
validate-only IncrementalAlterConfigs asks the brokers, so a plan that passes applies.
"""

from __future__ import annotations

import re

from mqctl.kinds.topics.configs import ConfigDef, check_value

GROUP_CONFIGS: dict[str, ConfigDef] = {
    "consumer.session.timeout.ms": ConfigDef("int", 1),
    "consumer.heartbeat.interval.ms": ConfigDef("int", 1),
    "share.session.timeout.ms": ConfigDef("int", 1),
    "share.heartbeat.interval.ms": ConfigDef("int", 1),
    "share.record.lock.duration.ms": ConfigDef("int", 1000),
    "share.auto.offset.reset": ConfigDef("string"),
    "share.isolation.level": ConfigDef("enum", choices=("read_committed", "read_uncommitted")),
    "streams.session.timeout.ms": ConfigDef("int", 1),
    "streams.heartbeat.interval.ms": ConfigDef("int", 1),
    "streams.num.standby.replicas": ConfigDef("int", 0),
}
# Classic-protocol consumers set these in the client, not on the group: say so instead of "unknown".
CLIENT_SIDE = {
    "session.timeout.ms": "consumer.session.timeout.ms",
    "heartbeat.interval.ms": "consumer.heartbeat.interval.ms",
}
# `by_duration:` takes an ISO-8601 duration (java.time.Duration.parse): PnDTnHnMn.nS.
_ISO_DURATION = re.compile(r"^P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d{1,9})?S)?)?$")
PAIRS = (("consumer", "consumer"), ("share", "share"), ("streams", "streams"))


def group_value(key: str, value: object) -> tuple[str | None, str | None]:
    """(Kafka string form, None) for a valid value of a GROUP config, or (None, why not)."""
    if key in CLIENT_SIDE:
        return None, (
            f"not a group config: classic-protocol consumers set {key} in the client; for groups using "
            f"the consumer protocol (KIP-848) the group config is {CLIENT_SIDE[key]}"
        )
    spec = GROUP_CONFIGS.get(key)
    if spec is None:
        return None, f"unknown group config for Kafka 4.x (known: {', '.join(sorted(GROUP_CONFIGS))})"
    if key == "share.auto.offset.reset":
        text = str(value).strip() if isinstance(value, str) else ""
        duration = text.removeprefix("by_duration:")
        if text in ("latest", "earliest") or (text.startswith("by_duration:") and _ISO_DURATION.match(duration)):
            return text, None
        return None, f"must be latest, earliest or by_duration:<ISO-8601 duration, e.g. PT1H> (got {value!r})"
    return check_value(key, value, spec)


def timeout_conflicts(config: dict[str, str]) -> list[tuple[str, str]]:
    """(key, why) for each session timeout not above its heartbeat interval, when both are set:
    the brokers refuse that whatever their bounds."""
    found = []
    for prefix, _ in PAIRS:
        session, heartbeat = config.get(f"{prefix}.session.timeout.ms"), config.get(f"{prefix}.heartbeat.interval.ms")
        if session is not None and heartbeat is not None and int(session) <= int(heartbeat):
            found.append(
                (f"{prefix}.session.timeout.ms",
                 f"must be greater than {prefix}.heartbeat.interval.ms ({session} <= {heartbeat} ms)")
            )
    return found
