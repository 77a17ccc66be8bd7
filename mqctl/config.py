"""`mqctl.yaml`: named environments (how to reach a cluster and its registry), naming rule, policy.

Secrets are written as `${VAR}` and read from the environment only for the environment in use,
so a missing variable of another environment never blocks work. They are wrapped in `Secret`, whose
repr and str never show the value.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mqctl import schema_check
from mqctl.diagnostics import Diagnostic, MqctlError
from mqctl.yamlsource import YamlDocument, load_yaml_file

CONFIG_FILE = "mqctl.yaml"
DEFAULT_TIMEOUT_SECONDS = 15.0
DEFAULT_NAMING_PATTERN = (
    r"^(?P<env>[a-z][a-z0-9]*)\.(?P<domain>[a-z][a-z0-9-]*)"
    r"\.(?P<event>[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*)\.(?P<ver>v[0-9]+)$"
)
RESERVED_DOMAIN = "mqctl"  # `<env>.mqctl.*` holds mqctl's own short-lived topics (throughput probes)
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Secret:
    """A value that must never be printed, logged or written to a plan file."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.reveal() == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class SecurityConfig:
    protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    username: str | None = None
    password: Secret | None = None
    ssl_ca_location: str | None = None
    ssl_certificate_location: str | None = None
    ssl_key_location: str | None = None
    ssl_key_password: Secret | None = None


@dataclass(frozen=True)
class RegistryConfig:
    url: str
    username: str | None = None
    password: Secret | None = None
    ssl_ca_location: str | None = None
    ssl_certificate_location: str | None = None
    ssl_key_location: str | None = None


@dataclass(frozen=True)
class Overrides:
    """Caps for small clusters: specs keep production values, this environment gets less."""

    max_replication_factor: int | None = None
    max_partitions: int | None = None


@dataclass(frozen=True)
class Policy:
    """Safety limits on destructive changes (octoDNS-style: the plan refuses, not the CLI)."""

    max_deletes: int = 10  # per kind and run
    max_delete_fraction: float = 0.5  # of a kind's managed resources
    max_update_fraction: float = 1.0  # of a kind's managed resources (1: any number)
    protected_topics: tuple[str, ...] = ()  # name globs (without the env) never deleted
    managed_users: tuple[str, ...] = ()  # SCRAM user-name globs this environment owns (may delete)
    manage_cluster_quotas: bool = False  # the <default> and IP quota entities are this environment's
    # replica moves (replication-factor changes): bytes/s each involved broker may spend copying,
    # so a reassignment never starves producers and consumers; and how long apply waits for it
    replication_throttle_bytes: int = 50 * 2**20
    reassignment_timeout_seconds: float = 600.0
    # "rack-aware": topics whose partitions do not span min(RF, racks) racks are moved until they do
    placement: str = "as-is"

    def __post_init__(self) -> None:
        object.__setattr__(self, "protected_topics", tuple(self.protected_topics))
        object.__setattr__(self, "managed_users", tuple(self.managed_users))


@dataclass(frozen=True)
class Environment:
    name: str
    bootstrap_servers: str
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    security: SecurityConfig = field(default_factory=SecurityConfig)
    schema_registry: RegistryConfig | None = None
    overrides: Overrides = field(default_factory=Overrides)
    policy: Policy = field(default_factory=Policy)

    @property
    def prefix(self) -> str:
        """Managed resources of this environment are named `<env>.`…"""
        return f"{self.name}."

    @property
    def timeout_ms(self) -> int:
        """`timeout_seconds` as the Kafka protocol and kafka-python take it."""
        return int(self.timeout_seconds * 1000)


@dataclass(frozen=True)
class ProjectConfig:
    root: Path
    environment: Environment
    naming_pattern: str = DEFAULT_NAMING_PATTERN


def _expand(
    value: str, doc: YamlDocument, path: tuple[str | int, ...], problems: list[Diagnostic] | None
) -> str:
    """Replace `${VAR}` from the environment; with `problems` None (offline use) unset is allowed."""

    def replace(match: re.Match[str]) -> str:
        var = match.group(1)
        if var not in os.environ:
            if problems is not None:
                problems.append(doc.error(path, f"environment variable {var} is not set"))
            return ""
        return os.environ[var]

    return _VAR.sub(replace, value)


def _section(
    raw: dict[str, Any] | None,
    doc: YamlDocument,
    path: tuple[str | int, ...],
    problems: list[Diagnostic] | None,
) -> dict[str, Any]:
    """Expand `${VAR}` in every string of one config section; passwords become Secrets."""
    out: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        if isinstance(value, str):
            value = _expand(value, doc, (*path, key), problems)
            if key in ("password", "ssl_key_password"):
                value = Secret(value)
        out[key] = value
    return out


def _read(root: Path) -> YamlDocument:
    path = root / CONFIG_FILE
    if not path.is_file():
        raise MqctlError(f"{path}: not found; mqctl runs from the project root, next to {CONFIG_FILE}")
    doc = load_yaml_file(path, CONFIG_FILE)
    if isinstance(doc, Diagnostic):
        raise MqctlError(str(doc), [doc])
    problems = schema_check.check(doc, "config")
    if problems:
        raise MqctlError("invalid " + CONFIG_FILE, problems)
    return doc


def environment_names(root: Path) -> list[str]:
    return sorted(_read(root).data["environments"])


def load_config(root: Path, env_name: str, secrets: bool = True) -> ProjectConfig:
    """Read `<root>/mqctl.yaml` and resolve environment `env_name`; raise MqctlError on any problem.

    With `secrets=False` (offline validation) unset `${VAR}`s are not an error."""
    doc = _read(root)
    problems: list[Diagnostic] = []
    strict = problems if secrets else None
    envs: dict[str, Any] = doc.data["environments"]
    if env_name not in envs:
        known = ", ".join(sorted(envs))
        raise MqctlError(f"{CONFIG_FILE}: no environment named {env_name!r} (known: {known})")
    raw = envs[env_name]
    base: tuple[str | int, ...] = ("environments", env_name)
    security = _section(raw.get("security"), doc, (*base, "security"), strict)
    registry = _section(raw.get("schema_registry"), doc, (*base, "schema_registry"), strict)
    servers = _expand(raw["bootstrap_servers"], doc, (*base, "bootstrap_servers"), strict)
    if security.get("protocol", "PLAINTEXT").startswith("SASL") and not (
        security.get("sasl_mechanism") and security.get("username") and "password" in security
    ):
        problems.append(doc.error((*base, "security"), "SASL needs sasl_mechanism, username and password"))
    if problems:
        raise MqctlError("invalid " + CONFIG_FILE, problems)
    environment = Environment(
        name=env_name,
        bootstrap_servers=servers,
        timeout_seconds=float(raw.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)),
        security=SecurityConfig(**security),
        schema_registry=RegistryConfig(**registry) if registry else None,
        overrides=Overrides(**raw.get("overrides", {})),
        policy=Policy(**raw.get("policy", {})),
    )
    pattern = doc.data.get("naming", {}).get("pattern", DEFAULT_NAMING_PATTERN)
    try:
        re.compile(pattern)
    except re.error as exc:
        raise MqctlError(
            str(doc.error(("naming", "pattern"), f"not a valid regular expression: {exc}"))
        ) from exc
    return ProjectConfig(root=root, environment=environment, naming_pattern=pattern)
