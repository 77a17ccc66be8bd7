"""Dynamic broker configs -> brokers/cluster.yaml: the cluster defaults and each broker's own
resource, declared for this environment only (broker config is cluster-wide: one environment per
cluster declares it). Sensitive values cannot be read, and the throttles a running reassignment
sets come and go on their own, so neither is written; a value the spec rules would refuse or read
differently is left out with a note.
"""

from __future__ import annotations

from typing import Any

from mqctl.exporting import Export, ExportContext, config_value, document
from mqctl.kinds.brokers.configs import broker_value, definition
from mqctl.kinds.brokers.diff import REASSIGNMENT_THROTTLES
from mqctl.kinds.brokers.live import LiveBrokerConfigs
from mqctl.kinds.topics.configs import same_as
from mqctl.live import LiveConfig

CLUSTER_DEFAULT = "cluster-default"  # the resource names a plan shows, and --include/--exclude match


def spec_value(key: str, value: str, cluster_default: bool) -> str | int | None:
    """What a spec writes for a live value, readable (`7d`) where that reads back the same, else
    as Kafka reports it; None when the spec rules refuse it or read it as something else."""
    found = definition(key)
    for candidate in (config_value(key, value), value):
        normalised, reason = broker_value(key, candidate, cluster_default)
        if reason is None and normalised is not None and same_as(found.value if found else None, normalised, value):
            return candidate
    return None


def _declared(name: str, configs: dict[str, LiveConfig], cluster_default: bool, notes: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, entry in sorted(configs.items()):
        if key in REASSIGNMENT_THROTTLES:
            continue
        written = None if entry.sensitive or entry.value is None else spec_value(key, entry.value, cluster_default)
        if written is None:
            why = "sensitive, its value cannot be read" if entry.sensitive else "brokers/ cannot declare it"
            notes.append(f"{name}: {key} is not exported ({why}); plans warn about it as drift")
        else:
            values[key] = written
    return values


def export_brokers(live: LiveBrokerConfigs, ctx: ExportContext) -> Export:
    result = Export([], [], [])
    resources: dict[str, tuple[int | None, dict[str, LiveConfig]]] = {
        CLUSTER_DEFAULT: (None, dict(live.cluster_default)),
        **{f"broker {b}": (b, live.dynamic(b)) for b in sorted(live.brokers)},
    }
    section: dict[str, Any] = {"environments": [ctx.env.name]}
    for name, (broker, configs) in resources.items():
        if not configs:
            continue
        if not ctx.select(name):
            result.left_out.append(name)
            continue
        values = _declared(name, configs, broker is None, result.notes)
        if values and broker is None:
            section["cluster_defaults"] = values
        elif values:
            section.setdefault("per_broker", {})[broker] = values
    if len(section) > 1:
        result.files.append(document("brokers/cluster.yaml", "brokers", ctx.env.name, {"brokers": section}))
        result.notes.append(
            f"brokers/cluster.yaml declares the cluster-wide broker config for environment {ctx.env.name} only: "
            "keep it in one environment per cluster"
        )
    return result
