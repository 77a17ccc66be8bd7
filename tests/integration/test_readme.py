"""README.md as a new user follows it: `make demo`'s steps (scripts/demo.sh), then every command of
"Using it" exactly as written, against the real local cluster.

They run on a copy of this repository's project whose environments are renamed for the test, so
the test never touches what `make demo` or another test made: `dev` and `secure` get names unique to
the test, the SCRAM users and the principals of the ACLs get its prefix, brokers/ is left out
(broker config is cluster-wide, shared by every test) and so is connectors/ (MirrorMaker 2 on the
shared worker is proven by tests/kinds/connectors/test_mirror.py). Every replaced text must be
there, so neither the example nor the README can drift from what is proven. The "Using it" lines
run in one bash process without mqctl on PATH and without the passwords in the environment: the
README's own `source .venv/bin/activate` and `local.env` lines must provide them. Everything the
test creates (topics, users, ACLs, subjects, on both clusters) is deleted afterwards.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    REPO_ROOT,
    TLS_DIR,
    all_acls,
    delete_acls,
    delete_prefixed,
    local_env,
    purge_subjects,
    readme_block,
    run_lines,
    unique_env,
)

pytestmark = [pytest.mark.kafka, pytest.mark.sasl, pytest.mark.registry]

COPIED = ["mqctl.yaml", "local.env", "topics", "users", "acls", "schemas", "policies"]
DEMO_LINES_MAX = 40  # "a demo a person reads in a minute"
SHARED_CLUSTER_TRIES = 3


@dataclass
class Copy:
    root: Path
    dev: str  # stands for `dev`
    secure: str  # stands for `secure`


def _replace(path: Path, replacements: list[tuple[str, str]]) -> None:
    text = path.read_text()
    for pattern, new in replacements:
        text, count = re.subn(pattern, new, text, flags=re.M)
        assert count, f"{path.name} no longer holds {pattern!r}: update this test with the example"
    path.write_text(text)


def _delete_users(admin: Any, prefix: str) -> None:
    from confluent_kafka.admin import ScramMechanism, UserScramCredentialDeletion

    users = [u for u in admin.describe_user_scram_credentials().result(timeout=15) if u.startswith(prefix)]
    if users:
        deletions = [UserScramCredentialDeletion(u, ScramMechanism.SCRAM_SHA_512) for u in users]
        for future in admin.alter_user_scram_credentials(deletions).values():
            with contextlib.suppress(Exception):
                future.result()


def _refused_for_others(copy: Copy, line: str, code: int, output: str) -> bool:
    """A saved plan refused because of what other tests did on the shared cluster meanwhile (a broker
    stopped, their users, not this test's resources): right behaviour, and no fault of the README's
    commands; in CI nothing else runs. Anything about the test's own resources still fails."""
    if code != 1 or "plan.json" not in line or not output.startswith("error: refusing to apply plan.json"):
        return False
    changes = [row for row in output.splitlines() if row.startswith("  - ")]
    return bool(changes) and not any(copy.dev in row for row in changes)


@pytest.fixture
def copy(tmp_path: Path, dev_admin: Any, sasl_admin: Any, registry: Any) -> Iterator[Copy]:
    dev = unique_env()
    made = Copy(tmp_path / "project", dev, f"{dev}s")
    made.root.mkdir()
    for name in COPIED:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, made.root / name)
        else:
            shutil.copy(source, made.root / name)
    (made.root / ".venv").symlink_to(Path(sys.prefix))  # what `make install` made in the checkout
    (made.root / ".local-cluster").symlink_to(TLS_DIR.parent)  # tls and oauth read their certificates there
    _replace(made.root / "mqctl.yaml", [(r"^  dev:$", f"  {dev}:"), (r"^  secure:$", f"  {made.secure}:"),
                                        (r'"dev\.\*"', f'"{dev}.*"')])
    _replace(made.root / "policies" / "design.yaml", [(r"\[dev\]", f"[{dev}]"), (r"\[secure\]", f"[{made.secure}]")])
    _replace(made.root / "acls" / "mirror.yaml", [(r"name: dev\.$", f"name: {dev}.")])
    _replace(made.root / "users" / "services.yaml", [(r"^  - name: ", f"  - name: {dev}-")])
    for acls in (made.root / "acls").glob("*.yaml"):
        _replace(acls, [(r"User:", f"User:{dev}-")])
    yield made
    for admin in (dev_admin, sasl_admin):
        _delete_users(admin, f"{dev}-")
    delete_acls(sasl_admin, [b for b in all_acls(sasl_admin) if b.principal.startswith(f"User:{dev}-")])
    delete_prefixed(dev_admin, f"{dev}.")
    delete_prefixed(sasl_admin, f"{made.secure}.")
    for prefix in (f"{dev}.", f"{made.secure}."):
        purge_subjects(registry, prefix)


def test_the_demo_then_every_using_it_command_as_written(copy: Copy) -> None:
    passwords = local_env()
    demo = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "demo.sh"), copy.secure, copy.dev],
        cwd=copy.root, env={**os.environ, **passwords}, capture_output=True, text=True, timeout=600, check=False,
    )
    shown = demo.stdout + demo.stderr
    assert demo.returncode == 0, shown
    lines = shown.splitlines()
    assert len(lines) <= DEMO_LINES_MAX, shown
    assert lines[1].startswith("[1/5] mqctl validate") and "validate: OK" in lines[1]
    applied = [line for line in lines if re.match(r"\[\d/5\] mqctl apply", line)]
    assert [line.split()[4] for line in applied] == [copy.secure, copy.dev]  # secure first, then dev
    assert all("Apply complete:" in line and "0 failed" in line for line in applied), shown
    finals = [line for line in lines if re.match(r"\[[45]/5\] mqctl plan", line)]
    assert len(finals) == 2 and all("No changes." in line for line in finals), shown
    assert "mqctl will make these changes" not in shown  # the plans are in the logs, the terminal
    assert shown.count("  + topic ") >= 1  # shows the first lines of one of them
    assert shown.count("the cluster has no authorizer") == 1  # said once, not once per command
    assert (copy.root / ".demo" / "3-apply_env_" f"{copy.dev}_auto-approve.log").is_file()

    lines_run = readme_block("after-demo")
    assert any("--env dev" in line for line in lines_run)
    lines_run = [line.replace("--env dev", f"--env {copy.dev}").replace("'dev.*'", f"'{copy.dev}.*'")
                 for line in lines_run]
    bare = {k: v for k, v in os.environ.items() if k not in passwords and k != "VIRTUAL_ENV"}
    bare["PATH"] = os.pathsep.join(p for p in bare.get("PATH", "").split(os.pathsep)
                                   if Path(p).resolve() != Path(sys.prefix, "bin").resolve())
    for _ in range(SHARED_CLUSTER_TRIES):
        shutil.rmtree(copy.root / "adopted", ignore_errors=True)  # what a try before wrote: export refuses
        (copy.root / "plan.json").unlink(missing_ok=True)  # to overwrite, as it should
        results = run_lines(lines_run, copy.root, bare)
        if not any(_refused_for_others(copy, line, code, output) for line, code, output in results):
            break
    for line, code, output in results:
        assert code == (2 if "exits 2 here" in line else 0), f"{line}\n{output}"
        for password in passwords.values():
            assert password not in output, line
    outputs = {line.split("#")[0].strip(): output for line, _, output in results}
    assert f"No changes. Environment {copy.dev} matches the specs." in outputs[f"mqctl plan --env {copy.dev}"]
    assert '"format_version": 1' in outputs[f"mqctl plan --env {copy.dev} -o json"]
    fleet = outputs["mqctl plan --all-envs"]  # tls and oauth share secure's node and principals
    assert f"{copy.dev}: No changes." in fleet and f"{copy.secure}: No changes." in fleet, fleet
    assert re.search(r"^tls: Plan: \d+ to create, \d+ to update, 0 to delete\. \(exit 2\)$", fleet, re.M), fleet
    assert re.search(r"^oauth: Plan: \d+ to create, \d+ to update, 0 to delete\. \(exit 2\)$", fleet, re.M), fleet
    assert (copy.root / "plan.json").is_file() and any((copy.root / "adopted" / "topics").iterdir())
    assert outputs["mqctl template producer --profile durable"].count("acks=all") == 1
    calc = next(o for line, o in outputs.items() if line.startswith("mqctl partitions calc"))
    assert calc.rstrip().endswith("partitions       50")  # the design's example: max(50, 50)
