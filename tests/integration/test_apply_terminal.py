"""`mqctl apply` at a real terminal: the installed command runs in a pseudo-terminal (so its stdin is
a TTY and it asks), and the test types the answer, as a person would."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import time

import pytest
from confluent_kafka.admin import AdminClient

from tests.conftest import MQCTL, Project, readable

pytestmark = pytest.mark.kafka

PROMPT = "Apply these changes? [y/N]: "
SPEC = "topics:\n  - {name: order.created.v1, partitions: 1, replication_factor: 1}\n"


def at_a_terminal(project: Project, answer: str, *args: str, seconds: float = 120) -> tuple[int, str]:
    """Run `mqctl *args` from the project root with a pseudo-terminal as stdin, stdout and stderr;
    type `answer` once the prompt shows. Returns the exit code and everything the terminal showed
    (escape sequences and carriage returns removed)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(MQCTL), *args], cwd=project.root, stdin=terminal, stdout=terminal, stderr=terminal,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}, start_new_session=True,
    )  # fmt: skip
    os.close(terminal)
    shown, answered = b"", False
    deadline = time.monotonic() + seconds
    try:
        while True:
            assert time.monotonic() < deadline, f"mqctl still running after {seconds} s:\n{shown.decode()}"
            ready = readable(controller, 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: mqctl exited and the terminal closed
                break
            if not chunk:
                break
            shown += chunk
            if not answered and PROMPT.encode() in shown:
                os.write(controller, answer.encode())
                answered = True
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.decode()).replace("\r", "")
    return code, text


def topics(admin: AdminClient, env: str) -> set[str]:
    return {t for t in admin.list_topics(timeout=10).topics if t.startswith(env + ".")}


def test_answering_no_at_the_prompt_applies_nothing(project: Project, dev_admin: AdminClient) -> None:
    project.write("topics/a.yaml", SPEC)
    code, shown = at_a_terminal(project, "n\n", "apply", "--env", project.env)
    assert code == 1, shown
    assert shown.index(f"+ topic {project.env}.order.created.v1") < shown.index("Plan: 1 to create") < shown.index(
        PROMPT
    )  # the plan is shown before the question
    assert "Apply cancelled; nothing was changed." in shown
    assert "created topic" not in shown
    assert topics(dev_admin, project.env) == set()
    assert project.run("lock", "status", "--env", project.env).exit_code == 0  # released

    # the same prompt answered yes applies the plan: the refusal above was the answer's doing
    code, shown = at_a_terminal(project, "y\n", "apply", "--env", project.env)
    assert code == 0, shown
    assert f"✓ created topic {project.env}.order.created.v1" in shown
    assert "Apply complete: 1 done, 0 failed." in shown
    assert topics(dev_admin, project.env) == {f"{project.env}.order.created.v1"}


def test_the_prompt_defaults_to_no(project: Project, dev_admin: AdminClient) -> None:
    project.write("topics/a.yaml", SPEC)
    code, shown = at_a_terminal(project, "\n", "apply", "--env", project.env)  # just Enter
    assert code == 1, shown
    assert "Apply cancelled; nothing was changed." in shown
    assert topics(dev_admin, project.env) == set()
