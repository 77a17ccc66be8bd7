"""Issue #8's scale target in one plan: 10,000 topics and 10,000 ACLs on the SASL/ACL node.

    .venv/bin/python benchmarks/combined_bench.py [--topics 10000] [--acls 10000]

Topics are applied through mqctl (1 partition, RF 1); the ACLs are created out of band for a
principal the specs do not declare, on names under the environment's prefix, so all of them are in
the managed scope (planned for deletion). One plan then runs in a fresh process (scale.py's child),
reporting wall time, admin requests and peak RSS. Everything is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import uuid
from pathlib import Path

from acls_bench import CONFIG, SASL_BOOTSTRAP, SPEC, delete_bindings, out_of_band_bindings, sasl_admin
from scale import apply, clean, measure_plan, settled_plan, steady_plans, write_project

# The ACL benchmark's environment, plus room for deleting everything afterwards.
POLICY = "    timeout_seconds: 60\n    policy: {max_deletes: 1000000, max_delete_fraction: 1.0}\n"


def configure(root: Path, env: str) -> None:
    (root / "mqctl.yaml").write_text(CONFIG.format(env=env, bootstrap=SASL_BOOTSTRAP) + POLICY)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--acls", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("KAFKA_ADMIN_PASSWORD", "admin-secret")
    env = "bench" + uuid.uuid4().hex[:8]
    admin = sasl_admin()
    created = out_of_band_bindings(env, args.acls)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_project(root, env, args.topics)
        configure(root, env)
        try:
            apply(root, env)
            settled_plan(root, env, args.topics)
            for future in admin.create_acls(created, request_timeout=120).values():
                future.result(timeout=180)
            (root / "acls").mkdir()
            (root / "acls" / "bench.yaml").write_text(SPEC)
            first = measure_plan(root, env)
            quiet = steady_plans(root, env)
            seconds = ", ".join(f"{float(p['seconds']):.2f}" for p in quiet)  # type: ignore[arg-type]
            print(f"| {args.topics:,} topics + {args.acls:,} ACLs | first plan {float(first['seconds']):.2f} s "  # type: ignore[arg-type]
                  f"| once quiet {seconds} s | {first['requests']} requests "
                  f"| {max(float(p['peak_mib']) for p in quiet):.0f} MiB peak RSS | {first['changes']} changes |")  # type: ignore[arg-type]  # fmt: skip
        finally:
            delete_bindings(admin, created)
            (root / "acls" / "bench.yaml").unlink(missing_ok=True)
            clean(root, env)


if __name__ == "__main__":
    main()
