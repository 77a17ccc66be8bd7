"""`naming.matches` (the default rule through `re`, ASCII names to RE2 as bytes) answers exactly as
the RE2-compiled rule's own `match` does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mqctl.config import DEFAULT_NAMING_PATTERN
from mqctl.naming import _trusted, compile_naming, matches

CUSTOM = r"^(?P<env>[a-z]+)_(?P<domain>[A-Z][a-z]+)\.(?P<event>\w+)$"
SEGMENTS = ["dev", "prod", "order", "created", "v1", "v12", "V1", "a-b", "-x", "1a", "", "é", "x\n", "ok\n"]

names = st.one_of(
    st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=6).map(".".join),
    st.text(alphabet="abcdefv0129.-_\nZé", max_size=40),
    st.text(max_size=20),
    st.just("dev." + "a." * 150 + "v1"),  # past the 249 characters `re` is trusted with
)


@settings(max_examples=800, deadline=None)
@given(names)
def test_matches_answers_as_re2_does(name: str) -> None:
    for pattern in (DEFAULT_NAMING_PATTERN, CUSTOM):
        rule = compile_naming(pattern)
        assert matches(rule, name) == (rule.match(name) is not None)


def test_only_the_default_rule_goes_to_re() -> None:
    assert _trusted(DEFAULT_NAMING_PATTERN) is not None
    assert _trusted(CUSTOM) is None
    rule = compile_naming(DEFAULT_NAMING_PATTERN)
    assert matches(rule, "dev.order.created.v1")
    assert not matches(rule, "dev.order.created.v1\n")  # `re`'s `$` would take the newline; RE2's does not
    assert not matches(rule, "dev.Order.created.v1")


def test_the_default_rule_compiles_with_re2_on_first_use() -> None:
    """Config load no longer compiles mqctl's own rule with RE2 (`re` matches most names), so this
    is where it is proved that RE2 takes it, for the names that do go to RE2."""
    assert {"env", "domain"} <= set(compile_naming(DEFAULT_NAMING_PATTERN).groupindex)
