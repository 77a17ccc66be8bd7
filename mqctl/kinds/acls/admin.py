"""ACLs on the cluster: read every binding in one DescribeAcls request, create and delete in one
request each, whatever their number. Kafka's enums become the plain AclBinding of the spec model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from types import SimpleNamespace
from typing import Any

from confluent_kafka.admin import AclBinding as KafkaBinding
from confluent_kafka.admin import (
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
)

from mqctl.batching import chunks
from mqctl.diagnostics import MqctlError
from mqctl.edges import Edges
from mqctl.kafka.batch import send
from mqctl.kafka.protocol import describe_error
from mqctl.kind import Executor, Results, executor
from mqctl.kinds.acls.changes import AclChange, AclCreate, AclDelete
from mqctl.kinds.acls.live import LiveAcls
from mqctl.kinds.acls.model import AclBinding
from mqctl.plan import Change
from mqctl.polling import await_every_broker

# librdkafka calls Kafka's CLUSTER resource type BROKER (same wire value, 4).
_TYPES = {
    "topic": ResourceType.TOPIC,
    "group": ResourceType.GROUP,
    "cluster": ResourceType.BROKER,
    "transactional_id": ResourceType.TRANSACTIONAL_ID,
}
_TYPE_NAMES = {v: k for k, v in _TYPES.items()}
_PATTERNS = {"literal": ResourcePatternType.LITERAL, "prefixed": ResourcePatternType.PREFIXED}
_PATTERN_NAMES = {v: k for k, v in _PATTERNS.items()}
_PERMISSIONS = {"allow": AclPermissionType.ALLOW, "deny": AclPermissionType.DENY}
_PERMISSION_NAMES = {v: k for k, v in _PERMISSIONS.items()}
_ANY_STRING: Any = None  # a filter's None matches any name, principal or host
_EVERYTHING = AclBindingFilter(
    ResourceType.ANY,
    _ANY_STRING,
    ResourcePatternType.ANY,
    _ANY_STRING,
    _ANY_STRING,
    AclOperation.ANY,
    AclPermissionType.ANY,
)


def _to_kafka(binding: AclBinding, cls: Any = KafkaBinding) -> Any:
    """The binding as confluent-kafka's AclBinding, or (cls=AclBindingFilter) an exact-match filter."""
    return cls(
        _TYPES[binding.resource_type],
        binding.name,
        _PATTERNS[binding.pattern_type],
        binding.principal,
        binding.host,
        AclOperation[binding.operation],
        _PERMISSIONS[binding.permission],
    )


def _from_kafka(acl: Any) -> AclBinding | None:
    """None for what mqctl cannot express (delegation-token or user resources, newer operations):
    such bindings are left alone."""
    kind = _TYPE_NAMES.get(acl.restype)
    pattern = _PATTERN_NAMES.get(acl.resource_pattern_type)
    permission = _PERMISSION_NAMES.get(acl.permission_type)
    if kind is None or pattern is None or permission is None or acl.operation is AclOperation.UNKNOWN:
        return None
    return AclBinding(acl.principal, kind, acl.name, pattern, acl.operation.name, permission, acl.host)


def _from_wire(resource: Any, acl: Any) -> AclBinding | None:
    """One binding of a DescribeAcls response (kafka-python: the protocol's integer codes)."""
    try:
        described = SimpleNamespace(
            restype=ResourceType(resource.resource_type), name=resource.resource_name,
            resource_pattern_type=ResourcePatternType(resource.pattern_type), principal=acl.principal,
            host=acl.host, operation=AclOperation(acl.operation),
            permission_type=AclPermissionType(acl.permission_type),
        )  # fmt: skip
    except ValueError:  # a code this librdkafka does not know: not something mqctl manages
        return None
    return _from_kafka(described)


def shows(change: AclChange, live: frozenset[AclBinding]) -> bool:
    return (change.binding in live) is isinstance(change, AclCreate)


class AclAdmin:
    """Snapshot and batched execution for ACL bindings, over one KafkaAdmin connection."""

    def __init__(self, edges: Edges) -> None:
        self.admin = edges.kafka
        self.client = self.admin.client

    def _authorizer(self) -> str:
        """A broker's authorizer.class.name. Without an authorizer librdkafka reports an empty ACL
        list rather than SECURITY_DISABLED, so the plan has to ask."""
        first = self.admin.brokers()[0].id
        entry = self.admin.broker_configs([first])[first].get("authorizer.class.name")
        return str(entry.value or "") if entry is not None else ""

    def snapshot(self) -> LiveAcls:
        """Every binding on the cluster: one DescribeAcls with an ANY filter (plus one DescribeConfigs for
        the authorizer check), however many bindings there are. The diff decides which are ours."""
        future = self.admin.call(
            "describe ACLs", lambda: self.client.describe_acls(_EVERYTHING, request_timeout=self.admin.timeout)
        )
        found = (_from_kafka(acl) for acl in self.admin.wait(future, "describe ACLs"))
        return LiveAcls(frozenset(b for b in found if b is not None), self._authorizer())

    def on_broker(self, broker: int) -> frozenset[AclBinding]:
        """Every binding as `broker`'s authorizer knows it (from the metadata log, a loaded broker late)."""
        from kafka.protocol.admin import DescribeAclsRequest

        doing = "describe ACLs"
        anything = DescribeAclsRequest(
            resource_type_filter=ResourceType.ANY.value, resource_name_filter=None,
            pattern_type_filter=ResourcePatternType.ANY.value, principal_filter=None, host_filter=None,
            operation=AclOperation.ANY.value, permission_type=AclPermissionType.ANY.value,
        )  # fmt: skip
        response = self.admin.protocol.send(doing, anything, node=broker)
        if response.error_code:
            raise MqctlError(f"{doing}: {describe_error(self.admin.env, response.error_code, response.error_message)}")
        found = (_from_wire(resource, acl) for resource in response.resources for acl in resource.acls)
        return frozenset(b for b in found if b is not None)

    def _batch(self, doing: str, method: Callable[..., Any], cls: Any, changes: Sequence[AclChange]) -> Results:
        """One request per 9,000 bindings (each is one metadata record; KRaft caps a request at 10,000)."""
        outcome: Results = {}
        for batch in chunks(changes, lambda _: 1):
            items = {_to_kafka(c.binding, cls): c.name for c in batch}
            start = partial(method, list(items), request_timeout=self.admin.timeout)
            send(self.admin, doing, start, items, outcome)
        await_every_broker(self.admin, [c for c in changes if outcome.get(c.name) is None], self.on_broker, shows)
        return outcome

    def create(self, changes: Sequence[AclCreate], validate_only: bool = False) -> Results:
        """One CreateAcls request for all bindings (Kafka has no validate-only mode for ACLs; the
        spec checks already cover what it would refuse)."""
        if validate_only:
            return {c.name: None for c in changes}
        return self._batch("create ACLs", self.client.create_acls, KafkaBinding, changes)

    def delete(self, changes: Sequence[AclDelete], validate_only: bool = False) -> Results:
        """One DeleteAcls request with an exact-match filter per binding: nothing else can match."""
        if validate_only:
            return {c.name: None for c in changes}
        return self._batch("delete ACLs", self.client.delete_acls, AclBindingFilter, changes)

    def executors(self) -> dict[type[Change], Executor]:
        return dict([executor(AclCreate, self.create), executor(AclDelete, self.delete)])
