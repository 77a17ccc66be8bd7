"""The one shim over kafka-python internals: sending raw protocol requests.

kafka-python 3.0 has no public call that sends an arbitrary protocol request (its 2.x `KafkaClient`
send/poll became `kafka.net`'s connection manager, reached only as `KafkaAdminClient._manager`).
mqctl needs raw requests for what neither client offers: KIP-599 request versions, topic
DescribeConfigs decoded without per-entry objects, the cluster-default config resource "", one
broker's own metadata. Everything else goes through kafka-python's public admin methods.

This module is the only place allowed to touch the attribute; `tests/unit/test_wire_shim.py`
fails loudly when a kafka-python release changes what it relies on, which is why the dependency
is pinned to the 3.0 series.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kafka.admin import KafkaAdminClient


def exchange(client: KafkaAdminClient, requests: Sequence[Any], node: int | None, timeout_ms: int) -> list[Any]:
    """Send `requests` at once (to broker `node`, or whichever answers fastest) over `client`'s
    connections and wait for all their responses, in order. Raises kafka-python's errors."""
    return exchange_addressed(client, [(request, node) for request in requests], timeout_ms)


def exchange_addressed(
    client: KafkaAdminClient, addressed: Sequence[tuple[Any, int | None]], timeout_ms: int
) -> list[Any]:
    """`exchange` with a broker per request: (request, node) pairs all sent at once, each to its
    own node (a group's coordinator, a partition's leader), the responses in order."""
    manager = client._manager

    async def send_all() -> list[Any]:
        sent = [manager.send(request, node_id=node, request_timeout_ms=timeout_ms) for request, node in addressed]
        return [await future for future in sent]

    return list(manager.run(send_all))
