"""Text and Markdown forms of the group commands' reports. Names, topics and message samples are
spec or cluster data: every one is passed through `safe` (no terminal control sequences, no
bidirectional overrides) and, in Markdown, shown as inline code or escaped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mqctl.kinds.groups.status import GroupStatus, StatusReport, TopicLag
from mqctl.render.markdown import code, plain
from mqctl.textsafe import visible

if TYPE_CHECKING:
    from mqctl.kinds.groups.workflow import ReplayResult, ResetResult

SAMPLE_CHARS = 200  # of a sampled key or value shown by replay-dlq


def safe(text: str, limit: int | None = None) -> str:
    """`text` (cluster data: group ids, record samples) made visible with the project's one rule
    (mqctl.textsafe.visible), and cut at `limit` characters."""
    shown = visible(text)
    if limit is not None and len(shown) > limit:
        return shown[:limit] + f"… ({len(shown) - limit} more characters)"
    return shown


def md_code(text: str) -> str:
    """Inline Markdown code of data: one line, no way out of the code span."""
    return code(safe(text).replace("\n", " "))


def _number(value: float | int | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"


def _topic_line(topic: TopicLag) -> str:
    return (f"    {safe(topic.topic)}: lag {_number(topic.lag)}, max partition lag {_number(topic.max_partition_lag)}, "
            f"time lag {_number(topic.time_lag_seconds)}s")


def _group_head(group: GroupStatus) -> str:
    protocol = f", {group.protocol}" if group.protocol else ""
    kind = "" if group.declared else " (not declared)"
    return f"{safe(group.group_id)}{kind}: {group.state}{protocol}, members {_number(group.members)}"


def status_lines(report: StatusReport) -> list[str]:
    lines = [f"environment {safe(report.environment)}: {len(report.groups)} group(s)"]
    for group in report.groups:
        mark = "✗" if group.breaches else "✓"
        lines.append(f"{mark} {_group_head(group)}")
        lines += [_topic_line(topic) for topic in group.topics]
        for breach in group.breaches:
            where = f" on {safe(breach.topic)}" if breach.topic else ""
            lines.append(f"    ! {breach.alert}{where}: {_number(breach.value)} (limit {_number(breach.limit)})")
    breached = sum(1 for g in report.groups if g.breaches)
    lines.append(f"{breached} group(s) breach their alerts" if breached else "all groups within their alerts")
    return lines


def status_markdown(report: StatusReport) -> list[str]:
    lines = [f"### Consumer groups of {md_code(report.environment)}", "",
             "| group | state | members | topic | lag | max partition lag | time lag (s) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for group in report.groups:
        rows = group.topics or ()
        head = f"| {md_code(group.group_id)} | {plain(group.state)} | {_number(group.members)} |"
        if not rows:
            lines.append(f"{head} | | | | |")
        for i, topic in enumerate(rows):
            start = head if i == 0 else "| | | |"
            lines.append(f"{start} {md_code(topic.topic)} | {_number(topic.lag)} | {_number(topic.max_partition_lag)} "
                         f"| {_number(topic.time_lag_seconds)} |")
    found = [(g, b) for g in report.groups for b in g.breaches]
    lines += ["", f"**{len(found)} breach(es)**" if found else "All groups within their alerts.", ""]
    for group, breach in found:
        where = f" on {md_code(breach.topic)}" if breach.topic else ""
        lines.append(f"- {md_code(group.group_id)} {plain(breach.alert)}{where}: "
                     f"{_number(breach.value)} (limit {_number(breach.limit)})")
    return lines


def reset_lines(result: ResetResult) -> list[str]:
    mode = "applied" if result.executed else "dry run, nothing changed (--execute applies)"
    lines = [f"reset offsets of {safe(result.group_id)} on {safe(result.topic)}: {mode}"]
    for move in result.moves:
        before = "-" if move.before is None else str(move.before)
        note = " (clamped to the partition's earliest..end)" if move.clamped else ""
        failed = result.failures.get(move.partition)
        outcome = f"  FAILED: {safe(failed)}" if failed else ""
        lines.append(f"  partition {move.partition}: {before} → {move.after}{note}{outcome}")
    return lines


def replay_lines(result: ReplayResult) -> list[str]:
    lines = [
        f"replay {safe(result.dlq)} → {safe(result.target)} for {safe(result.group_id)} "
        f"(offsets committed for {safe(result.replay_group)})",
        f"  {result.count} dead letter offset(s) to replay: "
        + (", ".join(f"partition {p} {a}..{b - 1}" for p, (a, b) in sorted(result.ranges.items())) or "none"),
    ]
    for sample in result.sample:
        where = f"{sample.partition}/{sample.offset}"
        lines.append(f"  sample {where}: key {_shown(sample.key)} value {_shown(sample.value)}")
        for name, value in sample.headers:
            lines.append(f"      header {safe(name, 60)}: {safe(value, 60)}")
    if result.executed:
        lines.append(f"  re-published {result.published}, failed {result.failed}; committed "
                     + (", ".join(f"partition {p} at {o}" for p, o in sorted(result.committed.items())) or "nothing"))
        for p, why in sorted(result.uncommitted.items()):
            lines.append(f"  not committed: partition {p}: {safe(why)}; the next replay re-publishes its messages")
    else:
        lines.append("  dry run: nothing published or committed (--execute replays)")
    return lines


def _shown(text: str | None) -> str:
    return "(null)" if text is None else repr(safe(text, SAMPLE_CHARS))
