"""Subject specs offline: every schema type parses, references resolve, every bad input names its
file, line and key."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from mqctl.config import DEFAULT_NAMING_PATTERN, Environment, ProjectConfig
from mqctl.diagnostics import Diagnostic
from mqctl.kind import DesiredState
from mqctl.kinds.schemas.model import SubjectReference
from mqctl.kinds.schemas.spec import canonical
from mqctl.spec.loader import load_specs

ORDER_AVSC = json.dumps(
    {"type": "record", "name": "Order", "namespace": "shop", "fields": [{"name": "id", "type": "string"}]}
)
MONEY_AVSC = json.dumps(
    {"type": "record", "name": "Money", "namespace": "shop.common", "fields": [{"name": "units", "type": "long"}]}
)
PAYMENT_AVSC = json.dumps(
    {
        "type": "record",
        "name": "Payment",
        "namespace": "shop",
        "fields": [{"name": "amount", "type": "shop.common.Money"}],
    }
)
JSON_SCHEMA = '{"type": "object", "properties": {"id": {"type": "string"}}}'
PROTO = 'syntax = "proto3";\npackage shop;\n\nmessage Order {\n  string id = 1; // the id\n}\n'


def load(tmp_path: Path, files: dict[str, str]) -> tuple[DesiredState, list[Diagnostic]]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    config = ProjectConfig(tmp_path, Environment("prod", "127.0.0.1:1"), DEFAULT_NAMING_PATTERN)
    return load_specs(config)


def one_problem(problems: list[Diagnostic]) -> Diagnostic:
    assert len(problems) == 1, problems
    return problems[0]


def spec_yaml(*entries: str) -> str:
    return "subjects:\n" + "".join(f"  - {e}\n" for e in entries)


def test_each_type_builds_with_env_prefixed_subject_and_source(tmp_path: Path) -> None:
    desired, problems = load(
        tmp_path,
        {
            "schemas/a.yaml": spec_yaml(
                "{subject: order.created.v1-value, type: AVRO, file: s/order.avsc, compatibility: BACKWARD}",
                "{topic: order.created.v1, part: key, type: JSON, file: s/key.json}",
                "{topic: order.paid.v1, type: PROTOBUF, file: s/paid.proto}",
            ),
            "schemas/s/order.avsc": ORDER_AVSC,
            "schemas/s/key.json": JSON_SCHEMA,
            "schemas/s/paid.proto": PROTO,
        },
    )
    assert problems == []
    by_name = {s.name: s for s in desired.items["schemas"]}
    assert sorted(by_name) == ["order.created.v1-key", "order.created.v1-value", "order.paid.v1-value"]
    avro = by_name["order.created.v1-value"]
    assert avro.full_name == "prod.order.created.v1-value"
    assert (avro.schema_type, avro.compatibility, avro.file) == ("AVRO", "BACKWARD", "schemas/s/order.avsc")
    assert avro.schema == ORDER_AVSC
    assert str(avro.source) == "schemas/a.yaml:2"
    assert by_name["order.created.v1-key"].compatibility is None
    assert desired.resource_count() == 3


def test_references_resolve_and_order_by_depth(tmp_path: Path) -> None:
    desired, problems = load(
        tmp_path,
        {
            "schemas/a.yaml": spec_yaml(
                "{subject: payment.v1-value, type: AVRO, file: payment.avsc, references: "
                "[{name: shop.common.Money, subject: common.money}]}",
                "{subject: common.money, type: AVRO, file: money.avsc}",
                "{subject: audit.v1-value, type: AVRO, file: order.avsc, references: "
                "[{name: shop.Ext, subject: other-team.ext-value, version: 3}]}",
            ),
            "schemas/payment.avsc": PAYMENT_AVSC,
            "schemas/money.avsc": MONEY_AVSC,
            "schemas/order.avsc": ORDER_AVSC,
        },
    )
    assert problems == []
    by_name = {s.name: s for s in desired.items["schemas"]}
    assert by_name["payment.v1-value"].references == (SubjectReference("shop.common.Money", "prod.common.money"),)
    assert (by_name["common.money"].depth, by_name["payment.v1-value"].depth) == (0, 1)
    # a subject outside the specs is taken by its full registry name, at the version given
    assert by_name["audit.v1-value"].references == (SubjectReference("shop.Ext", "other-team.ext-value", 3),)


def test_external_avro_reference_stands_in_for_its_type(tmp_path: Path) -> None:
    _, problems = load(
        tmp_path,
        {
            "schemas/a.yaml": spec_yaml(
                "{subject: payment.v1-value, type: AVRO, file: payment.avsc, references: "
                "[{name: shop.common.Money, subject: shared.money, version: 1}]}"
            ),
            "schemas/payment.avsc": PAYMENT_AVSC,
        },
    )
    assert problems == []


@pytest.mark.parametrize(
    ("entry", "key", "message"),
    [
        ("{subject: x-value, type: XML, file: a.avsc}", "subjects[0].type", "'XML' is not one of"),
        ("{subject: x-value, type: AVRO}", "subjects[0]", "'file' is a required property"),
        ("{type: AVRO, file: a.avsc}", "subjects[0]", "'subject' is a required property"),
        ("{subject: x-value, topic: x, type: AVRO, file: a.avsc}", "subjects[0]", "should not be valid"),
        ("{subject: x-value, type: AVRO, file: a.avsc, compatibility: LOOSE}", "subjects[0].compatibility", "LOOSE"),
        ("{subject: 'x value', type: AVRO, file: a.avsc}", "subjects[0].subject", "does not match"),
        ("{subject: x-value, type: AVRO, file: a.avsc, colour: red}", "subjects[0]", "'colour' was unexpected"),
        (
            "{subject: x-value, type: AVRO, file: a.avsc, references: [{name: a}]}",
            "subjects[0].references[0]",
            "'subject' is a required property",
        ),
        (
            "{subject: x-value, type: AVRO, file: a.avsc, references: [{name: a, subject: b, version: 0}]}",
            "subjects[0].references[0].version",
            "less than the minimum of 1",
        ),
        ("{subject: x-value, type: AVRO, file: missing.avsc}", "subjects[0].file", "file does not exist"),
        (
            "{subject: x-value, type: AVRO, file: a.avsc, references: [{name: shop.M, subject: nowhere}]}",
            "subjects[0].references[0].subject",
            "'nowhere' is not a subject of these specs",
        ),
        (
            "{subject: x-value, type: AVRO, file: a.avsc, references: [{name: shop.M, subject: x-value}]}",
            "subjects[0].references[0].subject",
            "cannot reference itself",
        ),
        (
            "{subject: x-value, type: AVRO, file: a.avsc, references: "
            "[{name: m, subject: s, version: 1}, {name: m, subject: t, version: 1}]}",
            "subjects[0].references[1].name",
            "reference name 'm' is used twice",
        ),
    ],
)
def test_bad_entries_name_line_and_key(tmp_path: Path, entry: str, key: str, message: str) -> None:
    _, problems = load(tmp_path, {"schemas/a.yaml": spec_yaml(entry), "schemas/a.avsc": ORDER_AVSC})
    problem = one_problem(problems)
    assert (problem.file, problem.line, problem.key) == ("schemas/a.yaml", 2, key)
    assert message in problem.message


def test_duplicate_subject_across_files_and_shorthand(tmp_path: Path) -> None:
    _, problems = load(
        tmp_path,
        {
            "schemas/a.yaml": spec_yaml("{subject: order.v1-value, type: AVRO, file: o.avsc}"),
            "schemas/b.yaml": spec_yaml("{topic: order.v1, type: AVRO, file: o.avsc}"),
            "schemas/o.avsc": ORDER_AVSC,
        },
    )
    problem = one_problem(problems)
    assert (problem.file, problem.line, problem.key) == ("schemas/b.yaml", 2, "subjects[0]")
    assert "'order.v1-value' is declared twice; first at schemas/a.yaml:2" in problem.message


def test_reference_cycle_is_an_error(tmp_path: Path) -> None:
    _, problems = load(
        tmp_path,
        {
            "schemas/a.yaml": spec_yaml(
                "{subject: a, type: AVRO, file: o.avsc, references: [{name: x.B, subject: b}]}",
                "{subject: b, type: AVRO, file: o.avsc, references: [{name: x.A, subject: a}]}",
            ),
            "schemas/o.avsc": ORDER_AVSC,
        },
    )
    problem = one_problem(problems)
    assert problem.key.endswith(".references") and "references form a cycle" in problem.message


@pytest.mark.parametrize(
    ("schema_type", "text", "line", "message"),
    [
        ("AVRO", '{\n  "type": "record",\n  "name": "X",\n  "fields": [\n}', 5, "not valid JSON"),
        ("AVRO", '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "strng"}]}', None, "'strng'"),
        (
            "AVRO",
            '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "int", "default": "x"}]}',
            None,
            "Default value <x> must match schema type: int",
        ),
        ("AVRO", '{"type": "record", "name": "X", "fields": [{"name": "m", "type": "shop.Money"}]}', None, "define it"),
        ("JSON", '{"type": "object", "properties": {"id": {"type": "strin"}}}', None, "at properties/id/type"),
        ("JSON", '{"type": "object",\n "required": "id"}', None, "not a valid JSON Schema at required"),
        ("JSON", "[1, 2]", None, "a JSON Schema here is an object"),
        ("PROTOBUF", 'syntax = "proto3";\nmessage Order {\n  string id = ;\n}\n', 3, "Protobuf syntax error"),
        ("PROTOBUF", "this is not proto", 1, "Protobuf syntax error"),
        ("PROTOBUF", 'syntax = "proto3";\nimport "money.proto";\nmessage A {}\n', 2, 'imports "money.proto"'),
    ],
)
def test_schema_that_does_not_parse_names_schema_file_and_line(
    tmp_path: Path, schema_type: str, text: str, line: int | None, message: str
) -> None:
    _, problems = load(
        tmp_path,
        {"schemas/a.yaml": spec_yaml(f"{{subject: x-value, type: {schema_type}, file: s/bad}}"), "schemas/s/bad": text},
    )
    problem = one_problem(problems)
    assert (problem.file, problem.line) == ("schemas/s/bad", line)
    assert f"{schema_type} schema of subject 'x-value' (schemas/a.yaml:2)" in problem.message
    assert message in problem.message


def test_protobuf_imports_are_references_and_well_known_types_need_none(tmp_path: Path) -> None:
    order = 'syntax = "proto3";\nimport "money.proto";\nimport "google/protobuf/timestamp.proto";\nmessage A {}\n'
    _, problems = load(
        tmp_path,
        {
            "schemas/a.yaml": spec_yaml(
                "{subject: money, type: PROTOBUF, file: money.proto}",
                "{subject: a-value, type: PROTOBUF, file: a.proto, references: [{name: money.proto, subject: money}]}",
            ),
            "schemas/money.proto": 'syntax = "proto3";\nmessage Money { int64 units = 1; }\n',
            "schemas/a.proto": order,
        },
    )
    assert problems == []


def test_all_problems_of_all_subjects_are_reported(tmp_path: Path) -> None:
    _, problems = load(
        tmp_path,
        {
            "schemas/a.yaml": spec_yaml(
                "{subject: a-value, type: AVRO, file: bad.avsc}",
                "{subject: b-value, type: JSON, file: gone.json}",
                "{subject: c-value, type: PROTOBUF, file: bad.proto}",
            ),
            "schemas/bad.avsc": "{",
            "schemas/bad.proto": "message {",
        },
    )
    assert sorted((p.file, p.key) for p in problems) == [
        ("schemas/a.yaml", "subjects[1].file"),
        ("schemas/bad.avsc", ""),
        ("schemas/bad.proto", ""),
    ]


@pytest.mark.parametrize(
    ("schema_type", "one", "other"),
    [
        ("AVRO", ORDER_AVSC, json.dumps(json.loads(ORDER_AVSC), indent=4, sort_keys=True)),
        ("JSON", JSON_SCHEMA, '{\n  "properties": {"id": {"type": "string"}},\n  "type": "object"\n}'),
        ("PROTOBUF", PROTO, re.sub(r" +", " ", PROTO.replace("// the id", "")).replace("\n\n", "\n// header\n")),
    ],
)
def test_formatting_and_comments_are_normalised_away(schema_type: str, one: str, other: str) -> None:
    assert one != other
    assert canonical(schema_type, one) == canonical(schema_type, other)


@pytest.mark.parametrize(
    ("schema_type", "one", "other"),
    [
        ("AVRO", ORDER_AVSC, ORDER_AVSC.replace('"string"', '"long"')),
        ("JSON", JSON_SCHEMA, JSON_SCHEMA.replace("string", "integer")),
        ("PROTOBUF", PROTO, PROTO.replace("string id", "int64 id")),
    ],
)
def test_a_real_change_stays_a_change(schema_type: str, one: str, other: str) -> None:
    assert canonical(schema_type, one) != canonical(schema_type, other)


def test_the_projects_own_schemas_validate() -> None:
    root = Path(__file__).resolve().parents[3]
    desired, problems = load_specs(ProjectConfig(root, Environment("dev", "127.0.0.1:1"), DEFAULT_NAMING_PATTERN))
    assert [p for p in problems if p.file.startswith("schemas/")] == []
    names = {s.name for s in desired.items["schemas"]}
    assert {"order.lifecycle.v1-value", "payment.events.v1-value", "inventory.stock.changed.v1-value"} <= names
    assert all(s.compatibility == "BACKWARD" for s in desired.items["schemas"])
    topics = {t.name for t in desired.items["topics"]}
    for subject in names - {"events.envelope.v1", "events.header.v1", "events.metadata.v1"}:
        assert subject.removesuffix("-value") in topics
