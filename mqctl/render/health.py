"""The health report as text (a terminal or CI log), JSON (its documented form) and markdown (an
issue or chat message). They present a HealthReport; they decide nothing. Names come from the
cluster and are escaped like everything else mqctl prints."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape

from mqctl.health import Check, HealthReport, Status
from mqctl.render.markdown import code, plain

MAX_ITEMS = 20  # per check in text and markdown; the JSON form has every item
_MARK = {Status.OK: ("✓", "green"), Status.PROBLEMS: ("✗", "red"), Status.SKIPPED: ("-", "dim"),
         Status.ERROR: ("!", "red")}  # fmt: skip


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "-"
    return "-" if value is None else str(value)


def item_text(item: Mapping[str, Any]) -> str:
    """One item on one line: `dev.orders.v1[3]  leader 1  replicas 1,4,2  isr 1` for a partition,
    `key value` pairs otherwise."""
    rest = dict(item)
    head = ""
    if "topic" in rest and "partition" in rest:
        head = f"{rest.pop('topic')}[{rest.pop('partition')}]  "
    return head + "  ".join(f"{key.replace('_', ' ')} {_value(value)}" for key, value in rest.items())


def _summary(check: Check) -> str:
    if check.status is Status.PROBLEMS and not check.rows:
        return f"{len(check.items)} problem(s)"
    return str(check.status)


def render_text(out: Console, report: HealthReport) -> None:
    scope = f" (topics {', '.join(report.topics)})" if report.topics else ""
    out.print(f"Cluster health of environment [bold]{escape(report.environment)}[/]{escape(scope)}:")
    width = max(len(c.check) for c in report.checks)
    for check in report.checks:
        mark, colour = _MARK[check.status]
        note = f"  [dim]({escape(check.note)})[/]" if check.note else ""
        out.print(f"  [{colour}]{mark} {check.check:<{width}}  {_summary(check)}[/]{note}")
        if check.status is Status.PROBLEMS or check.rows:
            for item in check.items[:MAX_ITEMS]:
                out.print(f"      {escape(item_text(item))}")
            if len(check.items) > MAX_ITEMS:
                out.print(f"      … and {len(check.items) - MAX_ITEMS} more (-o json lists all)")
    problems = [c.check for c in report.checks if c.status is Status.PROBLEMS]
    errors = [c.check for c in report.checks if c.status is Status.ERROR]
    if problems:
        out.print(f"Problems: {', '.join(problems)}.")
    elif errors:
        out.print(f"Could not check: {', '.join(errors)}.")
    else:
        out.print("Healthy.")


def render_json(out: Console, report: HealthReport) -> None:
    out.out(json.dumps(report.to_dict(), indent=2), highlight=False)


def render_markdown_text(report: HealthReport) -> str:
    icon = {Status.OK: "✅", Status.PROBLEMS: "❌", Status.SKIPPED: "⏭️", Status.ERROR: "⚠️"}
    scope = f" (topics {', '.join(code(t) for t in report.topics)})" if report.topics else ""
    lines = [f"### mqctl cluster health for {code(report.environment)}{scope}: **{report.status}**", "",
             "| check | status | items |", "| --- | --- | ---: |"]  # fmt: skip
    lines += [f"| {icon[c.status]} {c.check} | {c.status} | {len(c.items)} |" for c in report.checks]
    lines.append("")
    for check in report.checks:
        if check.status not in (Status.PROBLEMS, Status.ERROR):
            continue
        lines += [f"#### {check.check}", ""]
        if check.note:
            lines += [plain(check.note), ""]
        lines += [f"- {code(item_text(item))}" for item in check.items[:MAX_ITEMS]]
        if len(check.items) > MAX_ITEMS:
            lines.append(f"- … and {len(check.items) - MAX_ITEMS} more")
        lines.append("")
    return "\n".join(lines) + "\n"


def render_markdown(out: Console, report: HealthReport) -> None:
    out.out(render_markdown_text(report), highlight=False, end="")


FORMATS: Mapping[str, Callable[[Console, HealthReport], None]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}
