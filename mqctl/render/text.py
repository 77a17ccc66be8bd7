"""Terraform-style plan text for a terminal or a CI log."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.markup import escape

from mqctl.plan import Action, Change, Plan
from mqctl.render.values import show

SYMBOL = {Action.CREATE: ("+", "green"), Action.UPDATE: ("~", "yellow"), Action.DELETE: ("-", "red")}


def labels_text(labels: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _change(console: Console, change: Change, note: str | None, labels: Mapping[str, str]) -> None:
    symbol, colour = SYMBOL[change.action]
    flag = "  [bold red]⚠ destructive[/]" if change.destructive else ""
    extra = f"  [dim]({escape(note)})[/]" if note else ""
    console.print(f"  [{colour}]{symbol} {change.resource_type} {escape(change.name)}[/]{flag}{extra}")
    if labels:
        console.print(f"      [dim]labels: {escape(labels_text(labels))}[/]")
    width = max((len(d.field) for d in change.diffs), default=0)
    for diff in change.diffs:
        if change.action is Action.CREATE:
            value = show(diff.field, diff.after)
        elif change.action is Action.DELETE:
            value = show(diff.field, diff.before)
        else:
            value = f"{show(diff.field, diff.before)} → {show(diff.field, diff.after)}"
        console.print(f"      {escape(diff.field):<{width}}  {escape(value)}")
    for risk in change.all_risks:
        console.print(f"      [red]⚠ {escape(risk)}[/]")


def render_plan(console: Console, plan: Plan, notes: dict[str, str] | None = None) -> None:
    """Print the plan; `notes` adds a remark per change name (e.g. `needs --allow-delete`)."""
    notes = notes or {}
    if plan.changes:
        console.print(f"mqctl will make these changes in environment [bold]{escape(plan.environment)}[/]:")
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
        return f"No changes. Environment {plan.environment} matches the specs."
    counts = plan.counts()
    destructive = sum(c.destructive for c in plan.changes)
    tail = f", {destructive} destructive" if destructive else ""
    return (
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete{tail}."
    )
