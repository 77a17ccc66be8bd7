"""The built-in rule types. Each reads fields of a resource's plain view, so it works for every kind
whose resources have those fields (a rule on a kind without them is reported once, at the policy).

A check returns None when the resource complies, else why not; it raises `Unreadable` when the
resource has no such field at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from mqctl.kind import ResourceView
from mqctl.spec.units import format_ms, parse_duration_ms

Views = Mapping[str, Mapping[str, ResourceView]]  # kind -> name -> view: what `requires` looks in
Check = Callable[[ResourceView, Any, Views], "str | None"]
_PLACEHOLDER = re.compile(r"\{(name|full_name)\}")
DEFAULT_CLEANUP_POLICY = "delete"  # Kafka's default when a topic does not set cleanup.policy


class Unreadable(Exception):
    """The resource has no field the rule reads."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def _field(view: ResourceView, name: str) -> Any:
    if name not in view.data:
        raise Unreadable(name)
    return view.data[name]


def _config(view: ResourceView, key: str) -> str | None:
    config = _field(view, "config")
    value = config.get(key) if isinstance(config, Mapping) else None
    return None if value is None else str(value)


def _at_least(field: str, noun: str) -> Check:
    def check(view: ResourceView, minimum: Any, _: Views) -> str | None:
        value = _field(view, field)
        return None if value is not None and value >= minimum else f"{value} {noun}; at least {minimum} required"

    return check


def _max_partitions(view: ResourceView, maximum: Any, _: Views) -> str | None:
    value = _field(view, "partitions")
    return None if value <= maximum else f"{value} partitions; at most {maximum} allowed"


def _min_isr(view: ResourceView, minimum: Any, _: Views) -> str | None:
    value = _config(view, "min.insync.replicas")
    if value is None:
        return f"does not declare min.insync.replicas (the broker default applies); at least {minimum} required"
    return None if int(value) >= minimum else f"min.insync.replicas {value}; at least {minimum} required"


def _ms(bound: Any) -> int:
    if bound == "infinite":
        return -1
    return bound if isinstance(bound, int) else parse_duration_ms(str(bound)) or 0


def _retention(view: ResourceView, bounds: Any, _: Views) -> str | None:
    value = _config(view, "retention.ms")
    wanted = " and ".join(f"{k} {format_ms(_ms(v))}" for k, v in sorted(bounds.items(), reverse=True))
    if value is None:
        return f"does not declare a retention (the broker default applies); the policy asks for {wanted}"
    ms = int(value)
    low, high = bounds.get("min"), bounds.get("max")
    too_short = low is not None and ms >= 0 and (_ms(low) < 0 or ms < _ms(low))
    too_long = high is not None and _ms(high) >= 0 and (ms < 0 or ms > _ms(high))
    return f"retention {format_ms(ms)}; the policy asks for {wanted}" if too_short or too_long else None


def _cleanup(view: ResourceView, allowed: Any, _: Views) -> str | None:
    value = _config(view, "cleanup.policy") or DEFAULT_CLEANUP_POLICY
    used = sorted(set(value.split(",")) - set(allowed))
    return f"cleanup.policy {value}: {', '.join(used)} not allowed (allowed: {', '.join(allowed)})" if used else None


def _labels(view: ResourceView, required: Any, _: Views) -> str | None:
    missing = [label for label in required if not view.labels.get(label)]
    return f"missing label(s) {', '.join(missing)}" if missing else None


def _fields(view: ResourceView, required: Any, _: Views) -> str | None:
    missing = [name for name in required if _field(view, name) in (None, "", [], {})]
    return f"does not declare {', '.join(missing)}" if missing else None


def _requires(view: ResourceView, params: Any, views: Views) -> str | None:
    strings = {k: str(v) for k, v in view.data.items() if isinstance(v, str)}
    wanted = _PLACEHOLDER.sub(lambda m: strings.get(m.group(1), m.group(0)), str(params["name"]))
    found = views.get(params["kind"], {})
    return None if wanted in found else f"no {params['kind']} resource named {wanted}"


RULES: dict[str, Check] = {
    "min_partitions": _at_least("partitions", "partitions"),
    "max_partitions": _max_partitions,
    "min_replication_factor": _at_least("replication_factor", "replicas"),
    "min_insync_replicas": _min_isr,
    "retention": _retention,
    "cleanup_policies": _cleanup,
    "required_labels": _labels,
    "required_fields": _fields,
    "requires": _requires,
}
FIELD_OF = {  # the view field each rule's violations are reported at
    "min_partitions": "partitions",
    "max_partitions": "partitions",
    "min_replication_factor": "replication_factor",
    "min_insync_replicas": "config.min.insync.replicas",
    "retention": "config.retention.ms",
    "cleanup_policies": "config.cleanup.policy",
    "required_labels": "labels",
}
