"""docs/security.md's managed-service examples (MSK, Confluent Cloud, Aiven) as written: each loads as
an mqctl.yaml environment and gives both Kafka clients the settings the service documents. No
account here, so they are never connected; what this proves is that a user who copies them gets
exactly these client settings, with the secrets from the environment and files from the project."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from mqctl.config import load_config
from mqctl.kafka.connection import client_config, kafka_python_config
from tests.conftest import REPO_ROOT

SECRETS = {"MSK_MQCTL_PASSWORD": "msk-pass-1", "CCLOUD_API_KEY": "CCKEY1", "CCLOUD_API_SECRET": "cc-secret-1",
           "MQCTL_OAUTH_CLIENT_SECRET": "oauth-secret-1", "AIVEN_KAFKA_PASSWORD": "aiven-pass-1"}  # fmt: skip


def _examples() -> str:
    """The YAML block under "Managed services" in docs/security.md, as a reader copies it."""
    text = (REPO_ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    section = text.split("### Managed services", 1)[1]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


@pytest.fixture
def project(tmp_path: Path, tls_material: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project holding the examples as its environments, and Aiven's downloaded files."""
    (tmp_path / "mqctl.yaml").write_text("environments:\n" + _examples())
    aiven = tmp_path / "certs" / "aiven"
    aiven.mkdir(parents=True)
    downloaded = {"ca.crt": "ca.pem", "order-service.crt": "service.cert", "order-service.key": "service.key"}
    for source, name in downloaded.items():
        shutil.copy(tls_material / source, aiven / name)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def settings(root: Path, env: str) -> tuple[dict[str, Any], dict[str, Any]]:
    loaded = load_config(root, env).environment
    return client_config(loaded), kafka_python_config(loaded)


def test_every_example_environment_is_checked() -> None:
    assert list(yaml.safe_load(_examples())) == ["msk", "mskscram", "ccloud", "ccloudoauth", "aiven", "aivenscram"]


def test_msk_over_tls_and_scram_use_the_public_ca_and_sha_512(project: Path) -> None:
    confluent, python = settings(project, "msk")
    assert confluent["security.protocol"] == python["security_protocol"] == "SSL"
    assert "ssl.ca.location" not in confluent and ":9094" in confluent["bootstrap.servers"]  # the system's CAs
    confluent, python = settings(project, "mskscram")
    assert (confluent["security.protocol"], confluent["sasl.mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
    assert (confluent["sasl.username"], confluent["sasl.password"]) == ("mqctl", "msk-pass-1")
    assert (python["sasl_mechanism"], python["sasl_plain_password"]) == ("SCRAM-SHA-512", "msk-pass-1")


def test_confluent_cloud_api_keys_and_oauth_extensions(project: Path) -> None:
    confluent, python = settings(project, "ccloud")
    assert (confluent["sasl.mechanism"], confluent["sasl.username"], confluent["sasl.password"]) == (
        "PLAIN", "CCKEY1", "cc-secret-1")
    assert (python["security_protocol"], python["sasl_plain_username"]) == ("SASL_SSL", "CCKEY1")
    confluent, python = settings(project, "ccloudoauth")
    assert confluent["sasl.mechanism"] == "OAUTHBEARER" and confluent["sasl.oauthbearer.method"] == "oidc"
    assert confluent["sasl.oauthbearer.client.secret"] == "oauth-secret-1"
    assert confluent["sasl.oauthbearer.extensions"] == "identityPoolId=pool-Ab1c,logicalCluster=lkc-abc123"
    assert python["sasl_oauth_token_provider"] is not None


def test_aiven_reads_the_downloaded_files_from_the_project(project: Path) -> None:
    confluent, python = settings(project, "aiven")
    aiven = project / "certs" / "aiven"
    assert (confluent["ssl.ca.location"], confluent["ssl.certificate.location"], confluent["ssl.key.location"]) == (
        str(aiven / "ca.pem"), str(aiven / "service.cert"), str(aiven / "service.key"))
    assert python["ssl_context"] is not None
    confluent, _ = settings(project, "aivenscram")
    assert (confluent["sasl.mechanism"], confluent["sasl.password"]) == ("SCRAM-SHA-256", "aiven-pass-1")
    assert confluent["ssl.ca.location"] == str(aiven / "ca.pem")
