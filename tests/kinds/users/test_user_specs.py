"""SCRAM user specs offline: defaults, password references, and every rule, each bad input naming
its file, line and key and never echoing a password."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import error_keys as errors
from tests.conftest import load_files as load


def test_users_are_built_with_defaults_and_password_references(tmp_path: Path) -> None:
    desired, problems = load(
        tmp_path,
        {
            "users/a.yaml": """\
                users:
                  - name: order-service
                    password: ${ORDER_SERVICE_PASSWORD}
                  - name: payment-service
                    password: ${PAYMENT_SERVICE_PASSWORD}
                    mechanisms: [SCRAM-SHA-512, SCRAM-SHA-256]
                    iterations: 4096
                    rotate: true
                """
        },
    )
    assert problems == []
    first, second = desired.items["users"]
    assert (first.name, first.password_var, first.mechanisms, first.iterations, first.rotate) == (
        "order-service", "ORDER_SERVICE_PASSWORD", ("SCRAM-SHA-512",), 8192, False
    )
    assert (second.mechanisms, second.iterations, second.rotate) == (("SCRAM-SHA-256", "SCRAM-SHA-512"), 4096, True)
    assert str(first.source) == "users/a.yaml:2"


def test_bad_users_are_reported_and_a_literal_password_is_never_echoed(tmp_path: Path) -> None:
    desired, problems = load(
        tmp_path,
        {
            "users/a.yaml": """\
                users:
                  - name: svc
                    password: correct-horse-battery
                  - name: svc2
                    password: ${OK}
                    iterations: 100
                  - name: "bad name"
                    password: ${OK}
                  - name: svc3
                    password: ${OK}
                    mechanisms: [PLAIN]
                  - name: svc4
                    password: 12345
                """,
            "users/b.yaml": "users:\n  - name: svc2\n    password: ${OTHER}\n",
        },
    )
    assert sorted(errors(problems)) == [
        ("users/a.yaml", 3, "users[0].password"),
        ("users/a.yaml", 6, "users[1].iterations"),
        ("users/a.yaml", 7, "users[2].name"),
        ("users/a.yaml", 11, "users[3].mechanisms[0]"),
        ("users/a.yaml", 13, "users[4].password"),
    ]
    assert all("correct-horse-battery" not in str(p) and "12345" not in str(p) for p in problems)
    assert [(u.name, u.password_var) for u in desired.items["users"]] == [("svc2", "OTHER")]  # a.yaml's was invalid


def test_duplicate_user_names_across_files(tmp_path: Path) -> None:
    desired, problems = load(
        tmp_path,
        {
            "users/a.yaml": "users:\n  - name: svc\n    password: ${A}\n",
            "users/b.yaml": "users:\n  - name: svc\n    password: ${B}\n",
        },
    )
    assert errors(problems) == [("users/b.yaml", 2, "users[0].name")]
    assert "first at users/a.yaml:2" in problems[0].message
    assert [u.password_var for u in desired.items["users"]] == ["A"]
