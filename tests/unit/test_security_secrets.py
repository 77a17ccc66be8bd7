"""Secrets never leave (issue 12, item 2): objects never show them, and the redaction layer catches
what slips through anyway.

Layer 1 checks the objects themselves with the redaction layer out of the way: making
`Secret.__repr__`/`__str__` return the value fails them (`test_the_object_checks_catch_a_leaky_secret`
makes that mutation and expects them to fail). Layer 2 (mqctl.redact) is the backstop through which
all output passes once `main` installed it; before this change there was no such layer, so every
layer-2 test fails on the previous code (no module), and so does the end-to-end test: the unreachable
message quotes `bootstrap_servers`.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import json
import logging
import os
import pprint
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from rich.console import Console
from rich.pretty import Pretty

from mqctl import redact
from mqctl.config import Environment, ProjectConfig, RegistryConfig, Secret, SecurityConfig, load_config
from mqctl.diagnostics import MqctlError

SECRET = "s3cr3t-Pa55w0rd-for-tests"
KEY_SECRET = "k3y-pa55phrase-for-tests"


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    """Each test starts and ends with no registered secret and the layer not installed."""
    redact.forget_all()
    yield
    redact.forget_all()


def holders() -> dict[str, object]:
    security = SecurityConfig("SASL_SSL", "SCRAM-SHA-512", "mqctl", Secret(SECRET), "/ca.pem", None, None,
                              Secret(KEY_SECRET))
    registry = RegistryConfig("https://registry:8081", "mqctl", Secret(SECRET))
    env = Environment("prod", "kafka:9092", 15, security, registry)
    return {
        "Secret": Secret(SECRET),
        "SecurityConfig": security,
        "RegistryConfig": registry,
        "Environment": env,
        "ProjectConfig": ProjectConfig(Path("/p"), env),
    }


def renderings(obj: object) -> dict[str, str]:
    """Every ordinary way an object becomes text."""
    out = io.StringIO()
    Console(file=out, width=200).print(Pretty(obj))
    return {
        "repr": repr(obj),
        "str": str(obj),
        "f-string": f"{obj}",
        "f-string !r": f"{obj!r}",
        "format": "{} {!r}".format(obj, obj),  # noqa: UP032 - tested as written
        "%": "%s %r" % (obj, obj),  # noqa: UP031 - the % form is what is being tested
        "pprint": pprint.pformat(obj),
        "rich": out.getvalue(),
        "json default=str": json.dumps(dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) else obj,  # type: ignore[arg-type]
                                       default=str),
        "exception": str(MqctlError(f"cannot use {obj}")),
        "exception repr": repr(ValueError(obj)),
        "traceback": "".join(traceback.format_exception(ValueError(obj))),
    }


def assert_never_shown(obj: object) -> None:
    for how, text in renderings(obj).items():
        assert SECRET not in text and KEY_SECRET not in text, f"{how} shows a secret: {text}"


@pytest.mark.parametrize("name", list(holders()))
def test_objects_holding_secrets_never_show_them(name: str) -> None:
    obj = holders()[name]
    assert redact.registered() > 0  # creating the Secrets registered them...
    redact.forget_all()  # ...but layer 1 is checked without the backstop
    assert_never_shown(obj)


@pytest.mark.parametrize("name", list(holders()))
def test_logging_objects_holding_secrets_never_shows_them(name: str) -> None:
    redact.forget_all()
    obj = holders()[name]
    redact.forget_all()
    stream = io.StringIO()
    logger = logging.getLogger(f"test.secrets.{name}")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        logger.warning("config %s / %r", obj, obj)
        try:
            raise RuntimeError(obj)
        except RuntimeError:
            logger.exception("failed with %s", obj)
    finally:
        logger.removeHandler(handler)
    assert SECRET not in stream.getvalue() and "RuntimeError" in stream.getvalue()


def test_the_object_checks_catch_a_leaky_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mutation check: if Secret's repr/str returned the value, the tests above would fail."""
    monkeypatch.setattr(Secret, "__repr__", lambda self: self.reveal())
    monkeypatch.setattr(Secret, "__str__", lambda self: self.reveal())
    for obj in holders().values():
        redact.forget_all()
        with pytest.raises(AssertionError, match="shows a secret"):
            assert_never_shown(obj)


def test_secrets_from_the_config_are_registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both environments' variables, and the literal password, even though only dev is loaded."""
    monkeypatch.setenv("MQCTL_T_DEV_PW", "dev-password-value")
    monkeypatch.setenv("MQCTL_T_PROD_PW", "prod-password-value")
    (tmp_path / "mqctl.yaml").write_text(
        "environments:\n"
        "  dev:\n    bootstrap_servers: k:9092\n"
        "    security: {protocol: SASL_SSL, sasl_mechanism: PLAIN, username: u, password: '${MQCTL_T_DEV_PW}'}\n"
        "  prod:\n    bootstrap_servers: k:9092\n"
        "    security: {protocol: SASL_SSL, sasl_mechanism: PLAIN, username: u, password: '${MQCTL_T_PROD_PW}'}\n"
        "    schema_registry: {url: 'https://r', password: literal-registry-password}\n"
    )
    load_config(tmp_path, "dev")
    text = redact.redact("dev-password-value prod-password-value literal-registry-password")
    assert text == "*** *** ***"


# --- layer 2: the backstop ------------------------------------------------------------------------

@contextmanager
def capturing() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """sys.stdout/sys.stderr replaced by buffers, then the layer installed on top of them. A context
    manager, not a fixture: pytest puts its own capture back on sys.stdout when the test body starts."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    undo = redact.install()
    try:
        yield out, err
    finally:
        undo()
        sys.stdout, sys.stderr = saved


class Leaky:
    """Some code that prints a secret raw, the bug the backstop exists for."""

    def __init__(self, secret: Secret) -> None:
        self.password = secret.reveal()

    def __repr__(self) -> str:
        return f"Leaky(password={self.password!r})"


def test_print_and_writes_are_redacted() -> None:
    with capturing() as (out, err):
        leaky = Leaky(Secret(SECRET))
        print("connecting with", leaky.password)
        print(f"state: {leaky!r}", file=sys.stderr)
        sys.stdout.writelines([f"again {SECRET}\n"])
        assert SECRET not in out.getvalue() + err.getvalue()
        assert "connecting with ***" in out.getvalue() and "Leaky(password='***')" in err.getvalue()


@pytest.mark.parametrize("secret", ['pa"ss\\word-1', "päss wörd/+?&", "tab\there-123"])
def test_escaped_forms_are_redacted_too(secret: str) -> None:
    with capturing() as (out, _err):
        Secret(secret)
        from urllib.parse import quote, quote_plus

        print(json.dumps({"password": secret}), repr(secret), quote(secret, safe=""), quote_plus(secret))
        assert secret not in out.getvalue() and json.dumps(secret) not in out.getvalue()
        assert out.getvalue().count("***") == 4


def test_rich_consoles_of_the_cli_are_redacted() -> None:
    with capturing() as (out, _err):
        from mqctl.cli.common import console

        Secret(SECRET)
        console().print(f"[bold]{SECRET}[/bold]")
        console(stderr=True).print(SECRET)
        assert SECRET not in out.getvalue() and "***" in out.getvalue()


def test_console_redacts_even_without_install() -> None:
    """Tests and library users call commands without `main`: console() wraps the stream itself."""
    from mqctl.cli.common import console

    Secret(SECRET)
    buffer = io.StringIO()
    saved = sys.stdout
    sys.stdout = buffer
    try:
        console().print(SECRET)
    finally:
        sys.stdout = saved
    assert buffer.getvalue().strip() == "***"


def test_binary_writes_are_redacted() -> None:
    with capturing():
        raw = io.BytesIO()
        sys.stdout = redact.wrap(io.TextIOWrapper(raw, encoding="utf-8", write_through=True))  # type: ignore[assignment]
        Secret(SECRET)
        sys.stdout.buffer.write(f"bytes {SECRET}\n".encode())
        assert raw.getvalue() == b"bytes ***\n"


def test_log_records_are_redacted_even_for_handlers_holding_the_original_stream() -> None:
    with capturing():
        stream = io.StringIO()  # a handler made before install(), writing to a stream of its own
        logger = logging.getLogger("test.secrets.backstop")
        handler = logging.StreamHandler(stream)
        logger.addHandler(handler)
        Secret(SECRET)
        try:
            logger.error("login failed for %s", SECRET)
            try:
                raise ConnectionError(f"sasl.password={SECRET} refused")
            except ConnectionError:
                logger.exception("connect")
            logger.warning("stack", stack_info=True, extra={"x": SECRET})
        finally:
            logger.removeHandler(handler)
        assert SECRET not in stream.getvalue()
        assert "login failed for ***" in stream.getvalue() and "sasl.password=*** refused" in stream.getvalue()


def test_log_records_are_redacted_when_logging_loads_after_install() -> None:
    """Most commands never load `logging`: install() then puts the record factory in the moment
    something first imports it, and leaves the import system as it was. The handler writes to a
    stream of its own, which only the record factory redacts."""
    probe = (
        "import io, sys\n"
        "from mqctl import redact\n"
        "from mqctl.config import Secret\n"
        "redact.install()\n"
        "assert 'logging' not in sys.modules\n"
        f"Secret({SECRET!r})\n"
        "import logging\n"
        "stream = io.StringIO()\n"
        "logging.getLogger('late').addHandler(logging.StreamHandler(stream))\n"
        f"logging.getLogger('late').error('login failed for %s', {SECRET!r})\n"
        "sys.__stdout__.write(repr((stream.getvalue(), [type(f).__name__ for f in sys.meta_path])))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    logged, finders = ast.literal_eval(done.stdout)
    assert logged == "login failed for ***\n", done.stderr
    assert "_AfterImport" not in finders


def test_uncaught_exceptions_are_printed_redacted() -> None:
    with capturing() as (_out, err):
        Secret(SECRET)
        try:
            raise RuntimeError(f"config was {{'sasl.password': '{SECRET}'}}")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
        assert SECRET not in err.getvalue() and "RuntimeError: config was {'sasl.password': '***'}" in err.getvalue()


def test_exceptions_in_threads_are_printed_redacted() -> None:
    with capturing() as (_out, err):
        Secret(SECRET)

        def boom() -> None:
            raise ValueError(SECRET)

        thread = threading.Thread(target=boom, name="reader")
        thread.start()
        thread.join()
        assert SECRET not in err.getvalue() and "Exception in thread reader" in err.getvalue()
        assert "ValueError: ***" in err.getvalue()


def test_secret_looking_environment_variables_are_registered() -> None:
    redact.register_environment([("ORDER_SERVICE_PASSWORD", "order-service-local"), ("GITHUB_TOKEN", "ghs_abcdef"),
                                 ("HOME", "/root/home-dir"), ("USE_TOKEN_X", "enabled-value"), ("X_TOKEN", "short")])
    assert redact.redact("order-service-local ghs_abcdef /root/home-dir enabled-value short") == (
        "*** *** /root/home-dir enabled-value short"
    )


def test_short_values_are_not_redacted() -> None:
    Secret("abc")
    assert redact.redact("abc abcd") == "abc abcd"


def test_a_secret_containing_another_is_masked_whole() -> None:
    Secret("hunter2")
    Secret("hunter2-and-more")
    assert redact.redact("x hunter2-and-more y hunter2") == "x *** y ***"


def run_cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mqctl", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120, check=False)


def test_end_to_end_a_secret_printed_raw_by_mqctl_is_masked(tmp_path: Path) -> None:
    """The password variable is also (mis)used in bootstrap_servers; the unreachable-cluster error
    quotes bootstrap_servers raw, and the backstop masks it in the real CLI's output."""
    secret = "e2e-unique-secret-4711"
    (tmp_path / "mqctl.yaml").write_text(
        "environments:\n  e2e:\n    bootstrap_servers: '127.0.0.1:1,${MQCTL_E2E_PW}:1'\n    timeout_seconds: 1\n"
        "    security: {protocol: SASL_PLAINTEXT, sasl_mechanism: PLAIN, username: u, password: '${MQCTL_E2E_PW}'}\n"
    )
    (tmp_path / "topics").mkdir()
    (tmp_path / "topics" / "a.yaml").write_text("topics:\n  - {name: a.b.v1, partitions: 1, replication_factor: 1}\n")
    for output in ("text", "json", "markdown"):
        result = run_cli(["plan", "--env", "e2e", "-o", output], tmp_path, {"MQCTL_E2E_PW": secret})
        assert result.returncode == 1, result.stdout + result.stderr
        assert secret not in result.stdout + result.stderr
        assert "***" in result.stdout + result.stderr


def test_end_to_end_an_internal_error_is_one_redacted_paragraph(tmp_path: Path) -> None:
    """A bug (here: a broken spec loader forced by a sitecustomize) never prints a traceback."""
    (tmp_path / "sitecustomize.py").write_text(
        "import mqctl.spec.loader as l\n"
        "def boom(*a, **k):\n    raise KeyError('internal ' + __import__('os').environ['MQCTL_X_PASSWORD'])\n"
        "l.load_specs = boom\nimport mqctl.cli.specs as s\ns.load_specs = boom\n"
    )
    (tmp_path / "mqctl.yaml").write_text("environments:\n  dev:\n    bootstrap_servers: 127.0.0.1:1\n")
    env = {"PYTHONPATH": str(tmp_path), "MQCTL_X_PASSWORD": "internal-secret-99"}
    result = run_cli(["validate"], tmp_path, env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "internal error (KeyError" in result.stderr
    assert "internal-secret-99" not in result.stderr and "***" in result.stderr
