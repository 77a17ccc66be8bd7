"""DescribeConfigs responses decoded from their bytes straight into LiveConfigs.

A topic reports about 33 config entries, nearly all of them the same broker defaults every other
topic reports: 10,000 topics answer with 330,000 entries. kafka-python decodes each entry into an
object and each field into a Python value before mqctl reads any of them; in the plan of a project
declaring 10,000 topics that was about 1 s of CPU, the largest single cost of the run (BENCHMARKS.md,
issue 21). Here an entry is only measured (its lengths read) and looked up by its bytes: equal bytes
are equal entries, decoded once into a LiveConfig that every topic reporting it shares. On a real
response of 1,667 topics this is 5-8x faster than kafka-python's decoder, conversion included.

Only version 4 is decoded, the first flexible one (compact strings, tagged fields; Kafka 2.8 on):
the request pins it (mqctl.kafka.admin). Pure: bytes in, values out; mqctl.kafka.wire hands it the
bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from mqctl.kafka.protocol import CONFIG_SOURCES
from mqctl.live import LiveConfig

VERSION = 4


@dataclass(frozen=True)
class ConfigsResult:
    """One resource of a DescribeConfigs response."""

    error_code: int
    error_message: str | None
    resource_type: int
    resource_name: str
    configs: dict[str, LiveConfig]  # name -> entry (equal entries are one shared object)


def decode_describe_configs(data: bytes | bytearray) -> list[ConfigsResult]:
    """The results of a DescribeConfigs v4 response body (after the response header). Bytes that
    do not decode raise ValueError, which kafka-python reports as a protocol error."""
    try:
        return _results(bytes(data))  # a bytes object is not copied
    except (IndexError, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed DescribeConfigs v{VERSION} response: {exc}") from exc


def _results(data: bytes) -> list[ConfigsResult]:
    pos = 4  # throttle_time_ms
    count, pos = _uvarint(data, pos)
    results = []
    seen: dict[bytes, tuple[str, LiveConfig]] = {}  # an entry's bytes -> the entry, decoded once
    for _ in range(count - 1):
        code = int.from_bytes(data[pos : pos + 2], "big", signed=True)
        message, pos = _string(data, pos + 2)
        resource_type = _int8(data[pos])
        name, pos = _string(data, pos + 1)
        configs, pos = _entries(data, pos, seen)
        pos = _after_tags(data, pos)
        results.append(ConfigsResult(code, message, resource_type, name or "", configs))
    if _after_tags(data, pos) != len(data):
        raise ValueError("bytes after the end of the response")
    return results


def _entries(data: bytes, pos: int, seen: dict[bytes, tuple[str, LiveConfig]]) -> tuple[dict[str, LiveConfig], int]:
    """One resource's entries. Each entry's extent is found from its length bytes alone (one byte
    each in the common case: strings under 127 bytes, no synonyms, no documentation, no tags), and
    the entry's bytes are the key of the entries already decoded."""
    count, pos = _uvarint(data, pos)
    configs: dict[str, LiveConfig] = {}
    for _ in range(count - 1):
        start = pos
        b = data[pos]  # name
        pos = pos + b if 0 < b < 0x80 else _after_string(data, pos)
        b = data[pos]  # value (nullable: 0)
        pos = pos + (b or 1) if b < 0x80 else _after_string(data, pos)
        pos += 3  # read_only, config_source, is_sensitive
        pos = pos + 1 if data[pos] == 1 else _after_synonyms(data, pos)
        pos += 1  # config_type
        b = data[pos]  # documentation (nullable)
        pos = pos + (b or 1) if b < 0x80 else _after_string(data, pos)
        pos = pos + 1 if data[pos] == 0 else _after_tags(data, pos)
        entry = data[start:pos]
        known = seen.get(entry)
        if known is None:
            known = seen[entry] = _entry(entry)
        configs[known[0]] = known[1]
    return configs, pos


def _entry(entry: bytes) -> tuple[str, LiveConfig]:
    name, pos = _string(entry, 0)
    value, pos = _string(entry, pos)
    read_only, source, sensitive = entry[pos], _int8(entry[pos + 1]), entry[pos + 2]
    if name is None or read_only > 1 or sensitive > 1:
        raise ValueError("a config entry with a null name or a boolean out of range")
    label = CONFIG_SOURCES.get(source, str(source))
    return name, LiveConfig(value, label, bool(read_only), bool(sensitive))


def _int8(byte: int) -> int:
    return byte - 256 if byte > 127 else byte


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    """An unsigned varint (protobuf style): 7 bits a byte, low bits first."""
    value = shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7
        if shift > 28:
            raise ValueError("a varint longer than 5 bytes")


def _string(data: bytes, pos: int) -> tuple[str | None, int]:
    """A compact nullable string: its length + 1 as a varint (0: null), then UTF-8."""
    size, pos = _uvarint(data, pos)
    if size == 0:
        return None, pos
    end = pos + size - 1
    if end > len(data):
        raise IndexError("a string past the end of the response")
    return data[pos:end].decode(), end


def _after_string(data: bytes, pos: int) -> int:
    size, pos = _uvarint(data, pos)
    return pos + max(size - 1, 0)


def _after_synonyms(data: bytes, pos: int) -> int:
    count, pos = _uvarint(data, pos)
    for _ in range(count - 1):
        pos = _after_string(data, pos)  # name
        pos = _after_string(data, pos)  # value
        pos = _after_tags(data, pos + 1)  # after the source
    return pos


def _after_tags(data: bytes, pos: int) -> int:
    count, pos = _uvarint(data, pos)
    for _ in range(count):
        _, pos = _uvarint(data, pos)  # tag
        size, pos = _uvarint(data, pos)
        pos += size
    if pos > len(data):
        raise IndexError("tagged fields past the end of the response")
    return pos
