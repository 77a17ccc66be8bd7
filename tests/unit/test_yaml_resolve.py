"""yamlsource's shortcut through PyYAML's tag resolution gives PyYAML's answer for every scalar."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mqctl.yamlsource import _BaseLoader, _LineLoader, parse_yaml

EDGES = ["", "~", "null", "yes", "No", "on", "OFF", "0", "-1", "+.5", "0x1F", "1_000", "0o7", ".inf", ".NaN", "<<",
         "=", "2001-12-14", "1:20", "order.created.v1", "READ", "User:x", "7d", "true", "n", "Y"]


@settings(max_examples=500, deadline=None)
@given(value=st.sampled_from(EDGES) | st.text(max_size=12), implicit=st.tuples(st.booleans(), st.booleans()))
def test_resolve_matches_pyyaml(value: str, implicit: tuple[bool, bool]) -> None:
    fast = _LineLoader("")
    slow = _BaseLoader("")
    try:
        assert fast.resolve(yaml.ScalarNode, value, implicit) == slow.resolve(yaml.ScalarNode, value, implicit)
    finally:
        fast.dispose()
        slow.dispose()


def test_collections_resolve_as_pyyaml_resolves_them() -> None:
    fast, slow = _LineLoader(""), _BaseLoader("")
    for kind in (yaml.MappingNode, yaml.SequenceNode):
        assert fast.resolve(kind, None, (True, False)) == slow.resolve(kind, None, (True, False))
    assert not _BaseLoader.yaml_path_resolvers and None not in _BaseLoader.yaml_implicit_resolvers


def test_parsed_values_keep_their_types() -> None:
    doc = parse_yaml("a: [yes, 3, 0.5, ~, '3', order.v1, 2001-12-14, .inf]\n", "f.yaml")
    assert not isinstance(doc, yaml.Node)
    values = doc.data["a"]  # type: ignore[union-attr]
    assert [type(v).__name__ for v in values] == ["bool", "int", "float", "NoneType", "str", "str", "date", "float"]
