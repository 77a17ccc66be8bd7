"""Client quotas on the cluster: one DescribeClientQuotas with a filter matching every entity, and
one AlterClientQuotas per change type for all entities (validate-only for the plan's dry run).

confluent-kafka 2.16 has no client-quota API, so both go as kafka-python protocol requests through
the run's ProtocolClient. Any broker answers a describe from its metadata image and forwards an
alteration to the controller; apply then waits (briefly) until a describe shows what it changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from kafka.protocol.admin import AlterClientQuotasRequest, DescribeClientQuotasRequest

from mqctl.diagnostics import MqctlError
from mqctl.edges import Edges
from mqctl.kafka.protocol import Unanswered, describe_error
from mqctl.kind import Executor, Results, executor
from mqctl.kinds.quotas.changes import QuotaChange, QuotaCreate, QuotaDelete, QuotaUpdate
from mqctl.kinds.quotas.model import ENTITY_TYPES, LiveQuotas, QuotaEntity
from mqctl.plan import Change
from mqctl.polling import await_every_broker

_ENTRY = AlterClientQuotasRequest.EntryData


def _entity(parts: Iterable[Any]) -> QuotaEntity | None:
    """A response's entity; None for an entity type mqctl does not know (a newer Kafka's)."""
    named = {part.entity_type: part.entity_name for part in parts}
    return QuotaEntity.of(named) if set(named) <= set(ENTITY_TYPES) else None


def _entry(change: QuotaChange) -> Any:
    ops = [_ENTRY.OpData(key=key, value=float(value), remove=False) for key, value in sorted(change.set_values.items())]
    ops += [_ENTRY.OpData(key=key, value=0.0, remove=True) for key in change.remove_keys]
    entity = [_ENTRY.EntityData(entity_type=kind, entity_name=name) for kind, name in change.entity.parts]
    return _ENTRY(entity=entity, ops=ops)


def shows(change: QuotaChange, live: LiveQuotas) -> bool:
    """Whether a describe already shows `change` done."""
    values = live.entities.get(change.entity, {})
    return all(values.get(key) == value for key, value in change.set_values.items()) and not any(
        key in values for key in change.remove_keys
    )


class QuotaAdmin:
    """Snapshot and batched execution for client quotas, over the run's Kafka connection."""

    def __init__(self, edges: Edges) -> None:
        self.admin = edges.kafka

    def snapshot(self, broker: int | None = None) -> LiveQuotas:
        """Every quota entity of the cluster (as `broker`, or whichever answers first, knows them):
        one DescribeClientQuotas whose empty, non-strict filter matches every entity (users, client
        ids, both, their defaults and IPs)."""
        doing = "describe client quotas"
        request = DescribeClientQuotasRequest(components=[], strict=False)
        response = self.admin.protocol.send(doing, request, node=broker)
        if response.error_code:
            raise MqctlError(f"{doing}: {describe_error(self.admin.env, response.error_code, response.error_message)}")
        entities = {}
        for entry in response.entries or []:
            entity = _entity(entry.entity)
            if entity is not None:
                entities[entity] = {value.key: float(value.value) for value in entry.values}
        return LiveQuotas(entities)

    def alter(self, changes: Sequence[QuotaChange], validate_only: bool = False) -> Results:
        """One AlterClientQuotas for every change of the batch (an entity appears once per change
        type, and Kafka refuses an entity twice in one request). The broker validates every entry
        with validate_only and changes nothing."""
        if not changes:
            return {}
        request = AlterClientQuotasRequest(entries=[_entry(c) for c in changes], validate_only=validate_only)
        try:
            response = self.admin.protocol.send("alter client quotas", request)
        except Unanswered as exc:
            return {c.name: f"{exc}; it may or may not have happened, the next plan shows which" for c in changes}
        except MqctlError as exc:  # recorded per change, never swallowed
            return {c.name: str(exc) for c in changes}
        answers = {_entity(entry.entity): entry for entry in response.entries}
        outcome: Results = {}
        for change in changes:
            answer = answers.get(change.entity)
            if answer is None:
                outcome[change.name] = "the broker's answer does not mention this entity"
            elif answer.error_code:
                outcome[change.name] = describe_error(self.admin.env, answer.error_code, answer.error_message)
            else:
                outcome[change.name] = None
        if not validate_only:
            # every broker learns it from the metadata log, a loaded one seconds later
            await_every_broker(self.admin, [c for c in changes if outcome[c.name] is None], self.snapshot, shows)
        return outcome

    def executors(self) -> dict[type[Change], Executor]:
        return dict([executor(kind, self.alter) for kind in (QuotaCreate, QuotaUpdate, QuotaDelete)])
