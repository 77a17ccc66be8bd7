"""mqctl.yaml mistakes are clear errors naming the key, never tracebacks nor echoed credentials
(issue 12, items 2, 3, 6, 8 and 10 where config.py sees them). All fail on the previous config.py:
URLs with credentials or bad ports were accepted, `timeout_seconds: 0.5`/`.nan` passed, a missing CA
file surfaced only as a librdkafka error on connect, an empty file gave "None is not of type 'object'",
and the naming rule was compiled with `re` (no RE2, no ProjectConfig.naming)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from mqctl import redact
from mqctl.cli import app
from mqctl.config import (
    ConnectConfig,
    Environment,
    ProjectConfig,
    RegistryConfig,
    load_config,
    server_verification,
    unknown_environments,
)
from mqctl.connect import ConnectClient
from mqctl.diagnostics import MqctlError
from mqctl.registry import _http_client, client_config


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    redact.forget_all()
    yield
    redact.forget_all()


def write_config(root: Path, env_body: str, extra: str = "") -> None:
    body = "".join(f"    {line}\n" for line in env_body.strip("\n").splitlines())
    (root / "mqctl.yaml").write_text(f"environments:\n  prod:\n    bootstrap_servers: k:9092\n{body}{extra}")


def problems(root: Path, secrets: bool = True) -> list[str]:
    with pytest.raises(MqctlError) as caught:
        load_config(root, "prod", secrets=secrets)
    return [str(d) for d in caught.value.diagnostics] or [caught.value.message]


@pytest.mark.parametrize(
    "url",
    ["https://mqctl:hunter2-registry@registry:8081", "https://mqctl@registry", "http://${REG_USER}:${REG_PW}@registry"],
)
def test_credentials_in_the_registry_url_are_refused_and_never_echoed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("REG_USER", "mqctl")
    monkeypatch.setenv("REG_PW", "hunter2-registry")
    write_config(tmp_path, f"schema_registry:\n  url: '{url}'")
    [problem] = problems(tmp_path)
    assert problem.startswith("mqctl.yaml:5: environments.prod.schema_registry.url: credentials inside the url")
    assert "schema_registry.username" in problem and "schema_registry.password" in problem
    assert "hunter2" not in problem and "registry:8081" not in problem and "mqctl@" not in problem


def test_a_url_password_is_refused_in_validate_too(tmp_path: Path) -> None:
    write_config(tmp_path, "schema_registry: {url: 'https://u:p4ssw0rd-x@registry'}")
    assert "credentials inside the url" in problems(tmp_path, secrets=False)[0]
    assert redact.redact("p4ssw0rd-x") == "***"  # and registered, should anything print it anyway


@pytest.mark.parametrize("url", ["http://h:99999", "http://h:abc", "http://h:0", "https://h:-1"])
def test_a_bad_port_is_a_clear_error(tmp_path: Path, url: str) -> None:
    write_config(tmp_path, f"schema_registry: {{url: '{url}'}}")
    [problem] = problems(tmp_path)
    assert "environments.prod.schema_registry.url: the url's port must be a number from 1 to 65535" in problem


@pytest.mark.parametrize(("url", "reason"), [("ftp://h", "http:// or https://"), ("registry:8081", "http://"),
                                             ("https://", "no host name")])
def test_other_bad_urls_are_clear_errors(tmp_path: Path, url: str, reason: str) -> None:
    write_config(tmp_path, f"schema_registry: {{url: '{url}'}}")
    assert any(reason in p for p in problems(tmp_path))


def test_a_good_url_with_a_port_is_accepted(tmp_path: Path) -> None:
    write_config(tmp_path, "schema_registry: {url: 'https://[::1]:8081/apis/ccompat/v7'}")
    env = load_config(tmp_path, "prod").environment
    assert env.schema_registry is not None and env.schema_registry.url.endswith("/v7")


@pytest.mark.parametrize(
    ("url", "ca", "verified_by"),
    [
        ("https://registry:8081", None, True),  # the system's trust store
        ("https://registry:8081", "/etc/ca.pem", "/etc/ca.pem"),
        ("HTTPS://registry:8081", None, True),
        ("http://a:8081,https://b:8081", None, True),  # one TLS endpoint in the list is enough
        ("http://registry:8081", "/etc/ca.pem", False),  # no TLS at all: nothing to verify
        ("http://a:8081, http://b:8081", None, False),
    ],
)
def test_registry_and_connect_clients_verify_every_tls_server(
    url: str, ca: str | None, verified_by: str | bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert server_verification(url, ca) == verified_by
    env = Environment("prod", "127.0.0.1:1")
    registry = RegistryConfig(url, ssl_ca_location=ca)
    assert client_config(env, registry).get("ssl.ca.location", True) == verified_by  # absent: its default, verified
    made: list[object] = []  # what mqctl's own HTTP clients are built with (not built: the CA file is made up)
    monkeypatch.setattr(httpx, "Client", lambda **settings: made.append(settings["verify"]))
    _http_client(env, registry)
    if "," not in url:  # a worker has one URL
        ConnectClient(Environment("prod", "127.0.0.1:1", connect=ConnectConfig(url, ssl_ca_location=ca)))
    assert made == [verified_by] * (1 if "," in url else 2)


@pytest.mark.parametrize("value", ["0.5", "0", "-1", ".inf", ".nan", "601"])
def test_timeout_seconds_out_of_range_is_refused(tmp_path: Path, value: str) -> None:
    write_config(tmp_path, f"timeout_seconds: {value}")
    found = problems(tmp_path)
    assert any("environments.prod.timeout_seconds" in p for p in found), found


def test_a_missing_tls_file_is_named_at_config_load(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        "security: {protocol: SSL, ssl_ca_location: /nonexistent/ca.pem, ssl_certificate_location: " + str(tmp_path)
        + "}\nschema_registry: {url: 'https://r', ssl_key_location: /nonexistent/key.pem}",
    )
    found = problems(tmp_path)
    assert any("security.ssl_ca_location: /nonexistent/ca.pem: no such readable file" in p for p in found)
    assert any("security.ssl_certificate_location" in p and "no such readable file" in p for p in found)  # a directory
    assert any("schema_registry.ssl_key_location: /nonexistent/key.pem: no such readable file" in p for p in found)
    write_config(
        tmp_path,
        "security: {protocol: SSL, ssl_ca_location: /nonexistent/ca.pem, ssl_certificate_location: /nonexistent/c.pem,"
        " ssl_key_location: /nonexistent/key.pem}",
    )
    load_config(tmp_path, "prod", secrets=False)  # validate runs offline: CI's certificates are not needed


def test_an_existing_tls_file_is_accepted_without_being_read(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not even a certificate")
    ca.chmod(0o000)  # never opened: existence is all that is checked (root may still read it; that is fine)
    write_config(tmp_path, f"security: {{protocol: SSL, ssl_ca_location: {ca}}}")
    assert load_config(tmp_path, "prod").environment.security.ssl_ca_location == str(ca)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_an_empty_config_is_a_clear_error(tmp_path: Path, text: str) -> None:
    (tmp_path / "mqctl.yaml").write_text(text)
    with pytest.raises(MqctlError, match=r"mqctl.yaml is empty; it needs `environments:`"):
        load_config(tmp_path, "prod")


def test_empty_config_through_the_cli_is_exit_1_with_one_message(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    (tmp_path / "mqctl.yaml").write_text("")
    result = CliRunner().invoke(app, ["validate", "--root", str(tmp_path)])
    assert result.exit_code == 1 and "mqctl.yaml is empty" in result.output


def test_naming_is_compiled_with_re2_and_keeps_named_groups(tmp_path: Path) -> None:
    write_config(tmp_path, "")
    config = load_config(tmp_path, "prod")
    match = config.naming.match("prod.order.created.v1")
    assert match is not None and match.group("env") == "prod" and match.group("domain") == "order"
    assert config.naming.match("prod.Order.v1") is None
    assert type(match).__module__.startswith("re2")  # matched by RE2 (compiled on this first use)


def test_a_backtracking_naming_pattern_cannot_hang_matching(tmp_path: Path) -> None:
    """`^(a|aa)+$` or `^([a-z]+\\.?)+$` backtrack exponentially in `re` on a name that just misses."""
    write_config(tmp_path, "", extra="naming:\n  pattern: '^([a-z0-9]+-?)+\\.v[0-9]+$'\n")
    config = load_config(tmp_path, "prod")
    name = "prod" + "a" * 240 + "!"
    started = time.perf_counter()
    assert config.naming.match(name) is None
    assert time.perf_counter() - started < 0.1


@pytest.mark.parametrize(("pattern", "reason"), [("^(?=x).*$", "invalid perl operator"), ("^(a)\\1$", "invalid escape"),
                                                 ("^(a", "missing )")])
def test_a_pattern_re2_cannot_match_is_refused_at_load(tmp_path: Path, pattern: str, reason: str) -> None:
    write_config(tmp_path, "", extra=f"naming:\n  pattern: '{pattern}'\n")
    [problem] = problems(tmp_path)
    assert problem.startswith("mqctl.yaml") and "naming.pattern" in problem and reason in problem


def test_unknown_environments_are_named_with_a_suggestion(tmp_path: Path) -> None:
    (tmp_path / "mqctl.yaml").write_text(
        "environments:\n  dev: {bootstrap_servers: a:1}\n  prod: {bootstrap_servers: a:1}\n"
    )
    config: ProjectConfig = load_config(tmp_path, "dev")
    assert config.environments == ("dev", "prod")
    assert config.unknown_environments(["dev", "prd", "stage", 3]) == [
        "'prd' is not an environment of mqctl.yaml (did you mean 'prod'?)",
        "'stage' is not an environment of mqctl.yaml (known: dev, prod)",
        "3 is not an environment of mqctl.yaml (known: dev, prod)",
    ]
    assert unknown_environments(["x\x1b[2K"], ["dev"]) == [
        "'x\\x1b[2K' is not an environment of mqctl.yaml (known: dev)"
    ]


def test_a_numeric_password_in_the_config_is_not_echoed(tmp_path: Path) -> None:
    write_config(tmp_path, "security: {protocol: SASL_SSL, sasl_mechanism: PLAIN, username: u, password: 73194862}")
    found = problems(tmp_path)
    assert found and all("73194862" not in p for p in found)
    assert any("security.password" in p and "not shown" in p for p in found)
