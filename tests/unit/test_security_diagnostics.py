"""Diagnostics sort with an explicit key, and print on one safe line (issue 12, items 6 and 5).

Before: `Diagnostic` was `order=True`, so sorting a problem without a line next to one with a line
raised TypeError (`None < 3`); a one-letter typo in an ACL topic on the dev environment hit it in
`mqctl plan`. And `str(diagnostic)` printed spec text raw, control characters included.
"""

from __future__ import annotations

import random

from mqctl.diagnostics import Diagnostic, error, warning
from mqctl.plan import Plan

MIXED = [
    error("acls/services.yaml", 7, "acls[0].topics[0]", "topic order.creatd.v1 is not declared"),
    error("acls/services.yaml", None, "", "cannot read file"),
    warning("acls/services.yaml", 3, "acls[1]", "grants ALL"),
    error("(cluster)", None, "dev.order.created.v1", "the cluster would refuse this change"),
    error("acls/services.yaml", 7, "acls[0].topics[0]", "another message"),
]


def test_sorting_a_mix_of_lines_and_no_lines_works() -> None:
    ordered = sorted(MIXED)
    assert [(d.file, d.line) for d in ordered] == [
        ("(cluster)", None),
        ("acls/services.yaml", None),
        ("acls/services.yaml", 3),
        ("acls/services.yaml", 7),
        ("acls/services.yaml", 7),
    ]
    assert ordered[3].message == "another message"  # same place: by message


def test_sort_order_does_not_depend_on_input_order() -> None:
    expected = sorted(MIXED)
    for seed in range(20):
        shuffled = MIXED[:]
        random.Random(seed).shuffle(shuffled)
        assert sorted(shuffled) == expected


def test_a_plan_with_problems_with_and_without_lines_builds() -> None:
    """The crash in `mqctl plan`: Plan.build sorts its diagnostics."""
    plan = Plan.build("dev", [], MIXED)
    assert len(plan.errors) == 4 and len(plan.warnings) == 1
    assert plan.diagnostics[0].file == "(cluster)"


def test_sort_key_is_explicit() -> None:
    assert error("f", None, "k", "m").sort_key() == ("f", 0, "k", "m", "error")
    assert warning("f", 12, "", "m").sort_key() == ("f", 12, "", "m", "warning")


def test_str_is_one_line_without_control_characters() -> None:
    diag = Diagnostic("topics/\x1b[2Ka.yaml", 3, "topics[0].name\n+ topic fake", "bad \u202egnp.exe value\x07")
    text = str(diag)
    assert "\n" not in text and "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert text == "topics/\\x1b[2Ka.yaml:3: topics[0].name\\n+ topic fake: bad \\u202egnp.exe value\\x07"
    # JSON output is data: only JSON escaping applies there, the reader gets the exact strings
    assert diag.to_dict()["key"] == "topics[0].name\n+ topic fake"
