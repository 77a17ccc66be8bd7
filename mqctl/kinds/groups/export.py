"""Live groups -> groups/groups.yaml: every group under the environment's prefix (mqctl's own probe
groups aside), the topics it has committed offsets on, and its GROUP configs, so that a plan from
the export is empty. Alerts are not live state: none are written (add them by hand)."""

from __future__ import annotations

from typing import Any

from mqctl.config import RESERVED_DOMAIN
from mqctl.exporting import Export, ExportContext, config_value, document
from mqctl.kinds.groups.live import LiveGroups


def export_groups(live: LiveGroups, ctx: ExportContext) -> Export:
    result = Export([], [], [])
    prefix = ctx.env.prefix
    entries: list[dict[str, Any]] = []
    for group_id in sorted(set(live.groups) | set(live.configs)):
        name = group_id.removeprefix(prefix)
        if name.startswith(f"{RESERVED_DOMAIN}."):
            continue
        if not ctx.select(name):
            result.left_out.append(name)
            continue
        topics = sorted(live.committed_topics.get(group_id, frozenset()))
        foreign = [t for t in topics if not t.startswith(prefix)]
        if foreign:
            result.notes.append(
                f"group {name}: committed on {', '.join(foreign)}, outside environment {ctx.env.name}; not written"
            )
        entry: dict[str, Any] = {"name": name, "topics": [t.removeprefix(prefix) for t in topics if t not in foreign]}
        configs = live.configs.get(group_id, {})
        if configs:
            entry["config"] = {key: config_value(key, value) for key, value in sorted(configs.items())}
        entries.append(entry)
    if entries:
        result.files.append(document("groups/groups.yaml", "groups", ctx.env.name, {"groups": entries}))
        result.notes.append("groups/groups.yaml declares no alerts: add max_lag, max_time_lag and min_members")
    return result
