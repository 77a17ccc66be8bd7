"""Kafka protocol messages kafka-python 3.0 does not ship, declared in its own JSON message format
and built by its ApiMessage class (the `load_json` class keyword names this package).

ConsumerGroupDescribe (API 69, KIP-848): members of groups using the consumer protocol, many groups
per request. DescribeGroups answers those groups with GROUP_ID_NOT_FOUND ("not a classic group"),
and librdkafka's describe_consumer_groups sends one FindCoordinator and one request per group
(measured: 10 groups, 10 + 10 + 9 requests), so neither keeps `groups status` constant in requests.
The field layout is Kafka 4.1.1's (its generated ConsumerGroupDescribe{Request,Response}Data
SCHEMAS, v0-v1); tests/unit/test_protocol_messages.py checks the encoding, the integration
tests check a real broker's answer.
"""

from __future__ import annotations

from kafka.protocol.api_message import ApiMessage


class ConsumerGroupDescribeRequest(ApiMessage, load_json=__name__):  # type: ignore[misc,call-arg]
    pass


class ConsumerGroupDescribeResponse(ApiMessage, load_json=__name__):  # type: ignore[misc,call-arg]
    pass


__all__ = ["ConsumerGroupDescribeRequest", "ConsumerGroupDescribeResponse"]
