"""The one shim over kafka-python internals: sending raw protocol requests, and decoding a
response with mqctl's own decoder.

kafka-python 3.0 has no public call that sends an arbitrary protocol request (its 2.x `KafkaClient`
send/poll became `kafka.net`'s connection manager, reached only as `KafkaAdminClient._manager`).
mqctl needs raw requests for what neither client offers: KIP-599 request versions, topic
DescribeConfigs decoded without per-entry objects (`decoded_by`), the cluster-default config
resource "", one broker's own metadata. Everything else goes through kafka-python's public admin
methods.

This module is the only place allowed to touch the attribute; `tests/unit/test_wire_shim.py`
fails loudly when a kafka-python release changes what it relies on, which is why the dependency
is pinned to the 3.0 series.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, BinaryIO

from kafka.admin import KafkaAdminClient
from kafka.protocol.api_header import RequestHeader


def exchange_addressed(
    client: KafkaAdminClient, addressed: Sequence[tuple[Any, int | None]], timeout_ms: int
) -> list[Any]:
    """Send (request, node) pairs at once over `client`'s connections, each to its own broker (a
    group's coordinator, a partition's leader; None: whichever answers fastest), and wait for all
    their responses, in order. Raises kafka-python's errors."""
    manager = client._manager
    limit = client.config["max_in_flight_requests_per_connection"]
    out: list[Any] = []
    for batch in _rounds(addressed, limit, len(manager.cluster.brokers())):

        async def send_all(batch: Sequence[tuple[Any, int | None]] = batch) -> list[Any]:
            sent = [manager.send(request, node_id=node, request_timeout_ms=timeout_ms) for request, node in batch]
            return [await future for future in sent]

        out += manager.run(send_all)
    return out


def _rounds(
    addressed: Sequence[tuple[Any, int | None]], limit: int, brokers: int
) -> list[list[tuple[Any, int | None]]]:
    """Consecutive groups sent at once, none over kafka-python's in-flight limit per connection: at
    that limit it pauses the connection, and a request for "any broker" then finds none ("No node_id
    provided": six DescribeConfigs parts to a one-broker cluster). At most `limit` per named broker,
    and `limit` x brokers in all, so a broker with room is always left for the unnamed ones."""
    rounds: list[list[tuple[Any, int | None]]] = []
    per_node: dict[int | None, int] = {}
    for request, node in addressed:
        full = len(rounds[-1]) >= limit * max(1, brokers) if rounds else True
        if full or (node is not None and per_node.get(node, 0) >= limit):
            rounds.append([])
            per_node = {}
        rounds[-1].append((request, node))
        per_node[node] = per_node.get(node, 0) + 1
    return rounds


class _Decoder:
    """What kafka-python's parser takes for a response class: it parses the response header with
    kafka-python's own class, then hands the rest of the bytes to `decode`."""

    def __init__(self, response_class: Any, decode: Callable[[bytes], Any]) -> None:
        self._response_class = response_class
        self._decode = decode

    def parse_header(self, buffer: BinaryIO) -> Any:
        return self._response_class.parse_header(buffer)

    def decode(self, buffer: BinaryIO) -> Any:
        return self._decode(buffer.read())


def decoded_by(request_class: Any, response_class: Any, decode: Callable[[bytes], Any]) -> Any:
    """A subclass of kafka-python's `request_class` whose responses are `decode(bytes)` instead of
    kafka-python's objects. kafka-python looks a response's class up from the request's header
    (`RequestHeader.get_response_class`); this request's header names the decoder instead, so only
    requests of this class are decoded by it and every other request keeps kafka-python's."""

    class Header(RequestHeader, init=False):  # type: ignore[misc,call-arg]
        __slots__ = ()

        def get_response_class(self) -> _Decoder:
            return _Decoder(response_class[self.request_api_version], decode)

    class Request(request_class, init=False):  # type: ignore[misc,call-arg]
        __slots__ = ()
        header_class = Header

    Request.__name__ = Request.__qualname__ = f"Decoded{request_class.__name__}"
    return Request
