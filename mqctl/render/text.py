"""Terraform-style plan text for a terminal or a CI log.

Every string that may come from a spec (names, fields, values, risks, notes) goes through `_safe`:
control characters (ANSI CSI/OSC sequences start with ESC), bidi overrides and newlines are shown as
escapes, so a spec cannot recolour, hide or forge lines of the plan; then rich markup is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.markup import escape

from mqctl.plan import Action, Change, Plan
from mqctl.render.values import show
from mqctl.textsafe import visible


def _safe(text: object) -> str:
    return escape(visible(str(text)))

SYMBOL = {Action.CREATE: ("+", "green"), Action.UPDATE: ("~", "yellow"), Action.DELETE: ("-", "red")}


def labels_text(labels: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _change(console: Console, change: Change, note: str | None, labels: Mapping[str, str]) -> None:
    symbol, colour = SYMBOL[change.action]
    flag = "  [bold red]⚠ destructive[/]" if change.destructive else ""
    extra = f"  [dim]({_safe(note)})[/]" if note else ""
    console.print(f"  [{colour}]{symbol} {change.resource_type} {_safe(change.name)}[/]{flag}{extra}")
    if labels:
        console.print(f"      [dim]labels: {_safe(labels_text(labels))}[/]")
    width = max((len(visible(d.field)) for d in change.diffs), default=0)
    for diff in change.diffs:
        if change.action is Action.CREATE:
            value = show(diff.field, diff.after)
        elif change.action is Action.DELETE:
            value = show(diff.field, diff.before)
        else:
            value = f"{show(diff.field, diff.before)} → {show(diff.field, diff.after)}"
        field = visible(diff.field)
        console.print(f"      {escape(field)}{' ' * (width - len(field))}  {_safe(value)}")
    for risk in change.all_risks:
        console.print(f"      [red]⚠ {_safe(risk)}[/]")


def render_plan(console: Console, plan: Plan, notes: dict[str, str] | None = None) -> None:
    """Print the plan; `notes` adds a remark per change key (default: the flag each change needs,
    `needs --allow-delete`)."""
    notes = {**plan.needs, **(notes or {})}
    if plan.changes:
        console.print(f"mqctl will make these changes in environment [bold]{_safe(plan.environment)}[/]:")
        console.print()
        for change in plan.changes:
            _change(console, change, notes.get(change.key), plan.labels.get(change.key, {}))
        console.print()
    for diag in plan.warnings:
        console.print(f"[yellow]warning:[/] {escape(str(diag))}")
    for diag in plan.errors:
        console.print(f"[red]error:[/] {escape(str(diag))}")
    console.print(summary_line(plan))


def summary_line(plan: Plan) -> str:
    if plan.errors:
        return f"Plan failed: {len(plan.errors)} error(s); nothing will be changed."
    if not plan.changes:
        return f"No changes. Environment {visible(plan.environment)} matches the specs."
    counts = plan.counts()
    destructive = sum(c.destructive for c in plan.changes)
    tail = f", {destructive} destructive" if destructive else ""
    needs = plan.needs_summary()
    held = f"; {needs} to be applied" if needs else ""
    return (
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete{tail}{held}."
    )
