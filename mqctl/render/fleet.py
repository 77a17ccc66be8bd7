"""The plans of every environment (`plan --all-envs`): each environment's plan in the chosen format,
and a summary with each environment's exit code."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from mqctl.plan import FORMAT_VERSION, Plan
from mqctl.render import markdown, text

EnvironmentPlan = tuple[Plan, int]  # a plan and the exit code it means


def _summary_lines(plans: Sequence[EnvironmentPlan]) -> list[str]:
    return [f"{plan.environment}: {text.summary_line(plan)} (exit {code})" for plan, code in plans]


def render_text(out: Console, plans: Sequence[EnvironmentPlan]) -> None:
    for plan, _ in plans:
        out.rule(f"environment {escape(plan.environment)}")
        text.render_plan(out, plan)
    out.rule("summary")
    for line in _summary_lines(plans):
        out.print(escape(line))


def fleet_dict(plans: Sequence[EnvironmentPlan], worst: int) -> dict[str, object]:
    """The JSON of `plan --all-envs -o json`: every environment's plan document and exit code."""
    return {
        "format_version": FORMAT_VERSION,
        "exit_code": worst,
        "environments": [{"environment": p.environment, "exit_code": c, "plan": p.to_dict()} for p, c in plans],
    }


def render_json(out: Console, plans: Sequence[EnvironmentPlan], worst: int) -> None:
    out.out(json.dumps(fleet_dict(plans, worst), indent=2), highlight=False)


def render_markdown(out: Console, plans: Sequence[EnvironmentPlan]) -> None:
    rows = [
        f"| {markdown.code(p.environment)} | {markdown.plain(text.summary_line(p))} | {c} |" for p, c in plans
    ]
    head = ["### mqctl plan for every environment", "", "| environment | plan | exit |", "| --- | --- | ---: |"]
    body = "\n".join([*head, *rows, ""]) + "\n" + "\n".join(markdown.render_markdown(p) for p, _ in plans)
    out.out(body, highlight=False, end="")


def render_fleet(out: Console, output: str, plans: Sequence[EnvironmentPlan], worst: int) -> None:
    if output == "json":
        render_json(out, plans, worst)
    elif output == "markdown":
        render_markdown(out, plans)
    else:
        render_text(out, plans)
