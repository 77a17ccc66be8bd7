"""yamlsource's fast path for plain block YAML gives exactly what the full parser gives (data with its
types, the line of every path in the same order, no problems), and leaves every other file to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mqctl import yamlsource
from mqctl.yamlsource import YamlDocument, _simple_document, parse_yaml

REPO = Path(__file__).resolve().parents[2]

SCALARS = ["name", "order.created.v1", "READ", "User:service-1", "7d", "yes", "No", "on", "0", "-5", "+3", "0x1F",
           "0o7", "1_000", "1:30", ".5", "1.5e3", ".inf", "-.Inf", ".nan", "null", "~", "", "2001-12-14", "=", "<<",
           "'quoted'", "''", "'it''s'", '"double"', '"esc\\n"', "a #comment", "a#b", "x: y", "x:", "[a, b]",
           "[]", "[ READ ]", "[a,]", "{}", "{a: 1}", "&anchor a", "*alias", "!!str 1", "|", ">", "a  b", "one's",
           "(x)", "http://h:1/p", "- x", "- -1", "-x", "---", "...", "%YAML", "@x", "`x", "?", "t", "y", "n"]
KEY_WORDS = ["name", "a", "b.c", "retention.ms", "n", "key", "x_y", "partitions", "topics", "config"]
KEYS = [*KEY_WORDS, "yes", "1", "null", "on", "-k", "<<", "'q'", "a b"]


def _slow(text: str) -> YamlDocument | Any:
    """The full parser's answer (the fast path switched off)."""
    original = yamlsource._simple_document
    yamlsource._simple_document = lambda text, file: None  # type: ignore[assignment]
    try:
        return parse_yaml(text, "f.yaml")
    finally:
        yamlsource._simple_document = original


def _typed(value: Any) -> Any:
    """`value` with the type of every part spelled out (1 == True == 1.0 in plain comparison)."""
    if isinstance(value, dict):
        return [(_typed(k), _typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, repr(value))


def _same_as_full_parser(text: str) -> bool:
    """True when the fast path read `text`; fails when what it read differs from the full parser."""
    fast = _simple_document(text, "f.yaml")
    if fast is None:
        return False
    slow = _slow(text)
    assert isinstance(slow, YamlDocument), f"fast path accepted what the full parser refuses: {slow}"
    assert _typed(fast.data) == _typed(slow.data)
    assert list(fast.lines.items()) == list(slow.lines.items())
    assert slow.problems == fast.problems == []
    return True


PLAIN = ["name", "order.created.v1", "READ", "User:service-1", "7d", "yes", "0", "-5", "1:30", ".5", "null", "''",
         "'quoted'", '"double"', "a #comment", "[a, b]", "[]", "{}", "one's", "(x)", "http://h:1/p", "a  b"]
trees = st.recursive(
    st.sampled_from(PLAIN) | st.sampled_from(PLAIN) | st.sampled_from(PLAIN) | st.sampled_from(SCALARS),
    lambda inner: st.lists(inner, min_size=1, max_size=3)
    | st.dictionaries(st.sampled_from(KEY_WORDS) | st.sampled_from(KEYS), inner, min_size=1, max_size=3),
    max_leaves=12,
)


@st.composite
def block_yaml(draw: st.DrawFn) -> str:
    """A tree written in block style as people write it (scalars as written, drawn indents, list
    items under a key indented or not, comments), sometimes with one line shifted or broken."""
    lines: list[str] = []

    def write(node: Any, column: int, lead: str) -> None:
        """`node` at `column`; `lead` is what starts its first line (`- ` of the item holding it)."""
        step = draw(st.sampled_from([2, 2, 4, 1]))
        items = list(node.items()) if isinstance(node, dict) else list(node)
        for index, item in enumerate(items):
            prefix = lead if index == 0 and lead else " " * column
            key, value = item if isinstance(node, dict) else (None, item)
            head = f"{prefix}{key}:" if key is not None else f"{prefix}-"
            comment = draw(st.sampled_from(["", "", "", "  # note"]))
            if isinstance(value, str):
                lines.append(f"{head} {value}{comment}" if value else f"{head}{comment}")
            elif key is None and isinstance(value, dict):
                write(value, column + 2, f"{prefix}- ")
            else:
                lines.append(head + comment)
                inner = column if key is not None and isinstance(value, list) and draw(st.booleans()) else column + step
                write(value, inner, "")

    keys = st.sampled_from(KEY_WORDS) | st.sampled_from(KEYS)
    write(draw(st.dictionaries(keys, trees, min_size=1, max_size=4)), 0, "")
    if draw(st.integers(0, 3)) == 0:  # one line shifted, cut or doubled
        at = draw(st.integers(0, len(lines) - 1))
        lines[at] = draw(st.sampled_from([" " + lines[at], lines[at][1:], lines[at] + "\n" + lines[at]]))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n", "  \n"]))


@settings(max_examples=600, deadline=None)
@given(block_yaml())
def test_fast_path_reads_exactly_what_the_full_parser_reads(text: str) -> None:
    _same_as_full_parser(text)


values = st.recursive(
    st.sampled_from([*SCALARS, 0, 1, -7, True, False, None, 2.5]) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), values, min_size=1, max_size=5), st.sampled_from([2, 4]),
       st.booleans())
def test_dumped_documents_read_the_same_both_ways(data: dict[str, Any], indent: int, flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=None if flow else False, indent=indent, sort_keys=False)
    _same_as_full_parser(text)


def test_spec_files_as_written_take_the_fast_path() -> None:
    text = (
        "# orders\ndefaults:\n  partitions: 3\n  config:\n    min.insync.replicas: 2\n"
        "topics:\n  - name: order.created.v1  # the first\n    retention: 7d\n    protected: yes\n"
        "    sizing:\n      target_throughput: 2.5\n  - name: 'order.paid.v1'\n"
        "    labels: {}\nacls:\n- principal: User:svc\n  operations: [READ, DESCRIBE]\n  hosts:\n  - \"10.0.0.1\"\n"
    )
    assert _same_as_full_parser(text)
    doc = _simple_document(text, "f.yaml")
    assert doc is not None
    assert doc.data["topics"][0]["protected"] is True and doc.data["defaults"]["partitions"] == 3
    assert doc.line_of(("topics", 1, "name")) == 12 and doc.line_of(("acls", 0, "operations", 1)) == 16


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # duplicate key: the full parser's error
        "a: b\n  c\n",  # a multi-line plain scalar
        "a: &x 1\nb: *x\n",  # aliases
        "a:\n  <<: {b: 1}\n",  # merge key
        "a: .inf\n",  # a problem the full parser reports
        "a: 'x\tb'\n",  # a tab
        "a: caf\u00e9\n",  # non-ASCII text
        "a:\n  - x\n  b: 1\n",  # a key after a list at the list's column
        "- a\n- b\n",  # a list at the top
        "a: 2001-12-14\n",  # a date
        "---\na: 1\n",  # a document marker
        "",  # nothing
    ],
)
def test_other_files_go_the_full_way(text: str) -> None:
    assert _simple_document(text, "f.yaml") is None


def test_every_example_spec_the_fast_path_takes_reads_the_same() -> None:
    taken = [p for p in sorted(REPO.glob("*/*.y*ml")) if _same_as_full_parser(p.read_text("utf-8"))]
    assert taken  # the example specs in plain block style (brokers/, quotas/, ...)



_ODD = ["", "'q'", "'a''b'", '"d"', '"e\\n"', "[a, 1]", "[]", "{}", "{a: 1}", "a:b", "a: b", "#c", "&x", "*x", "!t",
        "|", ">", "?", "%", "@", "`", "a #c", "a# c", "\t", ":", "-", "- ", "---", "...", "0x1", "~", "1e3", "é"]
_PIECES = st.sampled_from(["a", "b.c", "x_y", "1", "-1", "yes", "7d", "READ"]) | st.sampled_from(_ODD)
_LINES = st.lists(
    st.tuples(st.sampled_from([0, 0, 0, 2, 2, 4, 1, 3]), st.sampled_from([False, False, False, True]),
              st.sampled_from(["a", "b", "c", "name", "1", "yes", "'k'", "a b", "<<", ""]),
              _PIECES, st.sampled_from(["", "", "", "  # note", " #x", "#x", " "])),
    min_size=1, max_size=8,
)


@settings(max_examples=1500, deadline=None)
@given(_LINES)
def test_any_line_of_yaml_pieces_is_read_the_same_or_left_to_the_full_parser(
    lines: list[tuple[int, bool, str, str, str]],
) -> None:
    """Not only the shapes block_yaml draws: lines of any indent, dash, key, value and comment,
    YAML's indicators among them, in any order."""
    text = "\n".join(f"{' ' * indent}{'- ' if dash else ''}{f'{key}: ' if key else ''}{value}{comment}"
                     for indent, dash, key, value, comment in lines)
    _same_as_full_parser(text)
