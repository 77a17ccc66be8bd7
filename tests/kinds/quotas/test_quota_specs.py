"""Client quota specs offline: entities and names, values and units, and every rule, each bad
input reported with its file, line and key."""

from __future__ import annotations

from pathlib import Path

from mqctl.diagnostics import Severity
from mqctl.kinds.quotas.model import QuotaEntity
from tests.conftest import error_keys as errors
from tests.conftest import load_files as load


def test_entities_are_named_like_the_other_kinds_and_values_read_units(tmp_path: Path) -> None:
    desired, problems = load(
        tmp_path,
        {
            "quotas/a.yaml": """\
                quotas:
                  - user: order-service
                    producer_byte_rate: 10MiB
                    consumer_byte_rate: 20971520
                    request_percentage: 50
                    controller_mutation_rate: 2.5
                  - user: default
                    producer_byte_rate: 5MiB
                  - user: order-service
                    client_id: web
                    consumer_byte_rate: 500KB
                  - client_id: default
                    request_percentage: 10
                  - ip: 10.0.0.1
                    connection_creation_rate: 20
                  - ip: default
                    connection_creation_rate: 100
                  - ip: "::1"
                    connection_creation_rate: 5
                """
        },
    )
    assert problems == []
    by_entity = {spec.entity: spec for spec in desired.items["quotas"]}
    assert [str(e) for e in by_entity] == [
        "user=order-service", "user=<default>", "user=order-service, client-id=prod.web", "client-id=<default>",
        "ip=10.0.0.1", "ip=<default>", "ip=::1",
    ]
    order = by_entity[QuotaEntity.of({"user": "order-service"})]
    assert order.values == {
        "producer_byte_rate": 10485760.0, "consumer_byte_rate": 20971520.0, "request_percentage": 50.0,
        "controller_mutation_rate": 2.5,
    }
    assert str(order.source) == "quotas/a.yaml:2"
    assert by_entity[QuotaEntity.of({"user": "order-service", "client-id": "prod.web"})].values == {
        "consumer_byte_rate": 500_000.0
    }


def test_every_bad_entry_is_reported_with_its_line_and_key(tmp_path: Path) -> None:
    desired, problems = load(
        tmp_path,
        {
            "quotas/a.yaml": """\
                quotas:
                  - user: svc
                    producer_byte_rate: -5
                  - user: svc2
                    consumer_byte_rate: lots
                  - user: svc3
                    producer_byte_rate: 1.5
                  - user: svc4
                    request_percentage: 0
                  - ip: 10.0.0.0/24
                    connection_creation_rate: 5
                  - ip: 10.0.0.1
                    user: svc5
                    connection_creation_rate: 5
                  - ip: 10.0.0.2
                    producer_byte_rate: 5
                  - user: svc6
                    connection_creation_rate: 5
                  - producer_byte_rate: 5
                  - user: svc7
                  - user: "bad name"
                    producer_byte_rate: 5
                  - ip: 10.0.0.3
                    connection_creation_rate: 2.5
                  - user: svc8
                    producer_byte_rate: 99999999999999999999
                  - user: svc9
                    colour: blue
                    producer_byte_rate: 5
                """
        },
    )
    assert desired.items["quotas"] == ()
    assert errors(problems) == [
        ("quotas/a.yaml", 3, "quotas[0].producer_byte_rate"),
        ("quotas/a.yaml", 5, "quotas[1].consumer_byte_rate"),
        ("quotas/a.yaml", 7, "quotas[2].producer_byte_rate"),
        ("quotas/a.yaml", 9, "quotas[3].request_percentage"),
        ("quotas/a.yaml", 10, "quotas[4].ip"),
        ("quotas/a.yaml", 12, "quotas[5].ip"),
        ("quotas/a.yaml", 16, "quotas[6].producer_byte_rate"),
        ("quotas/a.yaml", 18, "quotas[7].connection_creation_rate"),
        ("quotas/a.yaml", 19, "quotas[8]"),
        ("quotas/a.yaml", 20, "quotas[9]"),
        ("quotas/a.yaml", 21, "quotas[10].user"),
        ("quotas/a.yaml", 24, "quotas[11].connection_creation_rate"),
        ("quotas/a.yaml", 26, "quotas[12].producer_byte_rate"),
        ("quotas/a.yaml", 27, "quotas[13]"),
    ]
    text = {p.key: p.message for p in problems}
    assert "greater than 0" in text["quotas[0].producer_byte_rate"]
    assert "'lots' is not a rate" in text["quotas[1].consumer_byte_rate"]
    assert "whole number" in text["quotas[2].producer_byte_rate"]
    assert "no ranges or host names" in text["quotas[4].ip"]
    assert "stands alone" in text["quotas[5].ip"]
    assert "not a quota of an ip entity" in text["quotas[6].producer_byte_rate"]
    assert "needs an entity" in text["quotas[8]"]
    assert "declares no quota" in text["quotas[9]"]
    assert "colour" in text["quotas[13]"]


def test_an_entity_declared_twice_names_the_first_place(tmp_path: Path) -> None:
    _, problems = load(
        tmp_path,
        {
            "quotas/a.yaml": "quotas:\n  - {user: svc, producer_byte_rate: 5}\n",
            "quotas/b.yaml": "quotas:\n  - {user: svc, consumer_byte_rate: 5}\n",
        },
    )
    (problem,) = problems
    assert (problem.file, problem.line, problem.key) == ("quotas/b.yaml", 2, "quotas[0]")
    assert "first at quotas/a.yaml:2" in problem.message


def test_a_quota_on_a_user_users_does_not_declare_is_a_warning_when_users_are_managed(tmp_path: Path) -> None:
    quotas = "quotas:\n  - {user: order-servcie, producer_byte_rate: 5}\n  - {user: default, producer_byte_rate: 5}\n"
    _, problems = load(tmp_path, {"quotas/a.yaml": quotas})
    assert problems == []  # no users/ folder: users are managed elsewhere
    _, problems = load(tmp_path, {"users/a.yaml": "users:\n  - name: order-service\n    password: ${X}\n"})
    (problem,) = problems
    assert problem.severity is Severity.WARNING
    assert (problem.file, problem.line, problem.key) == ("quotas/a.yaml", 2, "user")
    assert "'order-servcie' is not declared in users/" in problem.message
