"""Every JSON Schema shipped in the package (mqctl.yaml's and each kind's) is a valid schema (mqctl
does not re-check them at run time)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mqctl import schema_check
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


# Values a spec entry could hold after YAML: the strings the schemas' patterns and enums care about
# (with Unicode digits, spaces and a final newline, where Python's `re` and ECMA regexes differ),
# numbers at the edges, and the odd YAML types (dates, NaN) jsonschema-rs cannot take.
_SCALARS = st.one_of(
    st.sampled_from(["7d", "٣d", "1 h", "infinite", "abc\n", "a b", "User:x", "lz4", "delete", "", "a.b.v1"]),
    st.text(max_size=8),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.dates(),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=12) | st.integers(), inner, max_size=3),
    max_leaves=8,
)
_KEYS = st.sampled_from(
    ["name", "partitions", "replication_factor", "retention", "config", "principal", "operations", "role", "topics",
     "resource_type", "pattern_type", "subject", "file", "type", "class", "tasks_max", "state", "password", "bogus"]
)
_ENTRY = st.dictionaries(_KEYS, _VALUES, max_size=5)
_DOCUMENT = st.fixed_dictionaries(
    {}, optional={section: st.lists(_ENTRY, max_size=3) | _VALUES for section in
                  ("topics", "acls", "users", "subjects", "connectors", "defaults", "brokers", "environments")}
)


@pytest.mark.parametrize(("package", "name"), SCHEMAS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=_DOCUMENT)
def test_the_fast_validator_never_passes_what_jsonschema_rejects(package: str, name: str, document: Any) -> None:
    """schema_check trusts jsonschema-rs's "valid" and asks jsonschema only otherwise: exact only if
    jsonschema-rs is never more lenient than jsonschema on these schemas."""
    if schema_check._valid(document, name, package):
        assert list(schema_check._validator(name, package).iter_errors(document)) == []
