"""Topics -> topics/<domain>.yaml: partitions, replication factor and only the configs set on the
topic itself (DYNAMIC_TOPIC_CONFIG), since inherited values are not the topic's to declare."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from mqctl.exporting import Export, ExportContext, config_value, document
from mqctl.kinds.topics.live import LiveTopic, LiveTopics
from mqctl.naming import NamingRule


def _topic(topic: LiveTopic, short: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": short,
        "partitions": topic.partitions,
        "replication_factor": topic.replication_factor,
    }
    overrides = {
        k: config_value(k, c.value)
        for k, c in sorted(topic.configs.items())
        if c.is_topic_override and c.value is not None and not c.sensitive
    }
    if overrides:
        entry["config"] = overrides
    return entry


def _domain(full_name: str, short: str, naming: NamingRule) -> str:
    match = naming.match(full_name)
    if match and "domain" in naming.groupindex and match.group("domain"):
        return str(match.group("domain"))
    return short.split(".", 1)[0] or "topics"


def export_topics(live: LiveTopics, ctx: ExportContext) -> Export:
    """One file per domain (topics/<domain>.yaml), names without the environment prefix."""
    prefix = ctx.env.prefix
    by_domain: dict[str, list[dict[str, Any]]] = defaultdict(list)
    left_out: list[str] = []
    notes: list[str] = []
    for full_name, topic in sorted(live.topics.items()):
        short = full_name[len(prefix) :]
        if not ctx.select(short):
            left_out.append(full_name)
            continue
        if not ctx.naming.match(full_name):
            notes.append(f"{full_name} breaks the naming rule of mqctl.yaml; validate will reject it")
        if len({len(r) for r in topic.replicas}) > 1:
            notes.append(f"{full_name}: partitions have different replica counts; exported as the smallest")
        by_domain[_domain(full_name, short, ctx.naming)].append(_topic(topic, short))
    files = [
        document(f"topics/{domain}.yaml", "topics", ctx.env.name, {"topics": entries})
        for domain, entries in sorted(by_domain.items())
    ]
    return Export(files, left_out, notes)
