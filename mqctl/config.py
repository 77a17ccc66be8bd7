"""`mqctl.yaml`: named environments (how to reach a cluster, its registry and its Kafka Connect
worker), naming rule, policy.

Secrets are written as `${VAR}` and read from the environment only for the environment in use,
so a missing variable of another environment never blocks work. They are wrapped in `Secret`, whose
repr and str never show the value, and every secret value is registered with `mqctl.redact`, the
backstop that masks it in any output.

mqctl.yaml is trusted (owned by the platform team), but a mistake in it must still be a clear error
naming the key, never a traceback nor an echo of a credential: credentials inside the registry
`url:`, a bad port, `timeout_seconds` below 1, a missing TLS file, an empty file.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mqctl import redact
from mqctl.diagnostics import Diagnostic, MqctlError
from mqctl.safefiles import DEFAULT_MAX_BYTES
from mqctl.textsafe import visible

if TYPE_CHECKING:  # the YAML parser, JSON Schema and RE2 load when mqctl.yaml is read, not on import
    from mqctl.naming import NamingRule
    from mqctl.yamlsource import YamlDocument

CONFIG_FILE = "mqctl.yaml"
DEFAULT_TIMEOUT_SECONDS = 15.0
DEFAULT_NAMING_PATTERN = (
    r"^(?P<env>[a-z][a-z0-9]*)\.(?P<domain>[a-z][a-z0-9-]*)"
    r"\.(?P<event>[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*)\.(?P<ver>v[0-9]+)$"
)
RESERVED_DOMAIN = "mqctl"  # `<env>.mqctl.*` holds mqctl's own short-lived topics (throughput probes)
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
SECRET_KEYS = ("password", "ssl_key_password")  # fields of security / schema_registry holding secrets
FILE_KEYS = ("ssl_ca_location", "ssl_certificate_location", "ssl_key_location")


class Secret:
    """A value that must never be printed, logged or written to a plan file. Creating one registers
    the value with the redaction layer, so even a code path that prints it raw prints `***`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        redact.register(value)

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
    # `password: ${VAR}` names VAR: a users/ spec setting the connecting user's password from the
    # same variable changes nothing (mqctl.connecting), which validate can tell without the value
    password_var: str | None = None


@dataclass(frozen=True)
class RegistryConfig:
    url: str
    username: str | None = None
    password: Secret | None = None
    ssl_ca_location: str | None = None
    ssl_certificate_location: str | None = None
    ssl_key_location: str | None = None


@dataclass(frozen=True)
class ConnectConfig:
    """The Kafka Connect worker (or cluster) of an environment: its REST endpoint."""

    url: str
    username: str | None = None
    password: Secret | None = None
    ssl_ca_location: str | None = None


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
    # replica moves (replication-factor changes): bytes/s each involved broker may spend copying,
    # so a reassignment never starves producers and consumers; and how long apply waits for it
    replication_throttle_bytes: int = 50 * 2**20
    reassignment_timeout_seconds: float = 600.0
    # specs may change the user mqctl connects as (password, mechanisms, deletion) and its ACLs;
    # off by default, so a pull request cannot lock mqctl out of its cluster (mqctl.connecting)
    allow_self_changes: bool = False

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
    connect: ConnectConfig | None = None
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
class Limits:
    """Bounds on what specs make mqctl read (`limits:` in mqctl.yaml, for the whole project)."""

    # files a spec names (a schema's `file:`): larger ones are refused unread
    max_referenced_file_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class ProjectConfig:
    root: Path
    environment: Environment
    naming_pattern: str = DEFAULT_NAMING_PATTERN
    environments: tuple[str, ...] = ()  # every environment mqctl.yaml declares
    limits: Limits = field(default_factory=Limits)

    @property
    def naming(self) -> NamingRule:
        """The naming rule compiled with RE2 (linear-time matching, so no topic name can make it
        backtrack for ages); the one place a naming pattern should be compiled."""
        from mqctl.naming import compile_naming

        return compile_naming(self.naming_pattern)

    def unknown_environments(self, names: Iterable[object]) -> list[str]:
        """Each name in `names` that is not an environment of mqctl.yaml, as a readable problem
        (`'prd' is not an environment of mqctl.yaml (did you mean 'prod'?)`): for spec lists such as
        brokers' `environments:`, where a typo would silently apply to nothing."""
        return unknown_environments(names, self.environments)


def unknown_environments(names: Iterable[object], known: Iterable[str]) -> list[str]:
    """See ProjectConfig.unknown_environments."""
    known = sorted(known)
    out = []
    for name in names:
        if isinstance(name, str) and name in known:
            continue
        close = difflib.get_close_matches(str(name), known, n=1) if isinstance(name, str) else []
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
        out.append(f"{visible(repr(name))} is not an environment of {CONFIG_FILE}{hint}")
    return out


def _expand(
    value: str, doc: YamlDocument, path: tuple[str | int, ...], problems: list[Diagnostic] | None,
    secret: bool = False,
) -> str:
    """Replace `${VAR}` from the environment; with `problems` None (offline use) unset is allowed.
    In a secret field each variable's value is registered with the redaction layer."""

    def replace(match: re.Match[str]) -> str:
        var = match.group(1)
        if var not in os.environ:
            if problems is not None:
                problems.append(doc.error(path, f"environment variable {var} is not set"))
            return ""
        if secret:
            redact.register(os.environ[var])
        return os.environ[var]

    return _VAR.sub(replace, value)


def _register_all_secrets(doc: YamlDocument) -> None:
    """Register the values of the variables (and literals) in the secret fields of every environment,
    not only the one in use: CI may hold prod's password while planning dev."""
    envs = doc.data.get("environments")
    for env in envs.values() if isinstance(envs, dict) else ():  # runs before the schema check
        for section in ("security", "schema_registry"):
            raw = env.get(section) if isinstance(env, dict) else None
            for key in SECRET_KEYS:
                value = raw.get(key) if isinstance(raw, dict) else None
                if not isinstance(value, str):
                    continue
                literal = _VAR.sub("", value)
                redact.register(literal if literal == value else None)
                for var in _VAR.findall(value):
                    redact.register(os.environ.get(var))


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
            value = _expand(value, doc, (*path, key), problems, secret=key in SECRET_KEYS)
            if key in SECRET_KEYS:
                value = Secret(value)
        out[key] = value
    return out


def _url_problems(raw: str, expanded: str) -> list[str]:
    """What is wrong with a registry URL, without ever quoting it (it may hold a credential)."""
    for text in (raw, expanded):
        parts = urlsplit(text)
        if "@" in parts.netloc:
            redact.register(parts.password)
            return [
                "credentials inside the url are refused (they would end up in logs and plan fingerprints); "
                "put the user in schema_registry.username and the password in schema_registry.password "
                "as ${VAR}"
            ]
    parts = urlsplit(expanded)
    problems = []
    if parts.scheme not in ("http", "https"):
        problems.append("the url must start with http:// or https://")
    if not parts.hostname:
        problems.append("the url has no host name")
    try:
        port = parts.port
    except ValueError:  # not a number, or over 65535
        port = 0
    if port == 0:
        problems.append("the url's port must be a number from 1 to 65535")
    return problems


def _environment_problems(
    doc: YamlDocument, raw: dict[str, Any], base: tuple[str | int, ...], connecting: bool
) -> list[Diagnostic]:
    """Checks of one environment the JSON Schema cannot express."""
    problems = []
    registry = raw.get("schema_registry")
    if isinstance(registry, dict) and isinstance(registry.get("url"), str):
        url = registry["url"]
        expanded = _VAR.sub(lambda m: os.environ.get(m.group(1), "x"), url)
        problems += [doc.error((*base, "schema_registry", "url"), p) for p in _url_problems(url, expanded)]
    if connecting:  # validate runs offline, e.g. on a laptop without CI's certificates
        for section in ("security", "schema_registry"):
            values = raw.get(section)
            for key in FILE_KEYS:
                location = values.get(key) if isinstance(values, dict) else None
                if not isinstance(location, str):
                    continue
                if not os.path.isfile(_VAR.sub(lambda m: os.environ.get(m.group(1), ""), location)):
                    problems.append(doc.error(
                        (*base, section, key),
                        f"{visible(location)} is not a file (missing, unreadable, or a directory); the TLS "
                        "connection needs it. The path is used as written, relative to the directory mqctl runs in",
                    ))
    return problems


def _read(root: Path) -> YamlDocument:
    from mqctl import schema_check
    from mqctl.yamlsource import load_yaml_file

    path = root / CONFIG_FILE
    if not path.is_file():
        raise MqctlError(f"{path}: not found; mqctl runs from the project root, next to {CONFIG_FILE}")
    doc = load_yaml_file(path, CONFIG_FILE)
    if isinstance(doc, Diagnostic):
        raise MqctlError(str(doc), [doc])
    if doc.data is None:
        raise MqctlError(
            f"{CONFIG_FILE} is empty; it needs `environments:` with at least one environment, e.g.\n"
            "environments:\n  dev:\n    bootstrap_servers: localhost:9092"
        )
    if isinstance(doc.data, dict):
        _register_all_secrets(doc)  # before anything can print: even schema errors are covered
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
    problems += _environment_problems(doc, raw, base, connecting=secrets)
    security = _section(raw.get("security"), doc, (*base, "security"), strict)
    registry = _section(raw.get("schema_registry"), doc, (*base, "schema_registry"), strict)
    connect = _section(raw.get("connect"), doc, (*base, "connect"), strict)
    servers = _expand(raw["bootstrap_servers"], doc, (*base, "bootstrap_servers"), strict)
    reference = _VAR.fullmatch(str((raw.get("security") or {}).get("password", "")))
    if reference is not None:
        security["password_var"] = reference.group(1)
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
        connect=ConnectConfig(**connect) if connect else None,
        overrides=Overrides(**raw.get("overrides", {})),
        policy=Policy(**raw.get("policy", {})),
    )
    pattern = doc.data.get("naming", {}).get("pattern", DEFAULT_NAMING_PATTERN)
    from mqctl.naming import compile_naming

    try:
        re.compile(pattern)
        compile_naming(pattern)
    except (re.error, ValueError) as exc:
        raise MqctlError(str(doc.error(("naming", "pattern"), str(exc)))) from None
    limits = Limits(**doc.data.get("limits", {}))
    return ProjectConfig(root=root, environment=environment, naming_pattern=pattern,
                         environments=tuple(sorted(envs)), limits=limits)
