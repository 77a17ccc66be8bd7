"""Benchmark hook: the admin requests a plan costs do not grow with the number of ACLs.

`plan_requests(n)` creates n bindings out of band on the local SASL node under a throwaway
environment prefix, plans a project whose acls/ declares one binding (so all n are in scope and
planned for deletion), reports the plan's admin request count, and removes the n bindings again.

    .venv/bin/python benchmarks/acls_bench.py 10 1000
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

from mqctl.config import load_config
from mqctl.edges import Edges
from mqctl.spec.loader import load_specs
from mqctl.workflows.plan import plan_environment

SASL_BOOTSTRAP = os.environ.get("MQCTL_TEST_SASL_BOOTSTRAP", "127.0.0.1:49092")
CONFIG = """\
environments:
  {env}:
    bootstrap_servers: {bootstrap}
    security:
      protocol: SASL_PLAINTEXT
      sasl_mechanism: SCRAM-SHA-512
      username: admin
      password: ${{KAFKA_ADMIN_PASSWORD}}
"""
SPEC = "acls:\n  - principal: User:bench\n    role: producer\n    topics: [bench.declared.v1]\n"


def sasl_admin() -> AdminClient:
    return AdminClient(
        {
            "bootstrap.servers": SASL_BOOTSTRAP,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": "admin",
            "sasl.password": os.environ.setdefault("KAFKA_ADMIN_PASSWORD", "admin-secret"),
        }
    )


def out_of_band_bindings(env: str, n: int) -> list[AclBinding]:
    return [
        AclBinding(
            ResourceType.TOPIC,
            f"{env}.bench.t{i}.v1",
            ResourcePatternType.LITERAL,
            "User:bench-out-of-band",
            "*",
            AclOperation.READ,
            AclPermissionType.ALLOW,
        )
        for i in range(n)
    ]


def plan_requests(n: int) -> tuple[int, int, float]:
    """(admin requests of one plan, changes planned, plan seconds) with n out-of-band bindings in scope."""
    env = "b" + uuid.uuid4().hex[:10]
    admin = sasl_admin()
    created = out_of_band_bindings(env, n)
    for future in admin.create_acls(created, request_timeout=60).values():
        future.result(timeout=90)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "mqctl.yaml").write_text(CONFIG.format(env=env, bootstrap=SASL_BOOTSTRAP))
            (root / "acls").mkdir()
            (root / "acls" / "bench.yaml").write_text(SPEC)
            config = load_config(root, env)
            started = time.perf_counter()
            desired, _ = load_specs(config)
            result = plan_environment(desired, Edges(config.environment))
            return result.requests, len(result.plan.changes), time.perf_counter() - started
    finally:
        delete_bindings(admin, created)


def delete_bindings(admin: AdminClient, created: list[AclBinding]) -> None:
    filters = [
        AclBindingFilter(b.restype, b.name, b.resource_pattern_type, b.principal, b.host, b.operation,
                         b.permission_type)
        for b in created
    ]
    for future in admin.delete_acls(filters, request_timeout=120).values():
        future.result(timeout=180)


def main(sizes: list[int]) -> None:
    for n in sizes:
        requests, changes, seconds = plan_requests(n)
        print(f"ACLs in scope: {n:>6}  plan changes: {changes:>6}  admin requests: {requests}  plan: {seconds:.2f} s")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 1000, 10000])
