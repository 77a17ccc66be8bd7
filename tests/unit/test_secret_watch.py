"""The suite-wide secret watch (tests/conftest.py, issue 12) looks where it says it does: an inner
pytest session (its own process, tests/conftest.py as its plugin) plants a secret in each watched
output, and each of those tests fails naming the output, never showing the value; a test whose
outputs hold no secret passes."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.conftest import KEY_PASSWORD, REPO_ROOT, SecretWatch, local_env

INNER = '''
import logging, subprocess, sys

import pytest
from typer.testing import CliRunner

from mqctl import redact
from mqctl.cli import app

SECRET = {secret!r}


def test_cli_run(watch_secret):
    CliRunner().invoke(app, [watch_secret(SECRET)])  # "No such command '...'"


def test_subprocess(watch_secret):
    subprocess.run([sys.executable, "-m", "mqctl", watch_secret(SECRET)], capture_output=True, check=False)


def test_log_record(watch_secret):
    logging.getLogger("inner").warning("the token is %s", watch_secret(SECRET))


def test_stdout(watch_secret):
    print(watch_secret(SECRET))


def test_variable_named_secret(monkeypatch):
    monkeypatch.setenv("INNER_API_TOKEN", SECRET)
    print(SECRET)


def test_registered_with_redact():
    redact.register(SECRET)
    sys.stderr.write(SECRET)


@pytest.mark.parametrize("fixed", {fixed!r}, ids=["oauth", "key"])  # an id would show the value
def test_fixed(fixed):
    print(fixed)


def test_control(watch_secret):
    watch_secret(SECRET)
    assert CliRunner().invoke(app, ["--help"]).exit_code == 0
    assert subprocess.run([sys.executable, "-m", "mqctl", "--help"], capture_output=True, check=False).returncode == 0
    logging.getLogger("inner").warning("no secret here")
    print("the token is ***")
'''

# each inner test that plants a secret, and where its failure must say the secret showed
CAUGHT = {
    "test_cli_run": "CLI run ['***']",
    "test_subprocess": "'-m', 'mqctl', '***']",
    "test_log_record": "log record of inner",
    "test_stdout": "Captured stdout call",
    "test_variable_named_secret": "Captured stdout call",
    "test_registered_with_redact": "Captured stderr call",
    "test_fixed[oauth]": "Captured stdout call",
    "test_fixed[key]": "Captured stdout call",
}
FIXED = [local_env()["MQCTL_OAUTH_CLIENT_SECRET"], KEY_PASSWORD]  # local.env's OAuth secret, the TLS key's


def test_each_watched_output_is_caught_and_named_without_the_value(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"planted-{uuid.uuid4().hex[:12]}"
    pytester.makepyfile(test_inner=INNER.format(secret=secret, fixed=FIXED))
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))  # `-p tests.conftest` below
    # --show-capture=no: a failing test's captured output (the planted value) is not repeated
    result = pytester.runpytest_subprocess("-p", "tests.conftest", "-p", "no:cacheprovider", "--show-capture=no")
    output = result.stdout.str() + result.stderr.str()

    # 9 tests: the 8 of CAUGHT fail (each checked below), so the one that passes is test_control
    assert result.parseoutcomes() == {"failed": len(CAUGHT), "passed": 1}, output[-3000:]
    for name, where in CAUGHT.items():
        failure = re.search(rf"test_inner\.py::{re.escape(name)}: a test secret appeared in output \(call\):\n"
                            rf"((?:  - .*\n)+)", output)  # fmt: skip
        assert failure, f"{name} not failed by the watch:\n{output[-3000:]}"
        assert where in failure.group(1), f"{name}: {failure.group(1)!r} does not name {where!r}"
    assert secret not in output and not any(fixed in output for fixed in FIXED), "the watch showed a secret"


def test_a_subprocess_environment_names_its_secrets() -> None:
    """A value a test passes only in a subprocess's environment (a generated user's password) is
    watched in that subprocess's output."""
    watch = SecretWatch([])
    watch.check("logged in with pw-0123456789", "run", [("ORDERS_PASSWORD", "pw-0123456789")])
    watch.check("logged in with pw-0123456789", "run", [("ORDERS_USER", "pw-0123456789")])
    assert watch.take() == ["run: 1 test secret(s) in the output"]


def test_short_values_are_not_watched() -> None:
    """Values under 6 characters are not watched: a made-up secret such as "abcde" or "pw" would
    match ordinary text."""
    watch = SecretWatch(["abcde"])
    watch.learn("pw")
    watch.check("abcde pw", "run")
    assert watch.take() == [] and not {"abcde", "pw"} & watch.secrets()


def test_where_never_quotes_the_secret() -> None:
    watch = SecretWatch(["hunter2-long"])
    watch.check(b"oops hunter2-long", "CLI run ['--password', 'hunter2-long']")
    assert watch.take() == ["CLI run ['--password', '***']: 1 test secret(s) in the output"]
