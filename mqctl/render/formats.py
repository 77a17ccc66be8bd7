"""Plan output formats by name (`-o`): the CLI looks a format up here instead of branching on it."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rich.console import Console

from mqctl.plan import Plan
from mqctl.render import markdown, text

Renderer = Callable[[Console, Plan], None]


def render_json(out: Console, plan: Plan) -> None:
    """The documented JSON plan (format_version 1), unstyled, for scripts and CI."""
    out.out(json.dumps(plan.to_dict(), indent=2), highlight=False)


@dataclass(frozen=True)
class OutputFormat:
    render: Renderer
    # Read by programs (a script, a PR comment): when planning fails they still get a document,
    # a plan holding the errors, instead of nothing on stdout and a message on stderr.
    document_on_failure: bool


FORMATS: Mapping[str, OutputFormat] = {
    "text": OutputFormat(text.render_plan, document_on_failure=False),
    "json": OutputFormat(render_json, document_on_failure=True),
    "markdown": OutputFormat(markdown.render, document_on_failure=True),
}
