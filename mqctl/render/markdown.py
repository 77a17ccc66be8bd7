r"""The plan as a pull-request comment (GitHub / GitLab flavoured markdown).

Destructive changes and errors come first, where a reviewer looks; then a summary table; then every
change, collapsed in a <details> block when the plan is long. Comments have a size limit, so changes
past `MAX_CHARS` are counted, not listed (the saved plan and the CI log hold them all).

Names, keys, values, messages and risks come from spec files of a pull request, and the comment is
posted by CI: nothing in them may add markup. `code` and `plain` are the only ways spec text enters
the comment. Both put control, bidi and newline characters as visible escapes first (one value
cannot start a new block: a heading, a table, a fake `<!-- mqctl-plan:... -->` line). `code` picks a
backtick fence longer than any run in the text; `plain` backslash-escapes markdown's active characters
(emphasis, links, images, HTML and comments, tables, headings, strikethrough, entities), breaks GFM
autolinks (`https\://`, `www\.`) and puts `@` and `#<digit>` in code, where GitHub makes no
@mention, e-mail link or issue reference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rich.console import Console

from mqctl.diagnostics import Diagnostic
from mqctl.plan import Action, Change, Plan
from mqctl.render.text import summary_line
from mqctl.render.values import show
from mqctl.textsafe import visible

MARKER = "<!-- mqctl-plan:{env} -->"  # lets CI find and update its earlier comment
COLLAPSE_OVER = 10  # changes; longer plans are collapsed
MAX_CHARS = 60_000  # GitHub allows 65536 characters per comment, GitLab more
_ACTIVE = set("\\`*_<>[]|#~&")
SYMBOL = {Action.CREATE: "🟢", Action.UPDATE: "🟡", Action.DELETE: "🔴"}
_BACKTICKS = re.compile("`+")
# GFM autolinks start at `://` and `www.`; GitHub links @mentions, e-mail addresses and #123
_AUTOLINK = re.compile(r"(?i)(:)(?=//)|(?<=www)(\.)")
_REFERENCE = re.compile(r"[@#](?=[0-9A-Za-z])")


def code(text: str) -> str:
    """Inline code that survives backticks in the text: the fence is longer than any backtick run
    in it. Control characters and newlines are shown as escapes (mqctl.textsafe)."""
    text = visible(str(text))
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _escape_active(text: str) -> str:
    return "".join(f"\\{c}" if c in _ACTIVE else c for c in text)


def plain(text: str) -> str:
    """Free text (messages, risks) that renders exactly as written: `*.dlq.*` stays literal, and no
    link, image, HTML, heading, table, mention or new block can come out of it."""
    text = visible(str(text))
    out: list[str] = []
    last = 0
    for match in _REFERENCE.finditer(text):
        out.append(_AUTOLINK.sub(r"\\\1\2", _escape_active(text[last:match.start()])))
        out.append(f"`{match.group(0)}`")
        last = match.end()
    out.append(_AUTOLINK.sub(r"\\\1\2", _escape_active(text[last:])))
    return "".join(out)


def _marker_env(env: str) -> str:
    """The environment as it may stand in the marker comment: names from mqctl.yaml always do."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", env)


def _where(diag: Diagnostic) -> str:
    location = diag.file if diag.line is None else f"{diag.file}:{diag.line}"
    parts = [code(p) for p in (location, diag.key) if p]
    return f"{' '.join(parts)}: " if parts else ""


def _diagnostics(title: str, diagnostics: list[Diagnostic]) -> list[str]:
    if not diagnostics:
        return []
    return [f"#### {title} ({len(diagnostics)})", "", *(f"- {_where(d)}{plain(d.message)}" for d in diagnostics), ""]


def _heading(change: Change) -> str:
    return f"{SYMBOL[change.action]} **{change.action}** {change.resource_type} {code(change.name)}"


def _change(change: Change, labels: Mapping[str, str], needs: str | None = None) -> list[str]:
    flag = " ⚠️ **destructive**" if change.destructive else ""
    note = f" ({plain(needs)})" if needs else ""
    lines = [f"- {_heading(change)}{flag}{note}"]
    if labels:
        lines.append(f"  - labels: {', '.join(code(f'{k}={v}') for k, v in sorted(labels.items()))}")
    for diff in change.diffs:
        if change.action is Action.CREATE:
            value = code(show(diff.field, diff.after))
        elif change.action is Action.DELETE:
            value = code(show(diff.field, diff.before))
        else:
            value = f"{code(show(diff.field, diff.before))} → {code(show(diff.field, diff.after))}"
        lines.append(f"  - {code(diff.field)}: {value}")
    lines += [f"  - ⚠️ {plain(risk)}" for risk in change.all_risks]
    return lines


def _changes(plan: Plan, budget: int) -> list[str]:
    lines: list[str] = []
    used = 0
    for shown, change in enumerate(plan.changes):
        block = _change(change, plan.labels.get(change.key, {}), plan.needs.get(change.key))
        used += sum(len(line) + 1 for line in block)
        if used > budget:
            rest = len(plan.changes) - shown
            lines.append(f"- … and {rest} more change(s), left out to fit a comment: see the CI log or saved plan")
            break
        lines += block
    return lines


def _summary_table(plan: Plan) -> list[str]:
    counts = plan.counts()
    rows = [f"| {SYMBOL[a]} {a} | {counts[str(a)]} |" for a in Action]
    destructive = sum(c.destructive for c in plan.changes)
    return ["| action | changes |", "| --- | ---: |", *rows, f"| ⚠️ destructive | {destructive} |", ""]


def render_markdown(plan: Plan) -> str:
    """The whole comment, ending in a newline."""
    lines = [MARKER.format(env=_marker_env(plan.environment)), f"### mqctl plan for {code(plan.environment)}", ""]
    lines += [f"**{summary_line(plan)}**", ""]
    lines += _diagnostics("❌ Errors", plan.errors)
    destructive = [c for c in plan.changes if c.destructive]
    if destructive:
        lines += [f"> [!CAUTION]\n> **{len(destructive)} destructive change(s)**, review before merging:"]
        lines += [f"> - {_heading(c)}: {plain('; '.join(c.all_risks) or 'deletes it')}" for c in destructive]
        lines.append("")
    tail = [*_diagnostics("⚠️ Warnings", plan.warnings), f"<sub>plan fingerprint {code(plan.fingerprint()[:16])}</sub>"]
    if plan.changes:
        lines += _summary_table(plan)
        body = _changes(plan, MAX_CHARS - sum(len(line) + 1 for line in lines + tail))
        if len(plan.changes) > COLLAPSE_OVER:
            lines += [f"<details><summary>All {len(plan.changes)} changes</summary>", "", *body, "", "</details>", ""]
        else:
            lines += [*body, ""]
    lines += tail
    return "\n".join(lines) + "\n"


def render(out: Console, plan: Plan) -> None:
    out.out(render_markdown(plan), highlight=False, end="")
