"""Every JSON Schema shipped in the package (mqctl.yaml's and each kind's) is a valid schema (mqctl
does not re-check them at run time)."""

from __future__ import annotations

import jsonschema
import pytest

from mqctl.kinds import KINDS
from mqctl.schema_check import CONFIG_PACKAGE, load_schema

SCHEMAS = [(CONFIG_PACKAGE, "config")] + [(kind.schema_package, kind.schema) for kind in KINDS]


def test_every_kind_ships_its_schema_in_its_package() -> None:
    assert {(kind.schema_package, kind.schema) for kind in KINDS} == {
        (f"mqctl.kinds.{kind.name}", kind.name) for kind in KINDS
    }


@pytest.mark.parametrize(("package", "name"), SCHEMAS)
def test_packaged_schema_is_valid_against_its_metaschema(package: str, name: str) -> None:
    schema = load_schema(name, package)
    jsonschema.validators.validator_for(schema).check_schema(schema)
