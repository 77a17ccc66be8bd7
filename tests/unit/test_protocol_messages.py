"""mqctl.kafka.messages: ConsumerGroupDescribe, declared in kafka-python's JSON message format.

The bytes are checked against the layout of Kafka 4.1.1's generated ConsumerGroupDescribe schemas
(compact strings and arrays, tagged fields); tests/kinds/groups checks a real broker's answer."""

from __future__ import annotations

import struct

from mqctl.kafka.messages import ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse


def test_the_request_encodes_as_kafka_lays_it_out() -> None:
    request = ConsumerGroupDescribeRequest(group_ids=["g1", "g22"], include_authorized_operations=True, version=1)
    assert (ConsumerGroupDescribeRequest.API_KEY, request.API_VERSION) == (69, 1)
    # compact array of 2 (3), compact strings "g1" (len+1) and "g22", boolean true, no tagged fields
    assert bytes(request.encode()) == bytes([3, 3]) + b"g1" + bytes([4]) + b"g22" + bytes([1, 0])


def test_a_response_with_members_decodes() -> None:
    def compact(text: str | None) -> bytes:
        return bytes([0]) if text is None else bytes([len(text) + 1]) + text.encode()

    empty_assignment = bytes([1, 0])  # no topic partitions, no tagged fields
    member = (compact("m-1") + compact(None) + compact(None) + struct.pack(">i", 3) + compact("client")
              + compact("/127.0.0.1") + bytes([2]) + compact("t") + compact(None) + empty_assignment
              + empty_assignment + struct.pack(">b", 1) + bytes([0]))
    group = (struct.pack(">h", 0) + compact(None) + compact("g1") + compact("Stable") + struct.pack(">ii", 5, 5)
             + compact("uniform") + bytes([2]) + member + struct.pack(">i", -2147483648) + bytes([0]))
    data = struct.pack(">i", 0) + bytes([2]) + group + bytes([0])
    response = ConsumerGroupDescribeResponse.decode(data, version=1)
    (described,) = response.groups
    assert (described.group_id, described.group_state, described.error_code) == ("g1", "Stable", 0)
    (only,) = described.members
    assert (only.member_id, only.client_id, list(only.subscribed_topic_names), only.member_type) == (
        "m-1", "client", ["t"], 1
    )
