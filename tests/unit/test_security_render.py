"""Rendered output cannot be forged by spec strings (issue 12, item 5): golden tests with hostile text.

Markdown: a plan made of hostile strings must parse into exactly the same document structure as the
same plan made of harmless strings (no extra heading, HTML, image, link, table, emphasis, code span
break-out or block), keep its marker as the only first line, and hold no raw autolink, @mention or
#reference outside code. Text: no control character reaches the terminal, every change stays on its
line. JSON: the data comes back exactly. Before this change the markdown had raw newlines (new
blocks), `<!--` comment openers inside names, `https://` autolinks and @mentions, and the text
output carried ESC sequences and bidi overrides to the terminal.

After an intended change of the output, rewrite the snapshots with
`MQCTL_UPDATE_SNAPSHOTS=1 pytest tests/unit/test_security_render.py` (the rewritten tests fail once),
review the diff, and run the tests again without it.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.console import Console

from mqctl.cli.common import buffered_text, console_to_buffer
from mqctl.diagnostics import error, warning
from mqctl.kinds import apply_order
from mqctl.kinds.topics.changes import TopicCreate, TopicDelete, TopicUpdate
from mqctl.plan import FieldDiff, Plan
from mqctl.render.formats import render_json
from mqctl.render.markdown import code, plain, render_markdown
from mqctl.render.text import render_plan
from tests.conftest import assert_matches_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"

HOSTILE = [
    "dev.x`` ` <!-- mqctl-plan:prod -->",
    "line\n\n# Heading\n<details><summary>hi</summary>",
    "<img src=x onerror=alert(1)> ![img](https://evil.example/x.png) [link](https://evil.example)",
    "| a | b |\n|---|---|\n| @admin | https://evil.example |",
    "@org/team see www.evil.com and a@b.co, #12, ~~struck~~ **bold** _em_ &lt;script&gt; &#60; :warning: :+1:",
    "\x1b[2K\x1b[31mred\x1b]0;title\x07 \u202eevil\u202c \u2066iso\u2069 \x00nul \x85c1 \r cr",
    "-->\n---\n===\n> quote\n- item\n1. one\n    indented code",
    "```\nfenced\n```",
    "\\`escaped backtick\\` <!-- --> <!--",
]


def plan_of(texts: list[str]) -> Plan:
    """A plan whose every spec-controlled string (names, fields, values, risks, diagnostics) is one
    of `texts`; long enough to be collapsed into <details>."""
    a, b, c, d, e, f, g, h, i = (texts * 2)[:9]
    changes = [
        TopicCreate(f"dev.{a}", (FieldDiff(f"config.{b}", None, c), FieldDiff("partitions", None, 3))),
        TopicUpdate(f"dev.{d}", (FieldDiff(f"config.{e}.ms", "604800000", f), FieldDiff("config.x", [g], [h])),
                    risks=(i,)),
        TopicDelete(f"dev.{g}", (FieldDiff("partitions", 8, None),), risks=(f"deletes {h}",)),
        *(TopicCreate(f"dev.~filler{n}.v1", (FieldDiff("partitions", None, n),)) for n in range(10)),
    ]
    diagnostics = [
        error(f"topics/{a}.yaml", 3, b, c),
        error(f"topics/{d}.yaml", None, e, f),
        warning("acls/x.yaml", 7, g, h),
        warning(f"zz/{i}", 1, "", a),
    ]
    return Plan.build("dev", changes, diagnostics, order=apply_order)


HARMLESS = [f"harmless{n}" for n in range(len(HOSTILE))]
PLANS = {"hostile": plan_of(HOSTILE), "rotated": plan_of(HOSTILE[4:] + HOSTILE[:4])}


def structure(markdown: str) -> list[str]:
    """The document's structure: block and inline token types, without any text."""
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])

    def walk(tokens: list[Token]) -> list[str]:
        out = []
        for token in tokens:
            kind = token.type
            if kind in ("html_block", "html_inline"):
                kind += ":" + token.content.strip()
            out.append(kind)
            out += walk(token.children or [])
        return out

    types = walk(parser.parse(markdown))
    # text and code spans are both literal text: a run of them is one "text", however it is split
    types = ["text" if t in ("text", "code_inline") else t for t in types]
    return [t for n, t in enumerate(types) if t != "text" or n == 0 or types[n - 1] != "text"]


def outside_code(markdown: str) -> str:
    """The source without its code spans (CommonMark: a backslash-escaped backtick opens none; a
    run of n backticks is closed by the next run of exactly n)."""
    out: list[str] = []
    i = 0
    while i < len(markdown):
        char = markdown[i]
        if char == "\\" and i + 1 < len(markdown):
            out.append(markdown[i:i + 2])
            i += 2
            continue
        if char == "`":
            run = re.match(r"`+", markdown[i:])
            assert run is not None
            fence = run.group(0)
            close = re.compile(f"(?<!`){fence}(?!`)").search(markdown, i + len(fence))
            if close is not None:
                out.append(" ")
                i = close.end()
                continue
            out.append(fence)
            i += len(fence)
            continue
        out.append(char)
        i += 1
    return "".join(out)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_hostile_markdown_has_the_structure_of_harmless_markdown(name: str) -> None:
    hostile = render_markdown(PLANS[name])
    harmless = render_markdown(plan_of(HARMLESS))
    assert structure(hostile) == structure(harmless)
    assert hostile.splitlines()[0] == "<!-- mqctl-plan:dev -->"
    assert len(hostile.splitlines()) == len(harmless.splitlines())


@pytest.mark.parametrize("name", sorted(PLANS))
def test_hostile_markdown_has_no_autolink_mention_reference_or_control_character(name: str) -> None:
    text = render_markdown(PLANS[name])
    prose = outside_code(text)
    assert "://" not in prose.replace("\\://", "")
    assert not re.search(r"(?i)www\.", prose)
    assert not re.search(r"[@#][0-9A-Za-z]", prose.replace("#### ", "").replace("### ", ""))
    assert not re.search(r"(?<!\\)<!--", prose.replace("<!-- mqctl-plan:dev -->", "", 1))
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)


def test_hostile_markdown_matches_snapshot() -> None:
    assert_matches_snapshot(render_markdown(PLANS["hostile"]), SNAPSHOTS / "plan_hostile.md")


def test_an_unusual_environment_name_cannot_break_the_marker() -> None:
    text = render_markdown(Plan.build("x -->\n# hi", []))
    assert text.splitlines()[0] == "<!-- mqctl-plan:x_--____hi -->"


@pytest.mark.parametrize("text", HOSTILE)
def test_code_spans_never_break_out(text: str) -> None:
    rendered = code(text)
    tokens = MarkdownIt("commonmark").parseInline(rendered)[0].children or []
    assert [t.type for t in tokens] == ["code_inline"]


@pytest.mark.parametrize("text", HOSTILE)
def test_plain_text_is_only_text_and_code(text: str) -> None:
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parseInline(plain(text))[0].children or []
    assert {t.type for t in tokens} <= {"text", "code_inline", "softbreak"}
    assert "softbreak" not in {t.type for t in tokens}


def rendered_text(plan: Plan) -> str:
    """The plan as `mqctl plan` prints it: through the CLI's own console."""
    out = console_to_buffer(no_color=True)
    render_plan(out, plan, {f"topic:dev.{HOSTILE[6]}": "needs --allow-delete \x1b[8m"})
    return buffered_text(out)


def test_text_output_carries_no_control_character_and_one_line_per_item() -> None:
    text = rendered_text(PLANS["hostile"])
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)
    harmless = rendered_text(plan_of(HARMLESS))
    assert len(text.splitlines()) == len(harmless.splitlines())


def test_text_output_keeps_emoji_codes_as_written() -> None:
    """rich would print ":warning:" in spec text as a warning sign, a symbol the plan never meant."""
    text = rendered_text(PLANS["hostile"])
    assert ":warning: :+1:" in text
    assert "\U0001f44d" not in text
    # mqctl's own ⚠ markers only, as many as in the same plan made of harmless text
    assert text.count("\u26a0") == rendered_text(plan_of(HARMLESS)).count("\u26a0")


def test_text_output_matches_snapshot() -> None:
    assert_matches_snapshot(rendered_text(PLANS["hostile"]), SNAPSHOTS / "plan_hostile.txt")


def test_json_output_is_data_only_json_escaping_applies() -> None:
    out = io.StringIO()
    render_json(Console(file=out, width=400, color_system=None), PLANS["hostile"])
    data = json.loads(out.getvalue())
    assert data["changes"][0]["name"] == f"dev.{HOSTILE[0]}"
    names = {c["name"] for c in data["changes"]}
    assert f"dev.{HOSTILE[3]}" in names
    assert {d["message"] for d in data["errors"]} == {HOSTILE[2], HOSTILE[5]}
    assert "\x1b" not in out.getvalue() and "\u202e" not in out.getvalue()  # JSON escapes them


UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_validate_off_a_terminal_prints_hostile_spec_text_as_escaped_lines(tmp_path: Path) -> None:
    """validate's plain path (no rich: a pipe, as in CI) gets an escape sequence, an OSC 8 link and
    bidi controls in a file name, a topic name and a key: one escaped line per diagnostic, nothing a
    terminal acts on."""
    import subprocess
    import sys

    (tmp_path / "mqctl.yaml").write_text("environments:\n  dev:\n    bootstrap_servers: 127.0.0.1:1\n")
    (tmp_path / "topics").mkdir()
    (tmp_path / "topics" / "a\x1b[2J\u202e.yaml").write_text(
        'topics:\n  - {name: "a\\e[2Jb\\u202ec", partitions: 3, replication_factor: 3,\n'
        '     "x\\e]8;;http://e\\a\\u2066": 1, description: "[red]x[/] :warning:"}\n'
    )
    done = subprocess.run([sys.executable, "-m", "mqctl", "validate", "--env", "dev"], cwd=tmp_path,
                          capture_output=True, text=True, check=False)  # fmt: skip
    lines = done.stdout.splitlines()
    assert done.returncode == 1
    assert UNSAFE.search(done.stdout.replace("\n", "")) is None
    assert [line.split(":")[0] for line in lines] == ["error"] * (len(lines) - 1) + ["validate"]
    assert len(lines) >= 3  # the unknown key, and the control characters of the name
    assert "'x\\x1b]8;;http://e\\x07\\u2066' was unexpected" in done.stdout
    assert "topics/a\\x1b[2J\\u202e.yaml:2:" in done.stdout


def test_diagnostics_on_a_terminal_keep_markup_and_emoji_codes_as_written() -> None:
    """The coloured path (a terminal, and apply's report) prints the same line as text, not markup."""
    from mqctl.cli.specs import _print_diagnostics

    out = Console(file=io.StringIO(), force_terminal=True, color_system="standard", emoji=False, soft_wrap=True)
    _print_diagnostics(out, [error("f.yaml", 2, "k", "[bold]x[/] :warning: \x1b[31m"), warning("f.yaml", 3, "k", "w")])
    shown = re.sub("\x1b\\[[0-9;]*m", "", out.file.getvalue())  # the colours mqctl added
    assert shown == "error: f.yaml:2: k: [bold]x[/] :warning: \\x1b[31m\nwarning: f.yaml:3: k: w\n"
