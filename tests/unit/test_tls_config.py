"""mqctl.yaml's TLS and OAuth settings: parsing, secrets, paths relative to the project root, the
checks of settings that only make sense together, missing files, and the warnings (offline)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mqctl.config import OAuthConfig, Secret, load_config
from mqctl.diagnostics import MqctlError
from tests.conftest import REPO_ROOT, Project, config_text, security_yaml


def write(root: Path, security: str, env: str = "prod") -> None:
    (root / "mqctl.yaml").write_text(config_text(env, "127.0.0.1:1", security))


def problems(root: Path, env: str = "prod", secrets: bool = True) -> list[str]:
    with pytest.raises(MqctlError) as caught:
        load_config(root, env, secrets)
    return [str(d) for d in caught.value.diagnostics] or [caught.value.message]


OAUTH = {"token_endpoint_url": "https://idp.example.com/oauth2/token", "client_id": "mqctl",
         "client_secret": "${MQCTL_TEST_CLIENT_SECRET}", "scope": "kafka"}  # fmt: skip


def test_oauth_settings_are_read_and_the_client_secret_is_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MQCTL_TEST_CLIENT_SECRET", "s3cr3t-client-value")
    oauth = OAUTH | {"extensions": {"logicalCluster": "lkc-123", "identityPoolId": "pool-9"}}
    write(tmp_path, security_yaml(protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER", oauth=oauth))
    security = load_config(tmp_path, "prod").environment.security
    assert security.oauth == OAuthConfig(
        "https://idp.example.com/oauth2/token", "mqctl", Secret("s3cr3t-client-value"), "kafka",
        (("identityPoolId", "pool-9"), ("logicalCluster", "lkc-123")),
    )
    assert security.oauth is not None and isinstance(security.oauth.client_secret, Secret)
    assert "s3cr3t-client-value" not in repr(security)
    assert security.tls and security.ssl_endpoint_identification and security.certificate_warning_days == 30


def test_an_unset_client_secret_variable_is_an_error_only_when_connecting(tmp_path: Path) -> None:
    write(tmp_path, security_yaml(protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER", oauth=OAUTH))
    found = problems(tmp_path)
    assert len(found) == 1
    assert "security.oauth.client_secret: environment variable MQCTL_TEST_CLIENT_SECRET is not set" in found[0]
    assert load_config(tmp_path, "prod", secrets=False).environment.security.oauth is not None


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        (security_yaml(protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER"),
         "security: sasl_mechanism OAUTHBEARER needs an oauth: section"),
        (security_yaml(protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER", username="u", password="p", oauth=OAUTH),
         "security: username and password are not used with OAUTHBEARER"),
        (security_yaml(protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", username="u", password="p", oauth=OAUTH),
         "security.oauth: only used with sasl_mechanism: OAUTHBEARER"),
        (security_yaml(protocol="SSL", ssl_certificate_location="client.crt"),
         "a client certificate needs both ssl_certificate_location and ssl_key_location"),
        (security_yaml(protocol="SSL", ssl_key_password="x"),
         "security.ssl_key_password: set, but there is no ssl_key_location"),
        (security_yaml(protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER", oauth=OAUTH | {"token_endpoint_url": "idp"}),
         "security.oauth.token_endpoint_url: must be an http:// or https:// URL"),
        (security_yaml(protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER", oauth=OAUTH | {"client_sceret": "x"}),
         "security.oauth: Additional properties are not allowed ('client_sceret' was unexpected)"),
        (security_yaml(protocol="SSL", ssl_endpoint_identification="no"), "security.ssl_endpoint_identification"),
        (security_yaml(protocol="SSL", certificate_warning_days=-1), "security.certificate_warning_days"),
    ],
    ids=["oauthbearer-without-oauth", "oauthbearer-with-password", "oauth-without-oauthbearer", "cert-without-key",
         "key-password-without-key", "token-url-not-a-url", "oauth-typo", "identification-not-boolean",
         "negative-warning-days"],
)  # fmt: skip
def test_settings_that_do_not_go_together_are_errors_naming_file_line_and_key(
    tmp_path: Path, security: str, expected: str
) -> None:
    write(tmp_path, security)
    found = problems(tmp_path, secrets=False)  # offline too: these are mistakes in the file itself
    assert any(expected in problem for problem in found), found
    assert all(problem.startswith("mqctl.yaml:") for problem in found), found


def test_relative_files_resolve_against_the_project_root_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    for name in ("ca.crt", "me.crt", "me.key"):
        (certs / name).write_text("x")
    files = {"ssl_certificate_location": "certs/me.crt", "ssl_key_location": "certs/me.key"}
    write(tmp_path, security_yaml(protocol="SSL", ssl_ca_location="certs/ca.crt", **files))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    security = load_config(tmp_path, "prod").environment.security
    assert security.ssl_ca_location == str(certs / "ca.crt")
    assert security.ssl_certificate_location == str(certs / "me.crt")
    assert security.ssl_key_location == str(certs / "me.key")


def test_absolute_and_home_paths_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "ca.pem").write_text("x")
    (tmp_path / "abs.pem").write_text("x")
    write(tmp_path, security_yaml(protocol="SSL", ssl_ca_location="~/ca.pem"))
    assert load_config(tmp_path, "prod").environment.security.ssl_ca_location == str(tmp_path / "home" / "ca.pem")
    write(tmp_path, security_yaml(protocol="SSL", ssl_ca_location=str(tmp_path / "abs.pem")))
    assert load_config(tmp_path, "prod").environment.security.ssl_ca_location == str(tmp_path / "abs.pem")


def test_missing_files_fail_at_load_naming_each_key_but_not_offline(tmp_path: Path) -> None:
    files = {"ssl_certificate_location": "tls/me.crt", "ssl_key_location": "/nowhere/me.key"}
    write(tmp_path, security_yaml(protocol="SSL", ssl_ca_location="tls/ca.crt", **files))
    found = problems(tmp_path)
    assert found == [
        f"mqctl.yaml:9: environments.prod.security.ssl_ca_location: {tmp_path}/tls/ca.crt (written 'tls/ca.crt', "
        "relative to the project root): no such readable file",
        f"mqctl.yaml:10: environments.prod.security.ssl_certificate_location: {tmp_path}/tls/me.crt (written "
        "'tls/me.crt', relative to the project root): no such readable file",
        "mqctl.yaml:11: environments.prod.security.ssl_key_location: /nowhere/me.key: no such readable file",
    ]
    assert load_config(tmp_path, "prod", secrets=False).environment.security.ssl_ca_location  # validate: offline


def test_a_directory_is_not_a_ca_file(tmp_path: Path) -> None:
    (tmp_path / "tls").mkdir()
    write(tmp_path, security_yaml(protocol="SSL", ssl_ca_location="tls"))
    assert problems(tmp_path) == [
        f"mqctl.yaml:9: environments.prod.security.ssl_ca_location: {tmp_path}/tls (written 'tls', relative to the "
        "project root): no such readable file"
    ]


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        (security_yaml(protocol="SSL", ssl_endpoint_identification=False),
         "security.ssl_endpoint_identification: false: the broker's certificate is not checked against the host"),
        (security_yaml(protocol="PLAINTEXT", ssl_ca_location="ca.crt"),
         "security: ssl_ca_location: ignored, protocol PLAINTEXT does not use TLS (SSL and SASL_SSL do)"),
        (security_yaml(protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER",
                       oauth=OAUTH | {"token_endpoint_url": "http://idp.example.com/token"}),
         "security.oauth.token_endpoint_url: plain http:// to another host: the client secret and the tokens cross"),
    ],
    ids=["no-hostname-check", "tls-settings-on-plaintext", "http-token-endpoint"],
)  # fmt: skip
def test_risky_settings_are_warnings_that_validate_shows(
    offline_project: Project, security: str, expected: str
) -> None:
    (offline_project.root / "ca.crt").write_text("x")
    write(offline_project.root, security, offline_project.env)
    (warning,) = load_config(offline_project.root, offline_project.env, secrets=False).warnings
    assert expected in str(warning) and str(warning).startswith("mqctl.yaml:")
    res = offline_project.run("validate", "--no-color")
    assert res.exit_code == 0, res.output
    assert f"warning: {warning}" in res.stdout
    assert "validate: OK, 1 warning(s)" in res.stdout


def test_a_loopback_http_token_endpoint_and_a_checked_host_are_not_warned_about(tmp_path: Path) -> None:
    oauth = OAUTH | {"token_endpoint_url": "http://127.0.0.1:8085/oauth2/token"}
    write(tmp_path, security_yaml(protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER", oauth=oauth,
                                  ssl_endpoint_identification=True))  # fmt: skip
    assert load_config(tmp_path, "prod", secrets=False).warnings == ()


def test_the_repository_environments_tls_and_oauth_use_the_local_cluster_files() -> None:
    """The repo's mqctl.yaml names .local-cluster/tls/ relative to itself; validate stays green
    without the cluster (offline), and the paths resolve under the project root."""
    tls = load_config(REPO_ROOT, "tls", secrets=False).environment
    oauth = load_config(REPO_ROOT, "oauth", secrets=False).environment
    assert tls.security.protocol == "SSL" and tls.bootstrap_servers == "127.0.0.1:49094"
    assert tls.security.ssl_ca_location == str(REPO_ROOT / ".local-cluster" / "tls" / "ca.crt")
    assert tls.security.ssl_key_location == str(REPO_ROOT / ".local-cluster" / "tls" / "mqctl-admin.key")
    assert oauth.security.sasl_mechanism == "OAUTHBEARER" and oauth.security.oauth is not None
    assert oauth.security.oauth.client_id == "mqctl-admin"
    raw = yaml.safe_load((REPO_ROOT / "mqctl.yaml").read_text())["environments"]["oauth"]["security"]["oauth"]
    assert raw["client_secret"] == "${MQCTL_OAUTH_CLIENT_SECRET}"  # from the environment, never in the file


def test_a_saved_plan_does_not_depend_on_where_the_checkout_lies(tmp_path: Path) -> None:
    """File settings become absolute paths; the saved plan's digest of the environment leaves them
    out, so a plan saved in one checkout applies from another."""
    from mqctl.saved_plan import digest

    envs = []
    for checkout in ("laptop", "ci"):
        root = tmp_path / checkout
        (root / "tls").mkdir(parents=True)
        for name in ("ca.crt", "me.crt", "me.key"):
            (root / "tls" / name).write_text("x")
        write(root, security_yaml(protocol="SSL", ssl_ca_location="tls/ca.crt", ssl_certificate_location="tls/me.crt",
                                  ssl_key_location="tls/me.key"))  # fmt: skip
        envs.append(load_config(root, "prod").environment)
    assert envs[0].security.ssl_ca_location != envs[1].security.ssl_ca_location
    assert digest({"environment": envs[0]}) == digest({"environment": envs[1]})
