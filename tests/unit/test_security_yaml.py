"""Bounded parsing of untrusted YAML (issue 12, items 3 and 6): mqctl/yamlsource.py, mqctl/schema_check.py.

Every test here fails on the loader before this change: alias bombs expanded for minutes, recursive
aliases and deep nesting raised RecursionError, merge keys with an override were "duplicate keys",
bad timestamps raised ValueError, `.inf`/`.nan` and control characters passed silently, and schema
errors printed password values and whole mappings.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from mqctl import schema_check
from mqctl.config import load_config
from mqctl.diagnostics import Diagnostic
from mqctl.spec.loader import load_specs
from mqctl.yamlsource import MAX_DEPTH, YamlDocument, load_yaml_file, parse_yaml

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def parsed(text: str) -> YamlDocument:
    doc = parse_yaml(text, "topics/t.yaml")
    assert isinstance(doc, YamlDocument), doc
    return doc


def refused(text: str, name: str = "topics/t.yaml") -> Diagnostic:
    diag = parse_yaml(text, name)
    assert isinstance(diag, Diagnostic), f"accepted: {diag}"
    assert diag.file == name
    return diag


def billion_laughs(levels: int = 9, fan_out: int = 9) -> str:
    """The classic: each level a list of `fan_out` aliases of the level before; 9**9 strings in all."""
    lines = ["a: &a [" + ", ".join(['"lol"'] * fan_out) + "]"]
    for i in range(1, levels):
        lines.append(f"{LETTERS[i]}: &{LETTERS[i]} [" + ", ".join([f"*{LETTERS[i - 1]}"] * fan_out) + "]")
    return "\n".join(lines) + "\n"


def merge_bomb(levels: int = 9) -> str:
    lines = ["a: &a {x: 1, y: 2}"]
    for i in range(1, levels):
        lines.append(f"{LETTERS[i]}: &{LETTERS[i]} {{<<: [" + ", ".join([f"*{LETTERS[i - 1]}"] * 9) + "], z: 3}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "text", [billion_laughs(), merge_bomb(), billion_laughs(20, 2)], ids=["lists", "merges", "deep"]
)
def test_alias_bombs_are_refused_quickly_with_the_line(text: str) -> None:
    assert len(text) < 600  # a few hundred bytes...
    started = time.perf_counter()
    diag = refused(text)
    assert time.perf_counter() - started < 1.0  # ...never expanded to gigabytes
    assert "alias bomb" in diag.message
    assert diag.line is not None and diag.line > 1


def test_many_ordinary_aliases_are_fine() -> None:
    text = "defaults: &d {partitions: 3, replication_factor: 3, config: {cleanup.policy: delete}}\ntopics:\n"
    text += "".join(f"  - {{<<: *d, name: t{i}.v1}}\n" for i in range(2000))
    doc = parsed(text)
    assert len(doc.data["topics"]) == 2000
    assert doc.data["topics"][1999] == {"name": "t1999.v1", "partitions": 3, "replication_factor": 3,
                                        "config": {"cleanup.policy": "delete"}}


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {x: *a}\n", "a: &a {<<: *a}\n", "a: &a [1, [2, *a]]\n"])
def test_recursive_aliases_are_refused(text: str) -> None:
    diag = refused(text)
    assert "recursive alias" in diag.message or "merge key" in diag.message
    assert diag.line == 1


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 990])
def test_deep_nesting_is_an_error_never_a_recursion_error(depth: int) -> None:
    diag = refused("a: " + "[" * depth + "]" * depth + "\n")
    assert "nested" in diag.message or "nesting depth" in diag.message


def test_deep_block_mappings_too() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "x\n"
    assert "nested more than" in refused(text).message


def test_nesting_up_to_the_limit_is_fine() -> None:
    depth = MAX_DEPTH - 2
    doc = parsed("a: " + "[" * depth + "1" + "]" * depth + "\n")
    assert doc.data["a"] is not None


MERGE = """\
base: &base
  partitions: 3
  replication_factor: 3
  config: {cleanup.policy: delete}
other: &other
  partitions: 99
  retention: 7d
topics:
  - name: a.v1
    <<: *base
    partitions: 12
  - <<: [*base, *other]
    name: b.v1
  - <<: *other
    <<: *base
    name: c.v1
"""


def test_merge_keys_work_as_in_pyyaml() -> None:
    """As PyYAML and the merge-key spec (yaml.org/type/merge): "keys in mapping nodes earlier in the
    sequence override keys specified in later mapping nodes". PyYAML 6.0.4 deduplicates merged keys
    by the identity of the key string, so for `<<: [*base, *other]` with a key in both its answer
    depends on string interning (here `other` wins); we keep the spec's rule, as PyYAML <= 6.0.3 did."""
    import yaml

    doc = parsed(MERGE)
    theirs = yaml.safe_load(MERGE)
    assert doc.data["topics"][0] == theirs["topics"][0] and doc.data["topics"][2] == theirs["topics"][2]
    assert {k: v for k, v in doc.data["topics"][1].items() if k != "partitions"} == {
        k: v for k, v in theirs["topics"][1].items() if k != "partitions"
    }
    topics = doc.data["topics"]
    assert topics[0]["partitions"] == 12  # written in the mapping: wins over the merge
    assert topics[1]["partitions"] == 3 and topics[1]["retention"] == "7d"  # first of the list wins
    assert topics[2]["partitions"] == 3  # a later << wins over an earlier one


def test_merged_keys_keep_line_numbers() -> None:
    doc = parsed(MERGE)
    assert doc.line_of(("topics", 0, "partitions")) == 11  # the override, where it is written
    assert doc.line_of(("topics", 0, "replication_factor")) == 3  # merged: where the value is written
    assert doc.line_of(("topics", 1, "retention")) == 7
    assert doc.line_of(("topics", 1, "name")) == 13
    assert doc.line_of(("topics", 0, "config", "cleanup.policy")) == 4


@pytest.mark.parametrize("value", ["5", "[1, 2]", "[{a: 1}, 3]"])
def test_a_merge_of_something_not_a_mapping_is_an_error(value: str) -> None:
    diag = refused(f"x:\n  <<: {value}\n")
    assert "merge key" in diag.message and diag.line == 2


@pytest.mark.parametrize(
    ("text", "line"),
    [("a: 1\nb: 2001-13-45\n", 2), ("a: !!int x\n", 1), ("a: !!float x\n", 1), ("a: 0x_\n", 1),
     ("a: 2001-02-29 10:00:00 +99:00\n", 1), ("a: !!timestamp 2001-02-30\n", 1)],
)
def test_values_pyyaml_cannot_construct_are_errors_with_their_line(text: str, line: int) -> None:
    diag = refused(text)
    assert diag.line == line and "is not a valid" in diag.message


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x7f"])
def test_raw_control_characters_are_errors_with_their_line(char: str) -> None:
    diag = refused(f"a: 1\nb: x{char}y\n")
    assert diag.line == 2 and f"U+{ord(char):04X}" in diag.message


@pytest.mark.parametrize(
    ("text", "shown"),
    [('name: "a\\0b"\n', "\\x00"), ('name: "\\e[2Kx"\n', "\\x1b"), ("name: a\u202eb\n", "\\u202e"),
     ('name: "x\\u2066y"\n', "\\u2066"), ('"k\\x07": 1\n', "\\x07")],
)
def test_control_and_bidi_characters_in_strings_are_reported_with_key_and_line(text: str, shown: str) -> None:
    doc = parsed(text)
    [problem] = doc.problems
    assert problem.line == 1 and shown in problem.message
    assert problem.key in ("name", "")
    assert problem in schema_check.check(doc, "topics", "mqctl.kinds.topics")  # reported with the schema problems


def test_newlines_and_tabs_in_strings_are_allowed() -> None:
    assert parsed('a: "x\\ty\\nz"\nb: |\n  two\n  lines\n').problems == []


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", ".NaN", "+.INF"])
def test_infinite_and_nan_numbers_are_reported(value: str) -> None:
    doc = parsed(f"topics:\n  - name: a.v1\n    partitions: {value}\n    replication_factor: 3\n")
    problems = schema_check.check(doc, "topics", "mqctl.kinds.topics")
    assert any(p.key == "topics[0].partitions" and p.line == 3 and "infinite or NaN" in p.message for p in problems)


def test_a_lone_surrogate_is_an_error() -> None:
    assert "Unicode" in refused("a: \ud800\n").message


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_non_utf8_file_is_an_error_with_its_line(tmp_path: Path) -> None:
    diag = load_yaml_file(write(tmp_path, "t.yaml", b"a: 1\nb: \xff\xfe\n"), "topics/t.yaml")
    assert isinstance(diag, Diagnostic)
    assert diag.line == 2 and "not UTF-8" in diag.message and "0xff" in diag.message


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mqctl.yamlsource.MAX_FILE_BYTES", 1000)
    from mqctl import yamlsource

    diag = yamlsource.read_text_file(write(tmp_path, "t.yaml", b"a: 1\n" * 300), "topics/t.yaml", 1000)
    assert isinstance(diag, Diagnostic) and "limit" in diag.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_named_like_a_spec_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "t.yaml"
    os.mkfifo(fifo)
    started = time.perf_counter()
    diag = load_yaml_file(fifo, "topics/t.yaml")
    assert isinstance(diag, Diagnostic) and "not a regular file" in diag.message
    assert time.perf_counter() - started < 1


# --- schema_check ------------------------------------------------------------------------------

CONFIG_WITH_NUMERIC_PASSWORD = """\
environments:
  prod:
    bootstrap_servers: k:9092
    security: {protocol: SASL_SSL, sasl_mechanism: SCRAM-SHA-512, username: u, password: 982451653}
    schema_registry: {url: "https://r", password: [hunter2hunter2]}
"""


def test_schema_errors_never_echo_a_password() -> None:
    problems = schema_check.check(parsed(CONFIG_WITH_NUMERIC_PASSWORD), "config")
    assert {p.key for p in problems} == {
        "environments.prod.security.password",
        "environments.prod.schema_registry.password",
    }
    text = "\n".join(map(str, problems))
    assert "982451653" not in text and "hunter2hunter2" not in text
    assert "not shown" in text


def test_schema_errors_name_mappings_instead_of_printing_them() -> None:
    big = "x" * 5000
    doc = parsed(f"topics:\n  - name: {big}\n    partitions: {{a: {big}}}\n    replication_factor: 3\n")
    problems = schema_check.check(doc, "topics", "mqctl.kinds.topics")
    assert problems and all(len(p.message) < 400 for p in problems)
    assert any("this mapping" in p.message for p in problems)


# --- through the spec loader -----------------------------------------------------------------

def test_validate_collects_loader_problems_and_keeps_checking_other_items(tmp_path: Path) -> None:
    (tmp_path / "mqctl.yaml").write_text("environments:\n  dev:\n    bootstrap_servers: 127.0.0.1:1\n")
    (tmp_path / "topics").mkdir()
    (tmp_path / "topics" / "a.yaml").write_text(
        "topics:\n"
        "  - {name: order.created.v1, partitions: .nan, replication_factor: 3}\n"
        '  - {name: "order.\\e[31mred.v1", partitions: 3, replication_factor: 3}\n'
        "  - {name: order.fine.v1, partitions: 3, replication_factor: 3}\n"
    )
    (tmp_path / "topics" / "bomb.yaml").write_text(billion_laughs())
    desired, problems = load_specs(load_config(tmp_path, "dev", secrets=False))
    assert [t.name for t in desired.items["topics"]] == ["order.fine.v1"]
    where = {(p.file, p.line, p.key) for p in problems}
    assert ("topics/a.yaml", 2, "topics[0].partitions") in where
    assert ("topics/a.yaml", 3, "topics[1].name") in where
    assert any(p.file == "topics/bomb.yaml" and "alias bomb" in p.message for p in problems)
