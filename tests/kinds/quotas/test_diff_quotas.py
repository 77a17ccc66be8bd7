"""The client quota diff on plain data: sets, removals held back like deletions, and the scope an
environment may remove in on a shared cluster."""

from __future__ import annotations

from mqctl.config import Environment, Policy
from mqctl.kinds.quotas.changes import QuotaCreate, QuotaDelete, QuotaUpdate
from mqctl.kinds.quotas.diff import Scope, diff_quotas
from mqctl.kinds.quotas.model import LiveQuotas, QuotaEntity, QuotaSpec
from mqctl.plan import Action, Plan
from mqctl.spec.model import Source

SVC = QuotaEntity.of({"user": "svc"})
SCOPE = Scope("prod.", frozenset({"svc"}))


def spec(entity: QuotaEntity, **values: float) -> QuotaSpec:
    return QuotaSpec(entity, values, Source("quotas/a.yaml", 2))


def test_a_missing_entity_is_created_and_changed_values_updated() -> None:
    (created,), _ = diff_quotas([spec(SVC, producer_byte_rate=1024.0)], LiveQuotas({}), SCOPE)
    assert isinstance(created, QuotaCreate) and created.name == "user=svc"
    assert created.set_values == {"producer_byte_rate": 1024.0}
    assert [(d.field, d.before, d.after) for d in created.diffs] == [("producer_byte_rate", None, 1024)]
    live = LiveQuotas({SVC: {"producer_byte_rate": 1024.0, "request_percentage": 50.0}})
    wanted = spec(SVC, producer_byte_rate=2048.0, request_percentage=50.0, consumer_byte_rate=10.0)
    (updated,), _ = diff_quotas([wanted], live, SCOPE)
    assert isinstance(updated, QuotaUpdate) and updated.action is Action.UPDATE and not updated.destructive
    assert updated.set_values == {"producer_byte_rate": 2048.0, "consumer_byte_rate": 10.0}
    assert [(d.field, d.before, d.after) for d in updated.diffs] == [
        ("producer_byte_rate", 1024, 2048), ("consumer_byte_rate", None, 10)
    ]
    assert diff_quotas([spec(SVC, producer_byte_rate=1024.0, request_percentage=50.0)], live, SCOPE) == ([], [])


def test_a_dropped_key_is_a_deletion_held_back_without_allow_delete() -> None:
    live = LiveQuotas({SVC: {"producer_byte_rate": 1024.0, "consumer_byte_rate": 2048.0}})
    (removal,), _ = diff_quotas([spec(SVC, producer_byte_rate=1024.0)], live, SCOPE)
    assert isinstance(removal, QuotaDelete) and removal.remove_keys == ("consumer_byte_rate",)
    assert removal.name == "user=svc [consumer_byte_rate]" and removal.destructive
    assert removal.all_risks == ("consumer_byte_rate of user=svc is lifted",)
    plan = Plan.build("prod", [removal])
    assert plan.held_back(allow_delete=False) == {removal.key: "needs --allow-delete"}
    assert plan.to_dict()["changes"][0]["entity"] == [{"type": "user", "name": "svc"}]


def test_undeclared_entities_are_removed_only_in_the_environments_scope() -> None:
    entities = {
        SVC: {"producer_byte_rate": 1.0},  # a user this environment declares
        QuotaEntity.of({"user": "team-x"}): {"producer_byte_rate": 1.0},  # matches policy.managed_users
        QuotaEntity.of({"user": "other"}): {"producer_byte_rate": 1.0},  # someone else's user
        QuotaEntity.of({"user": None, "client-id": "prod.web"}): {"request_percentage": 5.0},  # our client id
        QuotaEntity.of({"client-id": "staging.web"}): {"request_percentage": 5.0},  # another environment's
        QuotaEntity.of({"user": None}): {"producer_byte_rate": 1.0},  # cluster-wide
        QuotaEntity.of({"ip": "10.0.0.1"}): {"connection_creation_rate": 5.0},  # cluster-wide
    }
    scope = Scope("prod.", frozenset({"svc"}), ("team-*",))
    changes, _ = diff_quotas([], LiveQuotas(entities), scope)
    assert [c.name for c in changes] == ["user=<default>, client-id=prod.web", "user=svc", "user=team-x"]
    assert all(isinstance(c, QuotaDelete) and c.action is Action.DELETE for c in changes)
    owner = Scope("prod.", frozenset({"svc"}), ("team-*",), cluster_wide=True)
    changes, _ = diff_quotas([], LiveQuotas(entities), owner)
    assert [c.name for c in changes] == [
        "user=<default>", "user=<default>, client-id=prod.web", "user=svc", "user=team-x", "ip=10.0.0.1"
    ]


def test_removals_count_against_the_plans_delete_limits() -> None:
    entities = {QuotaEntity.of({"user": f"svc{i}"}): {"producer_byte_rate": 1.0} for i in range(12)}
    scope = Scope("prod.", frozenset(f"svc{i}" for i in range(12)))
    changes, _ = diff_quotas([], LiveQuotas(entities), scope)
    env = Environment("prod", "127.0.0.1:1", policy=Policy(max_deletes=10))
    (problem,) = Plan.build("prod", changes).unsafe(env, {"quotas": 12})[:1]
    assert problem.key == "environments.prod.policy.max_deletes" and "deletes 12 quotas" in problem.message
