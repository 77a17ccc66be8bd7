"""Shared fixtures.

Integration tests run against the real local cluster started by `make cluster-up` (3 KRaft brokers,
one SASL/ACL node, an Apicurio registry). Each test gets its own environment name, which is also the
prefix of every topic, ACL and subject it creates, so tests never see each other's resources.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mqctl.cli import app
from mqctl.config import Environment, ProjectConfig
from mqctl.diagnostics import Diagnostic, Severity
from mqctl.kind import DesiredState
from mqctl.spec.loader import load_specs

DEV_BOOTSTRAP = os.environ.get("MQCTL_TEST_BOOTSTRAP", "127.0.0.1:19092,127.0.0.1:29092,127.0.0.1:39092")
SASL_BOOTSTRAP = os.environ.get("MQCTL_TEST_SASL_BOOTSTRAP", "127.0.0.1:49092")
REGISTRY_URL = os.environ.get("MQCTL_TEST_REGISTRY", "http://127.0.0.1:8081/apis/ccompat/v7")
ADMIN_PASSWORD = os.environ.setdefault("KAFKA_ADMIN_PASSWORD", "admin-secret")
ROOT = Path(__file__).resolve().parents[1]
# the broker jars `make cluster-up` fetched (MQCTL_CACHE_DIR as for scripts/local-cluster.sh)
KAFKA_LIB = Path(os.environ.get("MQCTL_CACHE_DIR", ROOT / ".cache")) / "kafka-4.1.1" / "lib"


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Project:
    """A throwaway project root: its own mqctl.yaml whose environment name is unique to the test."""

    root: Path
    env: str
    cleanup_topics: list[str] = field(default_factory=list)

    def write(self, relpath: str, text: str) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def run(self, *args: str, input: str | None = None) -> Result:
        """Run the CLI in-process from the project root (as a user would from their repo)."""
        cwd = Path.cwd()
        os.chdir(self.root)
        try:
            res = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
        finally:
            os.chdir(cwd)
        return Result(res.exit_code, res.stdout, res.stderr)


def sasl_security(user: str = "admin", password: str = "${KAFKA_ADMIN_PASSWORD}") -> str:
    """The `security:` block of an environment on the SASL node, for `user`."""
    return textwrap.indent(
        textwrap.dedent(f"""\
            security:
              protocol: SASL_PLAINTEXT
              sasl_mechanism: SCRAM-SHA-512
              username: {user}
              password: {password}
            """),
        "    ",
    )


def config_text(env: str, bootstrap: str, security: str = "", extra: str = "") -> str:
    """An mqctl.yaml with one environment `env` (the local registry included)."""
    return (
        "environments:\n"
        f"  {env}:\n"
        f"    bootstrap_servers: {bootstrap}\n"
        "    timeout_seconds: 15\n"
        "    schema_registry:\n"
        f"      url: {REGISTRY_URL}\n"
        f"{security}{extra}"
    )


def load_files(root: Path, files: dict[str, str], env: str = "prod") -> tuple[DesiredState, list[Diagnostic]]:
    """Write spec files (dedented) under `root` and load them for environment `env`, offline."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return load_specs(ProjectConfig(root, Environment(env, "127.0.0.1:1")))


def error_keys(problems: list[Diagnostic]) -> list[tuple[str, int | None, str]]:
    """(file, line, key) of every error: where each problem was reported."""
    return [(p.file, p.line, p.key) for p in problems if p.severity is Severity.ERROR]


def eventually(check: Callable[[], bool], seconds: float = 30) -> bool:
    """Brokers learn metadata changes asynchronously; wait (boundedly) for one to show."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def protocol_request(request: Any, node: int | None = None) -> Any:
    """One Kafka protocol request to the dev cluster through a fresh kafka-python client, out of
    band: for what librdkafka cannot ask (resource "", one chosen broker's own metadata)."""
    from kafka.admin import KafkaAdminClient

    from mqctl.kafka.wire import exchange

    client = KafkaAdminClient(bootstrap_servers=DEV_BOOTSTRAP.split(","), request_timeout_ms=15000)
    try:
        (response,) = exchange(client, [request], node, 15000)
        return response
    finally:
        client.close()


def config_command(*args: str, bootstrap: str = SASL_BOOTSTRAP) -> str:
    """Kafka's own kafka-configs (kafka.admin.ConfigCommand from the broker jars), as the SASL super
    user on the SASL node: a reader and writer independent of both Python clients. Its stdout."""
    with tempfile.TemporaryDirectory() as tmp:
        props = Path(tmp) / "admin.properties"
        props.touch(mode=0o600)
        props.write_text(
            "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n"
            "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="admin" password="{ADMIN_PASSWORD}";\n'
        )
        command = ["java", "-cp", f"{KAFKA_LIB}/*", "kafka.admin.ConfigCommand", "--bootstrap-server", bootstrap]
        if bootstrap == SASL_BOOTSTRAP:
            command += ["--command-config", str(props)]
        done = subprocess.run([*command, *args], check=True, capture_output=True, text=True, timeout=60)
    return done.stdout


def unique_env() -> str:
    return "t" + uuid.uuid4().hex[:10]


@pytest.fixture
def offline_project(tmp_path: Path) -> Project:
    """A project whose environment points at an unreachable address; for offline commands."""
    env = unique_env()
    (tmp_path / "mqctl.yaml").write_text(config_text(env, "127.0.0.1:1"))
    return Project(tmp_path, env)


@pytest.fixture(scope="session")
def dev_admin() -> Iterator[object]:
    """A raw AdminClient on the 3-broker cluster for seeding and checking state out of band.

    Fails (never skips) when the cluster is down: integration tests must not pass by not running.
    """
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": DEV_BOOTSTRAP})
    try:
        admin.describe_cluster(request_timeout=10).result(timeout=15)
    except Exception as exc:
        pytest.fail(f"local Kafka cluster at {DEV_BOOTSTRAP} is not running ({exc}); run `make cluster-up`")
    yield admin


def _delete_prefixed(admin: object, prefix: str) -> None:
    topics = [t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix)]  # type: ignore[attr-defined]
    if topics:
        for future in admin.delete_topics(topics, operation_timeout=30).values():  # type: ignore[attr-defined]
            with contextlib.suppress(Exception):
                future.result()


@pytest.fixture
def project(tmp_path: Path, dev_admin: object) -> Iterator[Project]:
    """A project on the real 3-broker cluster; its topics are deleted after the test."""
    env = unique_env()
    (tmp_path / "mqctl.yaml").write_text(config_text(env, DEV_BOOTSTRAP))
    yield Project(tmp_path, env)
    _delete_prefixed(dev_admin, env + ".")


def sasl_admin_config(user: str = "admin", password: str | None = None) -> dict[str, str]:
    return {
        "bootstrap.servers": SASL_BOOTSTRAP,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": user,
        "sasl.password": password if password is not None else ADMIN_PASSWORD,
    }


@pytest.fixture(scope="session")
def sasl_admin() -> Iterator[object]:
    """A raw AdminClient on the SASL/ACL node, authenticated as the super user admin."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(sasl_admin_config())
    try:
        admin.describe_cluster(request_timeout=10).result(timeout=15)
    except Exception as exc:
        pytest.fail(f"local SASL Kafka node at {SASL_BOOTSTRAP} is not running ({exc}); run `make cluster-up`")
    yield admin


@pytest.fixture
def secure_project(tmp_path: Path, sasl_admin: object) -> Iterator[Project]:
    """A project on the SASL/ACL node (mqctl connects as admin, password from the environment)."""
    env = unique_env()
    (tmp_path / "mqctl.yaml").write_text(
        config_text(env, SASL_BOOTSTRAP, sasl_security(), "    overrides:\n      max_replication_factor: 1\n")
    )
    yield Project(tmp_path, env)
    _delete_prefixed(sasl_admin, env + ".")


# --- helpers shared by the integration tests of several kinds -----------------------------------


def live_configs(admin: Any, topic: str) -> dict[str, Any]:
    """A topic's configs as a raw confluent-kafka AdminClient reads them (out of band)."""
    from confluent_kafka.admin import ConfigResource, ResourceType

    (future,) = admin.describe_configs([ConfigResource(ResourceType.TOPIC, topic)]).values()
    return {k: v for k, v in future.result(timeout=15).items()}


def partitions(admin: Any, topic: str) -> dict[int, Any]:
    return dict(admin.list_topics(topic, timeout=10).topics[topic].partitions)


def all_acls(admin: Any) -> list[Any]:
    """Every ACL binding on the cluster of `admin`."""
    from confluent_kafka.admin import (
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        ResourcePatternType,
        ResourceType,
    )

    anything: Any = None  # a filter's None matches any name, principal or host
    everything = AclBindingFilter(
        ResourceType.ANY, anything, ResourcePatternType.ANY, anything, anything, AclOperation.ANY, AclPermissionType.ANY
    )
    return list(admin.describe_acls(everything, request_timeout=10).result(timeout=15))


def delete_acls(admin: Any, bindings: list[Any]) -> None:
    """Delete exactly these bindings (an exact-match filter each)."""
    from confluent_kafka.admin import AclBindingFilter

    exact = [
        AclBindingFilter(
            b.restype, b.name, b.resource_pattern_type, b.principal, b.host, b.operation, b.permission_type
        )
        for b in bindings
    ]
    if exact:
        for future in admin.delete_acls(exact, request_timeout=10).values():
            future.result(timeout=15)


@pytest.fixture(scope="session")
def registry() -> Any:
    """A confluent-kafka SchemaRegistryClient on the local registry, for checks out of band."""
    from confluent_kafka.schema_registry import SchemaRegistryClient

    client = SchemaRegistryClient({"url": REGISTRY_URL, "timeout": 10})
    try:
        client.get_subjects()
    except Exception as exc:  # any failure means the registry is not there
        pytest.fail(f"schema registry at {REGISTRY_URL} is not running ({exc}); run `make cluster-up`")
    return client


def purge_subjects(registry: Any, prefix: str) -> None:
    """Delete every subject under `prefix`, referrers before what they reference."""
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    for _ in range(5):
        left = registry.get_subjects(subject_prefix=prefix, deleted=True)
        if not left:
            return
        for subject in left:
            for permanent in (False, True):
                # still referenced, or already soft-deleted: the next round gets it
                with contextlib.suppress(SchemaRegistryError):
                    registry.delete_subject(subject, permanent=permanent)
