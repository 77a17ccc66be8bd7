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

import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, BinaryIO

from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaTimeoutError
from kafka.protocol.api_header import RequestHeader


def exchange_addressed(
    client: KafkaAdminClient, addressed: Sequence[tuple[Any, int | None]], timeout_ms: int
) -> list[Any]:
    """Send (request, node) pairs at once over `client`'s connections, each to its own broker (a
    group's coordinator, a partition's leader; None: whichever answers fastest), and wait for all
    their responses, in order. Raises kafka-python's errors; KafkaTimeoutError when a round is not
    over in twice `timeout_ms` (`_bounded`)."""
    manager = client._manager
    limit = client.config["max_in_flight_requests_per_connection"]
    out: list[Any] = []
    for batch in _rounds(addressed, limit, len(manager.cluster.brokers())):

        async def send_all(batch: Sequence[tuple[Any, int | None]] = batch) -> list[Any]:
            sent = [manager.send(request, node_id=node, request_timeout_ms=timeout_ms) for request, node in batch]
            return [await future for future in sent]

        out += _bounded(manager, send_all, 2 * timeout_ms / 1000)
    return out


def _bounded(manager: Any, send_all: Callable[[], Coroutine[Any, Any, list[Any]]], seconds: float) -> list[Any]:
    """`manager.run(send_all)` with a deadline. kafka-python bounds each request by its own timeout,
    except one it could not encode while its connection was still being set up: that request waits
    in the connection's buffer, the encoding error is raised inside the IO thread's callback and
    lost, and its future never completes (kafka-python 3.0.12: `manager.run` then never returned).
    The round runs on the admin client's IO thread, and this thread waits for it at most `seconds`:
    twice the requests' own timeout, so kafka-python's errors come first whenever it reports one."""
    finished = threading.Event()
    future = manager.call_soon(send_all)
    future.add_both(lambda _: finished.set())
    if not finished.wait(seconds):
        raise KafkaTimeoutError(f"no outcome within {seconds:g}s: kafka-python never completed the round")
    if future.exception is not None:
        raise future.exception
    return list(future.value)


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
