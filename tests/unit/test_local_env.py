"""The repository's own demo setup: local.env defines every secret the example specs and mqctl.yaml
read (so `make demo` and README's "Using it" never stop on an unset variable), the Makefile exports
it (a variable already in the environment wins), and `make cluster-status` on a stopped cluster is
an answer, not a make error."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT

VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def local_env_names() -> set[str]:
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (REPO_ROOT / "local.env").read_text(), re.M))


def test_local_env_defines_every_variable_the_example_specs_read() -> None:
    files = [REPO_ROOT / "mqctl.yaml", *(p for d in ("topics", "users", "acls", "schemas", "brokers", "connectors")
                                    for p in (REPO_ROOT / d).rglob("*.yaml"))]
    wanted = {name for path in files for name in VARIABLE.findall(path.read_text())}
    assert wanted, "the example specs read no variable: this test checks nothing"
    assert wanted <= local_env_names(), wanted - local_env_names()


def test_the_makefile_exports_local_env_and_the_environment_wins() -> None:
    probe = "\n".join(f"\t@echo {name}=$${name}" for name in sorted(local_env_names()))
    makefile = (REPO_ROOT / "Makefile").read_text() + f"\nprint-local-env:\n{probe}\n"
    env = {k: v for k, v in os.environ.items() if k not in local_env_names()} | {"ORDER_SERVICE_PASSWORD": "mine"}
    shown = subprocess.run(["make", "-s", "-f", "-", "print-local-env"], input=makefile, cwd=REPO_ROOT, env=env,
                           capture_output=True, text=True, check=True).stdout
    values = dict(line.split("=", 1) for line in shown.splitlines())
    assert values["ORDER_SERVICE_PASSWORD"] == "mine"
    assert values["KAFKA_ADMIN_PASSWORD"] == "admin-secret" and set(values) == local_env_names()


def test_cluster_status_of_a_stopped_cluster_is_not_a_make_error(tmp_path: Path) -> None:
    env = {**os.environ, "MQCTL_CLUSTER_DIR": str(tmp_path)}
    done = subprocess.run(["make", "-s", "cluster-status"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "local cluster is not running" in done.stdout + done.stderr
    assert "Error" not in done.stderr
