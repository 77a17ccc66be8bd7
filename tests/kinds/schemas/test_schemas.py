"""Schemas as code against the real local registry (Apicurio's Confluent-compatible API).

Each test's subjects live under its own environment prefix and are removed (soft, then permanent)
afterwards. The registry is checked directly, not only through mqctl's own output.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from tests.conftest import Project, purge_subjects, unique_env

pytestmark = pytest.mark.registry

ORDER = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}],
}
SPEC = """\
    subjects:
      - topic: order.created.v1
        type: AVRO
        file: order.avsc
        compatibility: {level}
"""


@pytest.fixture
def schemas(project: Project, registry: SchemaRegistryClient) -> Iterator[Project]:
    """A project whose only spec folder is schemas/ (so no topic is touched)."""
    yield project
    purge_subjects(registry, project.env + ".")


def write_order(
    project: Project, schema: dict[str, object], indent: int | None = None, level: str = "BACKWARD"
) -> None:
    project.write("schemas/order.avsc", json.dumps(schema, indent=indent))
    project.write("schemas/subjects.yaml", SPEC.format(level=level))


def with_field(field: dict[str, object]) -> dict[str, object]:
    return {**ORDER, "fields": [*ORDER["fields"], field]}  # type: ignore[misc]


def subject(project: Project) -> str:
    return f"{project.env}.order.created.v1-value"


def test_register_evolve_and_converge(schemas: Project, registry: SchemaRegistryClient) -> None:
    write_order(schemas, ORDER)
    plan = schemas.run("plan", "-e", schemas.env)
    assert plan.exit_code == 2, plan.output
    assert f"+ subject {subject(schemas)}" in plan.output
    applied = schemas.run("apply", "-e", schemas.env, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert registry.get_versions(subject(schemas)) == [1]
    assert registry.get_compatibility(subject(schemas)) == "BACKWARD"
    assert schemas.run("plan", "-e", schemas.env).exit_code == 0

    write_order(schemas, ORDER, indent=8)  # formatting only: not a new version
    assert schemas.run("plan", "-e", schemas.env).exit_code == 0

    write_order(schemas, with_field({"name": "note", "type": ["null", "string"], "default": None}))
    plan = schemas.run("plan", "-e", schemas.env)
    assert plan.exit_code == 2, plan.output
    assert "new, after v1" in plan.output
    assert schemas.run("apply", "-e", schemas.env, "--auto-approve").exit_code == 0
    assert registry.get_versions(subject(schemas)) == [1, 2]
    assert "note" in registry.get_latest_version(subject(schemas)).schema.schema_str
    final = schemas.run("plan", "-e", schemas.env)
    assert final.exit_code == 0 and "No changes" in final.output


def test_incompatible_change_fails_the_plan_and_registers_nothing(
    schemas: Project, registry: SchemaRegistryClient
) -> None:
    write_order(schemas, ORDER)
    assert schemas.run("apply", "-e", schemas.env, "--auto-approve").exit_code == 0
    changed = {**ORDER, "fields": [{"name": "id", "type": "int"}, ORDER["fields"][1]]}  # type: ignore[index]
    write_order(schemas, changed)

    plan = schemas.run("plan", "-e", schemas.env)
    assert plan.exit_code == 1, plan.output
    assert subject(schemas) in plan.output and "incompatible" in plan.output
    assert "Traceback" not in plan.output
    applied = schemas.run("apply", "-e", schemas.env, "--auto-approve")
    assert applied.exit_code == 1
    assert registry.get_versions(subject(schemas)) == [1]


def test_compatibility_level_change(schemas: Project, registry: SchemaRegistryClient) -> None:
    write_order(schemas, ORDER)
    assert schemas.run("apply", "-e", schemas.env, "--auto-approve").exit_code == 0
    write_order(schemas, ORDER, level="FULL_TRANSITIVE")
    plan = schemas.run("plan", "-e", schemas.env)
    assert plan.exit_code == 2 and "BACKWARD → FULL_TRANSITIVE" in plan.output, plan.output
    assert schemas.run("apply", "-e", schemas.env, "--auto-approve").exit_code == 0
    assert registry.get_compatibility(subject(schemas)) == "FULL_TRANSITIVE"
    assert registry.get_versions(subject(schemas)) == [1]
    assert schemas.run("plan", "-e", schemas.env).exit_code == 0


def test_subject_absent_from_specs_is_soft_deleted_only_with_allow_delete(
    schemas: Project, registry: SchemaRegistryClient
) -> None:
    write_order(schemas, ORDER)
    assert schemas.run("apply", "-e", schemas.env, "--auto-approve").exit_code == 0
    schemas.write("schemas/subjects.yaml", "subjects: []\n")
    plan = schemas.run("plan", "-e", schemas.env)
    assert plan.exit_code == 2 and f"- subject {subject(schemas)}" in plan.output, plan.output

    held = schemas.run("apply", "-e", schemas.env, "--auto-approve")
    assert held.exit_code == 2 and "needs --allow-delete" in held.output  # left undone: exit 2
    assert registry.get_subjects(subject_prefix=schemas.env + ".") == [subject(schemas)]

    deleted = schemas.run("apply", "-e", schemas.env, "--auto-approve", "--allow-delete")
    assert deleted.exit_code == 0, deleted.output
    assert registry.get_subjects(subject_prefix=schemas.env + ".") == []
    # soft: the registry keeps the versions
    assert registry.get_subjects(subject_prefix=schemas.env + ".", deleted=True) == [subject(schemas)]
    assert schemas.run("plan", "-e", schemas.env).exit_code == 0


def test_references_register_in_dependency_order(schemas: Project, registry: SchemaRegistryClient) -> None:
    money = {"type": "record", "name": "Money", "namespace": "shop.common", "fields": [{"name": "u", "type": "long"}]}
    payment = {"type": "record", "name": "Payment", "fields": [{"name": "total", "type": "shop.common.Money"}]}
    schemas.write("schemas/money.avsc", json.dumps(money))
    schemas.write("schemas/payment.avsc", json.dumps(payment))
    schemas.write(
        "schemas/subjects.yaml",
        """\
        subjects:
          - topic: payment.events.v1
            type: AVRO
            file: payment.avsc
            references: [{name: shop.common.Money, subject: common.money}]
          - subject: common.money
            type: AVRO
            file: money.avsc
        """,
    )
    applied = schemas.run("apply", "-e", schemas.env, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert applied.output.index("common.money") < applied.output.index("payment.events.v1-value")
    latest = registry.get_latest_version(f"{schemas.env}.payment.events.v1-value")
    (ref,) = latest.schema.references
    assert (ref.name, ref.subject, ref.version) == ("shop.common.Money", f"{schemas.env}.common.money", 1)
    assert schemas.run("plan", "-e", schemas.env).exit_code == 0


def test_json_schema_and_protobuf_register_and_ignore_formatting(
    schemas: Project, registry: SchemaRegistryClient
) -> None:
    proto = 'syntax = "proto3";\npackage shop;\n\nmessage Paid {\n  string order_id = 1;\n}\n'
    envelope = {"type": "object", "additionalProperties": False, "properties": {"id": {"type": "string"}}}
    schemas.write("schemas/paid.proto", proto)
    schemas.write("schemas/envelope.json", json.dumps(envelope))
    schemas.write(
        "schemas/subjects.yaml",
        """\
        subjects:
          - {topic: order.paid.v1, type: PROTOBUF, file: paid.proto, compatibility: BACKWARD}
          - {subject: events.envelope.v1, type: JSON, file: envelope.json, compatibility: BACKWARD}
        """,
    )
    assert schemas.run("apply", "-e", schemas.env, "--auto-approve").exit_code == 0
    # Apicurio would register these as new versions; the normalised comparison does not ask it to
    schemas.write("schemas/paid.proto", proto.replace("  string", "  // who paid\n    string"))
    schemas.write("schemas/envelope.json", json.dumps(envelope, indent=3))
    assert schemas.run("plan", "-e", schemas.env).exit_code == 0
    assert registry.get_versions(f"{schemas.env}.order.paid.v1-value") == [1]


def _offline_config(root: Path, env: str, registry: str) -> None:
    (root / "mqctl.yaml").write_text(
        f"environments:\n  {env}:\n    bootstrap_servers: 127.0.0.1:1\n    timeout_seconds: 3\n{registry}"
    )


def test_unreachable_registry_is_a_readable_error(tmp_path: Path) -> None:
    env = unique_env()
    project = Project(tmp_path, env)
    _offline_config(tmp_path, env, "    schema_registry:\n      url: http://127.0.0.1:1/apis/ccompat/v7\n")
    write_order(project, ORDER)
    result = project.run("plan", "-e", env)
    assert result.exit_code == 1
    assert "cannot reach the schema registry at http://127.0.0.1:1/apis/ccompat/v7" in result.output
    assert "Traceback" not in result.output


def test_credentials_in_the_registry_url_are_refused_at_config_load(tmp_path: Path) -> None:
    """The URL never reaches a client: mqctl.yaml is refused, pointing to username and password."""
    env = unique_env()
    project = Project(tmp_path, env)
    url = "http://user:pw-k7q2x@127.0.0.1:1/apis/ccompat/v7"
    _offline_config(tmp_path, env, f"    schema_registry:\n      url: {url}\n")
    write_order(project, ORDER)
    for args in (("plan", "-e", env), ("validate",)):
        result = project.run(*args)
        assert result.exit_code == 1
        assert f"environments.{env}.schema_registry.url: credentials inside the url are refused" in result.stderr
        assert "schema_registry.username" in result.stderr and "schema_registry.password" in result.stderr
        assert "pw-k7q2x" not in result.output and "user:" not in result.output
        assert "cannot reach" not in result.output  # refused before anything connects


def test_schemas_folder_without_registry_config_is_an_error(tmp_path: Path) -> None:
    env = unique_env()
    project = Project(tmp_path, env)
    _offline_config(tmp_path, env, "")
    write_order(project, ORDER)
    result = project.run("plan", "-e", env)
    assert result.exit_code == 1
    assert f"environment {env!r} has no schema_registry" in result.output
