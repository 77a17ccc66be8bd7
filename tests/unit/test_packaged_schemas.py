"""Every JSON Schema shipped in the package is a valid schema (mqctl does not re-check them at run time)."""

from __future__ import annotations

from importlib import resources

import jsonschema
import pytest

from mqctl.schema_check import load_schema

NAMES = sorted(
    entry.name.removesuffix(".schema.json")
    for entry in resources.files("mqctl.schemas").iterdir()
    if entry.name.endswith(".schema.json")
)


def test_the_kinds_are_all_there() -> None:
    assert {"config", "topics", "acls", "users", "schemas", "brokers"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_packaged_schema_is_valid_against_its_metaschema(name: str) -> None:
    schema = load_schema(name)
    jsonschema.validators.validator_for(schema).check_schema(schema)
