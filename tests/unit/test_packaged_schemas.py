"""Every JSON Schema shipped in the package (mqctl.yaml's and each kind's) is a valid schema (mqctl
does not re-check them at run time)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from mqctl.kind import Kind
from mqctl.kinds import KINDS
from mqctl.schema_check import CONFIG_PACKAGE, editor_schema, load_schema

SCHEMAS = [(CONFIG_PACKAGE, "config"), (CONFIG_PACKAGE, "policies")] + [
    (kind.schema_package, kind.schema) for kind in KINDS
]


def test_every_kind_ships_its_schema_in_its_package() -> None:
    assert {(kind.schema_package, kind.schema) for kind in KINDS} == {
        (f"mqctl.kinds.{kind.name}", kind.name) for kind in KINDS
    }


@pytest.mark.parametrize(("package", "name"), SCHEMAS)
def test_packaged_schema_is_valid_against_its_metaschema(package: str, name: str) -> None:
    schema = load_schema(name, package)
    jsonschema.validators.validator_for(schema).check_schema(schema)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_editor_schemas_declare_labels_and_env_of_every_kind(kind: Kind[Any, Any]) -> None:
    """The loader takes `labels:`/`env:` out before its own check; editors get them declared."""
    schema = editor_schema(kind.schema, kind.schema_package)
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert "labels" in schema["properties"]
    for section in schema["properties"].values():
        target = section.get("items", section)
        if "properties" in target:
            assert {"labels", "env"} <= set(target["properties"]), kind.name
