"""Shared fixtures.

Integration tests run against the real local cluster started by `make cluster-up` (3 KRaft brokers,
one SASL/ACL node, an Apicurio registry, a Kafka Connect worker). Each test gets its own environment
name, which is also the prefix of every topic, ACL, subject and connector it creates, so tests never
see each other's resources.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import selectors
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from mqctl import redact
from mqctl.cli import app
from mqctl.config import Environment, ProjectConfig
from mqctl.diagnostics import Diagnostic, Severity
from mqctl.edges import Edges
from mqctl.kind import DesiredState
from mqctl.spec.loader import load_specs

DEV_BOOTSTRAP = os.environ.get("MQCTL_TEST_BOOTSTRAP", "127.0.0.1:19092,127.0.0.1:29092,127.0.0.1:39092")
SASL_BOOTSTRAP = os.environ.get("MQCTL_TEST_SASL_BOOTSTRAP", "127.0.0.1:49092")
REGISTRY_URL = os.environ.get("MQCTL_TEST_REGISTRY", "http://127.0.0.1:8081/apis/ccompat/v7")
CONNECT_URL = os.environ.get("MQCTL_TEST_CONNECT", "http://127.0.0.1:8083")
ADMIN_PASSWORD = os.environ.setdefault("KAFKA_ADMIN_PASSWORD", "admin-secret")
REPO_ROOT = Path(__file__).resolve().parents[1]
# The SASL node's TLS listeners (docs/local-cluster.md) and the material `make cluster-up` wrote for them
SSL_BOOTSTRAP = "127.0.0.1:49094"  # SSL, client certificate required (mTLS)
SASL_SSL_BOOTSTRAP = "127.0.0.1:49095"  # SASL_SSL: SCRAM-SHA-512 and OAUTHBEARER
WRONG_HOST_BOOTSTRAP = "127.0.0.1:49096"  # SSL, a certificate for wrong.example only
TOKEN_URL = os.environ.get("MQCTL_TEST_TOKEN_URL", "http://127.0.0.1:8085/oauth2/token")
TLS_DIR = Path(os.environ.get("MQCTL_CLUSTER_DIR", REPO_ROOT / ".local-cluster")).resolve() / "tls"
KEY_PASSWORD = "order-key-secret"  # of order-service-encrypted.key (scripts/local_tls.py)
# the `mqctl` command `make install` puts next to the interpreter, for tests that need a real process
# (a terminal, a signal)
MQCTL = Path(sys.executable).with_name("mqctl")
# the broker jars `make cluster-up` fetched (MQCTL_CACHE_DIR as for scripts/local-cluster.sh)
KAFKA_LIB = Path(os.environ.get("MQCTL_CACHE_DIR", REPO_ROOT / ".cache")) / "kafka-4.1.1" / "lib"
pytest_plugins = ["pytester"]  # tests/unit/test_secret_watch.py runs sessions of its own


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
    other_envs: list[str] = field(default_factory=list)  # more environments of its mqctl.yaml
    outputs: list[str] = field(default_factory=list)  # everything every run printed, for secret checks

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
        self.outputs.append(res.stdout + res.stderr)
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


def security_yaml(**settings: Any) -> str:
    """A `security:` block of an environment from keyword settings (nested dicts for `oauth:`)."""
    return textwrap.indent(yaml.safe_dump({"security": settings}, sort_keys=False), "    ")


def tls_security(cert: str | None = "mqctl-admin", **settings: Any) -> str:
    """mTLS settings for the SSL listener with the local cluster's CA and the client certificate
    `cert` (a CN of docs/local-cluster.md; None: no client certificate); `settings` override."""
    base: dict[str, Any] = {"protocol": "SSL", "ssl_ca_location": str(TLS_DIR / "ca.crt")}
    if cert is not None:
        base |= {"ssl_certificate_location": str(TLS_DIR / f"{cert}.crt"),
                 "ssl_key_location": str(TLS_DIR / f"{cert}.key")}  # fmt: skip
    return security_yaml(**(base | settings))


def oauth_security(client: str = "mqctl-admin", secret: str = "${MQCTL_TEST_OAUTH_SECRET}", **oauth: Any) -> str:
    """SASL_SSL with OAUTHBEARER for the local issuer's `client`; `oauth` overrides its settings."""
    settings = {"token_endpoint_url": TOKEN_URL, "client_id": client, "client_secret": secret, "scope": "kafka"}
    return security_yaml(protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER",
                         ssl_ca_location=str(TLS_DIR / "ca.crt"), oauth=settings | oauth)  # fmt: skip


def assert_no_secrets(outputs: list[str], *secrets: str) -> None:
    """No output holds a secret value, nor anything shaped like a JWT (a bearer token)."""
    for text in outputs:
        for secret in secrets:
            assert secret not in text, f"a secret was printed: {text[:500]}"
        assert not re.search(r"eyJ[\w-]+\.eyJ[\w-]+\.", text), f"a token was printed: {text[:500]}"


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


def preferred_leaders_elected(admin: Any) -> bool:
    """Every partition led by its preferred replica again (a confluent-kafka AdminClient): a test
    that restarts a broker ends with this, so that the leaderships the broker lost, and the group
    coordinators with them, move back now, not at Kafka's next imbalance check up to 5 minutes later
    under another test (a ListGroups then misses the groups in flight). False while an election is
    still refused (the restarted broker not yet back in sync)."""
    from confluent_kafka import ElectionType, KafkaError, KafkaException

    try:
        elected = admin.elect_leaders(ElectionType.PREFERRED, None).result(timeout=30)
    except KafkaException:
        return False
    return all(error is None or error.code() == KafkaError.ELECTION_NOT_NEEDED for error in elected.values())


def protocol_request(request: Any, node: int | None = None) -> Any:
    """One Kafka protocol request to the dev cluster through a fresh kafka-python client, out of
    band: for what librdkafka cannot ask (resource "", one chosen broker's own metadata)."""
    from kafka.admin import KafkaAdminClient

    from mqctl.kafka.wire import exchange_addressed

    client = KafkaAdminClient(bootstrap_servers=DEV_BOOTSTRAP.split(","), request_timeout_ms=15000)
    try:
        (response,) = exchange_addressed(client, [(request, node)], 15000)
        return response
    finally:
        client.close()


SNAPSHOT_SWITCH = "MQCTL_UPDATE_SNAPSHOTS"


def assert_matches_snapshot(rendered: str, path: Path) -> None:
    """`rendered` must equal the checked-in snapshot at `path`. With MQCTL_UPDATE_SNAPSHOTS=1 a
    snapshot that differs is rewritten and the test still FAILS (review the diff, run again without
    the switch), so the switch can never make a test pass by comparing output with itself; under CI
    (`CI` set) the switch is refused and nothing is written."""
    stored = path.read_text(encoding="utf-8") if path.exists() else None
    if os.environ.get(SNAPSHOT_SWITCH) and rendered != stored:
        if os.environ.get("CI"):
            pytest.fail(f"{SNAPSHOT_SWITCH} is set under CI; snapshots are only rewritten by hand")
        path.write_text(rendered, encoding="utf-8")
        pytest.fail(f"rewrote {path.name}: review the diff, then run the test again without {SNAPSHOT_SWITCH}")
    assert rendered == stored, f"output differs from {path.name} (intended? see {SNAPSHOT_SWITCH})"


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


@dataclass(frozen=True)
class WireRequest:
    connection: int  # the proxy's count of client connections so far
    client_id: str
    api: str  # ApiKey name: Metadata, DescribeConfigs, SaslHandshake, ...
    version: int
    scope: str = ""  # of a Metadata request: "all topics", "N topics" or "brokers only"

    @property
    def kind(self) -> str:
        return f"{self.api} ({self.scope})" if self.scope else self.api


class KafkaProxy:
    """A counting TCP proxy on loopback in front of ONE broker, for facts only the wire can show.

    It reads Kafka's length-prefixed frames both ways: every request is counted by API key (`sent`,
    including what the client libraries send on their own: ApiVersions, the SASL handshake, metadata
    refreshes); Metadata and DescribeCluster responses have the broker's port rewritten to the
    proxy's, so clients keep talking through it; everything else, the SASL exchange included, passes
    byte for byte. Two faults, each for the requests of one API key, decided by the test rather
    than by a race: `hold[api_key] = seconds` delays the responses (the broker has done the work;
    the answer is late), and `answers[api_key]` keeps those responses, decoded; `drop.add(api_key)`
    swallows the requests (counted, never forwarded: the broker never hears of them).
    Only for a single-broker cluster (the SASL node advertises itself only): with several brokers,
    clients would reach the others directly. `close()` ends every connection and joins every thread,
    a held response included.
    """

    def __init__(self, upstream: str = SASL_BOOTSTRAP) -> None:
        from collections import Counter

        from kafka.protocol.admin import (
            CreatePartitionsResponse,
            CreateTopicsResponse,
            DeleteTopicsResponse,
            DescribeClusterResponse,
        )
        from kafka.protocol.api_key import ApiKey
        from kafka.protocol.metadata import MetadataRequest, MetadataResponse

        # imported here, in one thread: the connection threads would deadlock importing them at once
        self._names = {int(key): key.name for key in ApiKey}
        self._metadata_request = MetadataRequest
        self._addressed: dict[int, Any] = {3: MetadataResponse, 60: DescribeClusterResponse}
        self._readable = {19: CreateTopicsResponse, 20: DeleteTopicsResponse, 37: CreatePartitionsResponse,
                          **self._addressed}  # fmt: skip
        host, port = upstream.rsplit(":", 1)
        self.upstream = (host, int(port))
        self.sent: Counter[str] = Counter()  # API name -> requests sent through the proxy
        self.log: list[WireRequest] = []  # every request, in order
        self.hold: dict[int, float] = {}
        self.drop: set[int] = set()
        self.answers: dict[int, list[Any]] = {}
        self.connections = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self.errors: list[str] = []  # what broke inside the proxy's threads: close() fails the test on it
        self._threads = [self._thread("proxy-accept", self._accept)]
        self._threads[0].start()

    def _thread(self, name: str, target: Callable[..., None], *args: Any) -> threading.Thread:
        def run() -> None:
            try:
                target(*args)
            except Exception as exc:  # recorded, so a broken proxy cannot pass for a quiet broker
                if not self._stop.is_set():
                    with self._lock:
                        self.errors.append(f"{name}: {type(exc).__name__}: {exc}")

        return threading.Thread(target=run, name=name, daemon=True)

    def close(self) -> None:
        """Stop accepting, end every connection (shutdown wakes the threads blocked on them) and
        join the threads; a thread still alive after that is a bug of the proxy, and fails the test."""
        self._stop.set()
        with self._lock:
            sockets, threads = [self._server, *self._sockets], list(self._threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        for thread in threads:
            thread.join(timeout=10)
        alive = [thread.name for thread in threads if thread.is_alive()]
        assert not alive, f"proxy threads still running after close: {alive}"
        assert not self.errors, f"the proxy broke: {self.errors}"

    def reset(self) -> None:
        with self._lock:
            self.sent.clear()
            self.log.clear()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return  # closed
            try:
                broker = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            broker.settimeout(None)
            pending: dict[int, tuple[int, int]] = {}  # correlation id -> (api key, version)
            with self._lock:
                if self._stop.is_set():
                    client.close()
                    broker.close()
                    return
                self.connections += 1
                connection = self.connections
                self._sockets += [client, broker]
                threads = [
                    self._thread(f"proxy-{connection}-requests", self._requests, client, broker, pending, connection),
                    self._thread(f"proxy-{connection}-responses", self._responses, broker, client, pending),
                ]
                self._threads += threads
            for thread in threads:
                thread.start()

    @staticmethod
    def _frame(sock: socket.socket) -> bytes | None:
        def exactly(size: int) -> bytes | None:
            data = b""
            while len(data) < size:
                chunk = sock.recv(size - len(data))
                if not chunk:
                    return None
                data += chunk
            return data

        with contextlib.suppress(OSError):
            head = exactly(4)
            if head is not None:
                return exactly(struct.unpack(">i", head)[0])
        return None

    def _requests(
        self, client: socket.socket, broker: socket.socket, pending: dict[int, tuple[int, int]], connection: int
    ) -> None:
        while (frame := self._frame(client)) is not None:
            key, version, correlation, length = struct.unpack(">hhih", frame[:10])  # the request header
            pending[correlation] = (key, version)
            name = self._names.get(key, str(key))
            scope = ""
            if key == 3:  # which topics a metadata request asks for
                topics = self._metadata_request.decode(frame, version=version, header=True).topics
                scope = "all topics" if topics is None else f"{len(topics)} topics" if topics else "brokers only"
            client_id = frame[10 : 10 + max(length, 0)].decode(errors="replace")
            with self._lock:
                self.sent[name] += 1
                self.log.append(WireRequest(connection, client_id, name, version, scope))
            if key in self.drop:
                continue
            with contextlib.suppress(OSError):
                broker.sendall(struct.pack(">i", len(frame)) + frame)
        with contextlib.suppress(OSError):
            broker.shutdown(socket.SHUT_WR)

    def _responses(self, broker: socket.socket, client: socket.socket, pending: dict[int, tuple[int, int]]) -> None:
        addressed, readable = self._addressed, self._readable
        while (frame := self._frame(broker)) is not None:
            (correlation,) = struct.unpack(">i", frame[:4])
            key, version = pending.pop(correlation, (-1, 0))
            if key in addressed:
                response = addressed[key].decode(frame, version=version, header=True)
                for node in response.brokers:
                    node.port = self.port
                frame = bytes(response.encode(header=True))  # at the version it was decoded at
            if key in self.hold:
                if key in readable:
                    decoded = readable[key].decode(frame, version=version, header=True)
                    with self._lock:
                        self.answers.setdefault(key, []).append(decoded)
                if self._stop.wait(self.hold[key]):
                    break  # closing: the held answer is never delivered
            with contextlib.suppress(OSError):
                client.sendall(struct.pack(">i", len(frame)) + frame)
        with contextlib.suppress(OSError):
            client.shutdown(socket.SHUT_WR)


@pytest.fixture
def sasl_proxy(sasl_admin: object) -> Iterator[KafkaProxy]:
    """A KafkaProxy in front of the SASL node."""
    proxy = KafkaProxy()
    yield proxy
    proxy.close()


def unique_env() -> str:
    return "t" + uuid.uuid4().hex[:10]


OpenEdges = Callable[..., Edges]  # the open_edges fixture: Edges(env, notify), closed after the test


@pytest.fixture
def open_edges() -> Iterator[OpenEdges]:
    """`Edges(env, notify)` for a test that drives the transports directly, all closed when the test
    ends: a kafka-python client left open keeps reconnecting (to a proxy long closed) on its own
    thread for the rest of the suite."""
    with contextlib.ExitStack() as opened:
        yield lambda *args, **kwargs: opened.enter_context(Edges(*args, **kwargs))


@pytest.fixture
def offline_project(tmp_path: Path) -> Project:
    """A project whose environment points at an unreachable address; for offline commands."""
    env = unique_env()
    (tmp_path / "mqctl.yaml").write_text(config_text(env, "127.0.0.1:1"))
    return Project(tmp_path, env)


def require(admin: Any, what: str) -> None:
    """Fail (never skip) when `admin`'s cluster does not answer: integration tests must not pass by
    not running."""
    try:
        admin.describe_cluster(request_timeout=10).result(timeout=15)
    except Exception as exc:
        pytest.fail(f"{what} is not running ({exc}); run `make cluster-up`")


@pytest.fixture(scope="session")
def dev_admin() -> Iterator[object]:
    """A raw AdminClient on the 3-broker cluster for seeding and checking state out of band.

    Fails (never skips) when the cluster is down: integration tests must not pass by not running.
    """
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": DEV_BOOTSTRAP})
    require(admin, f"local Kafka cluster at {DEV_BOOTSTRAP}")
    yield admin


def delete_topics(admin: Any, names: Iterable[str]) -> None:
    """Delete these topics (a confluent-kafka AdminClient) and wait for each, boundedly. One already
    gone is fine: metadata read a moment before may still list a topic just deleted (the apply lock
    mqctl releases, a test's own deletion). Any other error fails, so a teardown never leaves topics
    behind unnoticed for later tests."""
    from confluent_kafka import KafkaError, KafkaException

    names = list(names)
    for future in (admin.delete_topics(names, operation_timeout=30) if names else {}).values():
        try:
            future.result(timeout=60)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise


def delete_prefixed(admin: Any, prefix: str) -> None:
    """Every topic whose name starts with `prefix` (an environment's: `<env>.`), as delete_topics."""
    delete_topics(admin, [t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix)])


@pytest.fixture
def project(tmp_path: Path, dev_admin: object) -> Iterator[Project]:
    """A project on the real 3-broker cluster; its topics are deleted after the test."""
    env = unique_env()
    (tmp_path / "mqctl.yaml").write_text(config_text(env, DEV_BOOTSTRAP))
    yield Project(tmp_path, env)
    delete_prefixed(dev_admin, env + ".")


@pytest.fixture
def fleet_project(tmp_path: Path, dev_admin: object) -> Iterator[Project]:
    """A project with two environments on the real 3-broker cluster (`env` and `other_envs[0]`: say a
    dev and a prod sharing one cluster under two prefixes); the topics of both are deleted after."""
    env, other = unique_env(), unique_env()
    text = config_text(env, DEV_BOOTSTRAP) + config_text(other, DEV_BOOTSTRAP).removeprefix("environments:\n")
    (tmp_path / "mqctl.yaml").write_text(text)
    yield Project(tmp_path, env, other_envs=[other])
    for name in (env, other):
        delete_prefixed(dev_admin, name + ".")


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
    require(admin, f"local SASL Kafka node at {SASL_BOOTSTRAP}")
    yield admin


@contextlib.contextmanager
def sasl_user_project(
    tmp_path: Path,
    sasl_admin: Any,
    monkeypatch: pytest.MonkeyPatch,
    role: str,
    extra: Callable[[str, str], list[Any]] = lambda env, principal: [],
) -> Iterator[Project]:
    """A project in `tmp_path` on the SASL node as a fresh SCRAM user `<role>-<env>` (its password
    in MQCTL_TEST_<ROLE>_PASSWORD, unset after the test), allowed ALL on its environment's topics,
    DESCRIBE on the cluster, and the ACL bindings `extra(env, principal)` returns. Afterwards the
    environment's topics and apply lock, the principal's ACLs and the user are deleted."""
    from confluent_kafka.admin import (
        AclBinding,
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        ResourcePatternType,
        ResourceType,
        ScramCredentialInfo,
        ScramMechanism,
        UserScramCredentialDeletion,
        UserScramCredentialUpsertion,
    )

    env = unique_env()
    user, password = f"{role}-{env}", uuid.uuid4().hex
    principal = f"User:{user}"
    allow = AclPermissionType.ALLOW
    credential = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)
    try:
        for future in sasl_admin.alter_user_scram_credentials(
            [UserScramCredentialUpsertion(user, credential, password.encode())]
        ).values():
            future.result(timeout=15)
        acls = [
            AclBinding(ResourceType.TOPIC, f"{env}.", ResourcePatternType.PREFIXED, principal, "*",
                       AclOperation.ALL, allow),
            AclBinding(ResourceType.BROKER, "kafka-cluster", ResourcePatternType.LITERAL, principal, "*",
                       AclOperation.DESCRIBE, allow),
            *extra(env, principal),
        ]  # fmt: skip
        for future in sasl_admin.create_acls(acls).values():
            future.result(timeout=15)
        variable = f"MQCTL_TEST_{role.upper()}_PASSWORD"
        monkeypatch.setenv(variable, password)
        (tmp_path / "mqctl.yaml").write_text(config_text(env, SASL_BOOTSTRAP, sasl_security(user, f"${{{variable}}}")))
        yield Project(tmp_path, env)
    finally:
        lock = f"__mqctl-lock-{env}"
        delete_topics(sasl_admin, [t for t in sasl_admin.list_topics(timeout=10).topics
                                   if t.startswith(env + ".") or t == lock])  # fmt: skip
        everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, principal, None,
                                      AclOperation.ANY, AclPermissionType.ANY)  # fmt: skip
        for future in sasl_admin.delete_acls([everything]).values():
            future.result(timeout=15)
        deletion = UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)
        for future in sasl_admin.alter_user_scram_credentials([deletion]).values():
            with contextlib.suppress(Exception):  # never created: the set-up failed before
                future.result(timeout=15)


@pytest.fixture
def secure_project(tmp_path: Path, sasl_admin: object) -> Iterator[Project]:
    """A project on the SASL/ACL node (mqctl connects as admin, password from the environment)."""
    env = unique_env()
    (tmp_path / "mqctl.yaml").write_text(
        config_text(env, SASL_BOOTSTRAP, sasl_security(), "    overrides:\n      max_replication_factor: 1\n")
    )
    yield Project(tmp_path, env)
    delete_prefixed(sasl_admin, env + ".")


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


def consume(config: dict[str, Any], topic: str, count: int, seconds: float = 60, group: str | None = None) -> list[Any]:
    """Up to `count` messages of `topic` from the beginning, waiting at most `seconds`; with
    `group`, their offsets are committed for that group (else a throwaway group commits nothing)."""
    from confluent_kafka import Consumer

    consumer = Consumer({
        **config, "group.id": group or f"t-read-{uuid.uuid4().hex}", "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([topic])
    found: list[Any] = []
    deadline = time.monotonic() + seconds
    try:
        while len(found) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                found.append(message)
        if group and found:
            consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    return found


def connect_section(url: str = CONNECT_URL) -> str:
    """The `connect:` block of an environment (goes in config_text's `extra`)."""
    return f"    connect:\n      url: {url}\n"


@pytest.fixture(scope="session")
def connect_worker() -> Iterator[Any]:
    """An HTTP client on the local Kafka Connect worker, for checks out of band; fails (never
    skips) when the worker is down."""
    import httpx2

    class Worker(httpx2.Client):  # type: ignore[misc]
        """Asks again while the worker answers 409, as mqctl does: a rebalance follows every
        connector change (a read right after an update got the 409's body, not the config)."""

        def request(self, *args: Any, **kwargs: Any) -> Any:
            deadline = time.monotonic() + 30
            while (response := super().request(*args, **kwargs)).status_code == 409 and time.monotonic() < deadline:
                time.sleep(0.5)
            return response

    client = Worker(base_url=CONNECT_URL, timeout=15)
    try:
        client.get("/connectors").raise_for_status()
    except httpx2.HTTPError as exc:
        pytest.fail(f"Kafka Connect worker at {CONNECT_URL} is not running ({exc}); run `make cluster-up`")
    yield client
    client.close()


def delete_connectors(worker: Any, prefix: str) -> None:
    """Delete every connector named `<prefix>…` on the worker (connect_worker asks again on 409: other
    tests create and delete connectors on the same worker), until none is left."""
    deadline = time.monotonic() + 30
    while left := [name for name in worker.get("/connectors").json() if name.startswith(prefix)]:
        for name in left:
            worker.delete(f"/connectors/{name}")
        if time.monotonic() > deadline:
            raise AssertionError(f"connectors {left} are still on the worker after 30 s")
        time.sleep(0.2)


@pytest.fixture
def connect_project(tmp_path: Path, dev_admin: object, connect_worker: Any) -> Iterator[Project]:
    """A project on the 3-broker cluster and its Connect worker; its connectors, then its topics,
    are deleted after the test."""
    env = unique_env()
    (tmp_path / "mqctl.yaml").write_text(config_text(env, DEV_BOOTSTRAP, extra=connect_section()))
    yield Project(tmp_path, env)
    delete_connectors(connect_worker, env + ".")
    delete_prefixed(dev_admin, env + ".")


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


# --- README.md's tested command blocks ---------------------------------------------------------

def readme_block(marker: str) -> list[str]:
    """The commands of the README code block under `<!-- readme-test: MARKER -->`, one per line, as
    written (comments included: bash ignores them)."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    tag = f"<!-- readme-test: {marker} -->\n```sh\n"
    assert text.count(tag) == 1, f"README.md must hold exactly one block marked {marker!r}"
    body = text.split(tag, 1)[1].split("```", 1)[0]
    return [line for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def run_lines(lines: list[str], cwd: Path, env: dict[str, str], seconds: float = 600) -> list[tuple[str, int, str]]:
    """Run shell lines in one bash process (so `source` and `set -a` carry over, as in a terminal),
    in `cwd`; (line, exit code, output) for each."""
    import subprocess

    # a brace group runs in this shell (so `source` still counts) and takes its line's own comment
    script = "".join(f"{{\n{line}\n}} 2>&1\necho \"::readme-rc:{i}:$?\"\n" for i, line in enumerate(lines))
    done = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=seconds, check=False)
    results, output = [], ""
    for row in done.stdout.splitlines(keepends=True):
        if row.startswith("::readme-rc:"):
            index, code = row.strip().removeprefix("::readme-rc:").split(":")
            results.append((lines[int(index)], int(code), output))
            output = ""
        else:
            output += row
    assert len(results) == len(lines), f"bash stopped early: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return results


# --- TLS and OAuth ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fresh TLS material made by the project's own script (the files `make cluster-up` writes), for
    tests that need real certificates and keys but no cluster."""
    out = tmp_path_factory.mktemp("tls")
    subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "local_tls.py"), "--out", str(out)], check=True)
    return out


@pytest.fixture(scope="session")
def tls_listeners() -> Path:
    """The SASL node's TLS listeners and the material they were started with; fails (never skips)
    when they or the files are not there."""
    from confluent_kafka.admin import AdminClient

    if not (TLS_DIR / "ca.crt").is_file():
        pytest.fail(f"no TLS material in {TLS_DIR}: run `make cluster-up` (or set MQCTL_CLUSTER_DIR)")
    admin = AdminClient({
        "bootstrap.servers": SSL_BOOTSTRAP, "security.protocol": "SSL", "ssl.ca.location": str(TLS_DIR / "ca.crt"),
        "ssl.certificate.location": str(TLS_DIR / "mqctl-admin.crt"),
        "ssl.key.location": str(TLS_DIR / "mqctl-admin.key"),
    })  # fmt: skip
    require(admin, f"the SASL node's mTLS listener at {SSL_BOOTSTRAP}")
    return TLS_DIR


@pytest.fixture
def oauth_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """The local issuer's secret of client mqctl-admin, in MQCTL_TEST_OAUTH_SECRET (oauth_security's default)."""
    monkeypatch.setenv("MQCTL_TEST_OAUTH_SECRET", "mqctl-admin-secret")
    return "mqctl-admin-secret"


# --- no test secret in any output of the suite -------------------------------------------------
# Issue 12: "grepping every output of the whole test suite for the test secrets finds nothing".
#
# Watched values: local.env's secrets (the Makefile's passwords and OAuth client secret) and
# KEY_PASSWORD always; during a test, also every environment variable whose name says it holds a
# secret (mqctl.redact.SECRET_VARIABLE: the users' passwords tests generate, oauth_secret's), every
# value mqctl registers as a secret (mqctl.redact.register: each Secret, each ${VAR} of a secret
# field), and what the test hands to `watch_secret`. Watched outputs: stdout and stderr of every
# in-process CLI run (typer's CliRunner.invoke, so Project.run too), of every `subprocess.run` of
# mqctl (`python -m mqctl`, the `mqctl` script), every log record reaching the root logger, and
# what pytest captured of each test phase (stdout, stderr, log). A phase in which one shows fails,
# naming where, never the value. Not watched: files (a spec holding a password is fine) and
# processes started with subprocess.Popen (the terminal tests). tests/unit/test_secret_watch.py
# plants a secret in each watched output and expects it caught, so the watch cannot pass by not looking.

MIN_WATCHED = 6  # shorter values would match ordinary text (as redact.MIN_GUESSED_LENGTH)


def local_env() -> dict[str, str]:
    """local.env's variables, as the Makefile exports them."""
    pairs = (line.split("=", 1) for line in (REPO_ROOT / "local.env").read_text().splitlines())
    return {k: v for k, v in (p for p in pairs if len(p) == 2) if re.fullmatch(r"[A-Z][A-Z0-9_]*", k)}


class SecretWatch:
    """The secrets watched, and the leaks seen since the last `take`."""

    def __init__(self, always: Iterable[str]) -> None:
        self.always = set(always)
        self.learned: set[str] = set()  # the current test's (watch_secret, redact.register); see `forget`
        self.leaks: list[str] = []

    def secrets(self, environ: Iterable[tuple[str, str]] = ()) -> set[str]:
        """Every watched value, with those of `environ` (a subprocess's own environment) as well."""
        named = {value for name, value in (*os.environ.items(), *environ) if redact.SECRET_VARIABLE.search(name)}
        return {s for s in (*self.always, *self.learned, *named) if len(s) >= MIN_WATCHED}

    def learn(self, value: object) -> None:
        if isinstance(value, str) and len(value) >= MIN_WATCHED:
            self.learned.add(value)

    def forget(self) -> None:
        """At the end of a test: another test's made-up secret ("secret") may be its ordinary text."""
        self.learned.clear()

    def check(self, text: object, where: str, environ: Iterable[tuple[str, str]] = ()) -> None:
        """Note a leak, at `where`, if `text` (str or bytes; anything else is no output) holds a
        watched value; `environ`: the environment of the process that wrote `text`, if not ours."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if isinstance(text, str) and text:
            secrets = self.secrets(environ)
            if found := sum(secret in text for secret in secrets):
                for secret in secrets:  # `where` may quote the command line that printed it
                    where = where.replace(secret, "***")
                self.leaks.append(f"{where}: {found} test secret(s) in the output")

    def take(self) -> list[str]:
        leaks, self.leaks = list(dict.fromkeys(self.leaks)), []
        return leaks


SECRET_WATCH = SecretWatch([*(v for k, v in local_env().items() if redact.SECRET_VARIABLE.search(k)),
                            ADMIN_PASSWORD, KEY_PASSWORD])  # fmt: skip


class _WatchedLogs(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a record that cannot be formatted is logging's problem
            text = record.getMessage() + (record.exc_text or "") + (record.stack_info or "")
            SECRET_WATCH.check(text, f"log record of {record.name}")


def _runs_mqctl(command: object) -> bool:
    """`python -m mqctl ...`, `.venv/bin/mqctl ...` (a list or a shell string)."""
    parts = [str(a) for a in command] if isinstance(command, (list, tuple)) else str(command).split()
    return any(p == "mqctl" or p.endswith("/mqctl") for p in parts)


@pytest.fixture(scope="session", autouse=True)
def secret_watch() -> Iterator[SecretWatch]:
    """For the whole session: CLI runs, subprocess runs of mqctl, log records, redact.register."""
    invoke, run, register = CliRunner.invoke, subprocess.run, redact.register

    def watched_invoke(self: CliRunner, cli: Any, args: Any = None, *more: Any, **kwargs: Any) -> Any:
        result = invoke(self, cli, args, *more, **kwargs)
        for stream in (result.stdout_bytes, result.stderr_bytes):
            SECRET_WATCH.check(stream, f"CLI run {args!r}")
        return result

    def watched_run(*args: Any, **kwargs: Any) -> Any:
        done = run(*args, **kwargs)
        command = args[0] if args else kwargs.get("args")
        if _runs_mqctl(command):
            for stream in (done.stdout, done.stderr):
                SECRET_WATCH.check(stream, f"subprocess {command!r}", (kwargs.get("env") or {}).items())
        return done

    def learning_register(value: str | None) -> None:
        SECRET_WATCH.learn(value)
        register(value)

    handler = _WatchedLogs(level=logging.NOTSET)
    logging.getLogger().addHandler(handler)
    CliRunner.invoke = watched_invoke  # type: ignore[method-assign]
    subprocess.run = watched_run
    redact.register = learning_register
    try:
        yield SECRET_WATCH
    finally:
        CliRunner.invoke = invoke  # type: ignore[method-assign]
        subprocess.run = run
        redact.register = register
        logging.getLogger().removeHandler(handler)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Fail the test phase (setup, call, teardown) in which a secret showed: in a CLI run, a log
    record, or what pytest captured of that phase."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    for title, text in report.sections:
        if title.endswith(f" {report.when}"):  # "Captured stdout call": earlier phases were checked
            SECRET_WATCH.check(text, title)
    leaks = SECRET_WATCH.take()
    if report.when == "teardown":
        SECRET_WATCH.forget()
    if leaks:
        message = f"a test secret appeared in output ({report.when}):\n" + "\n".join(f"  - {leak}" for leak in leaks)
        if report.failed:
            report.sections.append(("secret watch", message))
        else:
            report.outcome, report.longrepr = "failed", f"{item.nodeid}: {message}"


@pytest.fixture
def watch_secret() -> Callable[[str], str]:
    """Watch, until this test ends, a value the test made up as a secret; returns it."""

    def watch(value: str) -> str:
        SECRET_WATCH.learn(value)
        return value

    return watch


def readable(stream: Any, seconds: float) -> bool:
    """Whether `stream` (a pipe, a pty) has data within `seconds`. Not select.select: by then the
    test process may hold file descriptors above 1024 (each in-process CLI run's clients), which
    select refuses."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        return bool(selector.select(seconds))
