"""mqctl's DescribeConfigs v4 decoder against kafka-python's encoder and decoder: the same results
for any response, equal entries shared, and bad bytes refused with ValueError (which kafka-python's
parser turns into a protocol error) instead of any other exception. The request class that uses it
goes through kafka-python's own parser in test_wire_shim; the integration suite reads real brokers'
answers."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kafka.protocol.admin import DescribeConfigsResponse

from mqctl.kafka.describe_configs import VERSION, decode_describe_configs
from mqctl.kafka.protocol import CONFIG_SOURCES
from mqctl.live import LiveConfig

Result = DescribeConfigsResponse.DescribeConfigsResult
Entry = Result.DescribeConfigsResourceResult
Synonym = Entry.DescribeConfigsSynonym

texts = st.text(min_size=0, max_size=150)  # over 127 UTF-8 bytes: two-byte length varints
synonyms = st.builds(Synonym, name=texts, value=st.none() | texts, source=st.integers(-1, 8))
entries = st.builds(
    Entry,
    name=texts,
    value=st.none() | texts,
    read_only=st.booleans(),
    config_source=st.integers(-1, 8),
    is_sensitive=st.booleans(),
    synonyms=st.lists(synonyms, max_size=2),
    config_type=st.integers(0, 9),
    documentation=st.none() | texts,
)
results = st.builds(
    Result,
    error_code=st.integers(-1, 120),
    error_message=st.none() | texts,
    resource_type=st.sampled_from([2, 4, 32]),
    resource_name=texts,
    configs=st.lists(entries, max_size=6),
)


def encoded(found: list[Any]) -> bytes:
    return bytes(DescribeConfigsResponse(throttle_time_ms=0, results=found, version=VERSION).encode(version=VERSION))


def expected(entry: Any) -> LiveConfig:
    source = CONFIG_SOURCES.get(entry.config_source, str(entry.config_source))
    return LiveConfig(entry.value, source, entry.read_only, entry.is_sensitive)


@settings(max_examples=300, deadline=None)
@given(st.lists(results, max_size=4))
def test_it_reads_what_kafka_python_reads(found: list[Any]) -> None:
    data = encoded(found)
    theirs = DescribeConfigsResponse[VERSION].decode(io.BytesIO(data))
    ours = decode_describe_configs(data)
    assert len(ours) == len(theirs.results)
    for mine, their in zip(ours, theirs.results, strict=True):
        assert (mine.error_code, mine.error_message, mine.resource_type, mine.resource_name) == (
            their.error_code, their.error_message, their.resource_type, their.resource_name)  # fmt: skip
        assert mine.configs == {entry.name: expected(entry) for entry in their.configs}


def test_equal_entries_of_different_topics_are_one_object_and_sensitive_values_are_dropped() -> None:
    default = Entry(name="retention.ms", value="604800000", read_only=False, config_source=5, is_sensitive=False,
                    synonyms=[], config_type=5, documentation=None)  # fmt: skip
    secret = Entry(name="a.password", value="hunter2", read_only=False, config_source=1, is_sensitive=True,
                   synonyms=[], config_type=9, documentation=None)  # fmt: skip
    def own(i: int) -> Any:
        return Entry(name="segment.ms", value=str(i), read_only=False, config_source=1, is_sensitive=False,
                     synonyms=[], config_type=5, documentation=None)  # fmt: skip

    found = [Result(error_code=0, error_message=None, resource_type=2, resource_name=f"t{i}",
                    configs=[default, secret, own(i)]) for i in range(3)]  # fmt: skip
    ours = decode_describe_configs(encoded(found))
    assert len({id(r.configs["retention.ms"]) for r in ours}) == 1
    assert [r.configs["segment.ms"] for r in ours] == [LiveConfig(str(i), "DYNAMIC_TOPIC_CONFIG") for i in range(3)]
    assert ours[0].configs["retention.ms"] == LiveConfig("604800000", "DEFAULT_CONFIG")
    assert ours[0].configs["a.password"] == LiveConfig(None, "DYNAMIC_TOPIC_CONFIG", False, True)


@settings(max_examples=100, deadline=None)
@given(st.lists(results, min_size=1, max_size=2), st.data())
def test_cut_or_padded_bytes_are_refused_with_value_error(found: list[Any], data: st.DataObject) -> None:
    whole = encoded(found)
    cut = data.draw(st.integers(0, len(whole) - 1))
    with pytest.raises(ValueError):
        decode_describe_configs(whole[:cut])
    with pytest.raises(ValueError):
        decode_describe_configs(whole + b"\x00")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_decode_or_raise_value_error(data: bytes) -> None:
    """Fuzz: an IndexError, a UnicodeDecodeError or anything but ValueError fails the test."""
    with contextlib.suppress(ValueError):
        decode_describe_configs(data)
