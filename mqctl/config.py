"""`mqctl.yaml`: named environments (how to reach a cluster, its registry and its Kafka Connect
worker), naming rule, policy.

Secrets are written as `${VAR}` and read from the environment only for the environment in use,
so a missing variable of another environment never blocks work. They are wrapped in `Secret`, whose
repr and str never show the value, and every secret value is registered with `mqctl.redact`, the
backstop that masks it in any output.

mqctl.yaml is trusted (owned by the platform team), but a mistake in it must still be a clear error
naming the key, never a traceback nor an echo of a credential: credentials inside the registry
`url:`, a bad port, `timeout_seconds` below 1, a missing TLS file, an empty file.

Files named in `security` and `schema_registry` (CA, client certificate and key) are resolved
against the project root, so `ssl_ca_location: .local-cluster/tls/ca.crt` works from any directory;
a missing one is an error naming the key when an environment is used to connect.
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
from mqctl.diagnostics import Diagnostic, MqctlError, errors_of, warning, warnings_of
from mqctl.safefiles import DEFAULT_MAX_BYTES
from mqctl.textsafe import visible

if TYPE_CHECKING:  # the YAML parser, JSON Schema and RE2 load when mqctl.yaml is read, not on import
    from mqctl.naming import NamingRule
    from mqctl.yamlsource import PathKey, YamlDocument

CONFIG_FILE = "mqctl.yaml"
DEFAULT_TIMEOUT_SECONDS = 15.0
DEFAULT_NAMING_PATTERN = (
    r"^(?P<env>[a-z][a-z0-9]*)\.(?P<domain>[a-z][a-z0-9-]*)"
    r"\.(?P<event>[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*)\.(?P<ver>v[0-9]+)$"
)
RESERVED_DOMAIN = "mqctl"  # `<env>.mqctl.*` holds mqctl's own short-lived topics (throughput probes)
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
SECRET_KEYS = ("password", "ssl_key_password", "client_secret")  # become Secrets, in any section
FILE_KEYS = ("ssl_ca_location", "ssl_certificate_location", "ssl_key_location")
TLS_PROTOCOLS = ("SSL", "SASL_SSL")
DEFAULT_CERTIFICATE_WARNING_DAYS = 30
# Where a file lies on this machine is not part of what a saved plan is about (its digest of the
# environment leaves it out): a plan saved in one checkout must apply from another directory.
LOCAL_PATH: dict[str, Any] = {"fingerprint": False}


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
class OAuthConfig:
    """OAuth 2 client credentials for SASL OAUTHBEARER: both Kafka clients fetch their tokens from
    `token_endpoint_url` as `client_id` (HTTP Basic, as librdkafka sends them)."""

    token_endpoint_url: str
    client_id: str
    client_secret: Secret
    scope: str | None = None
    # SASL extensions sent with the token (RFC 7628), e.g. Confluent Cloud's logicalCluster and identityPoolId
    extensions: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        extensions = self.extensions.items() if isinstance(self.extensions, dict) else self.extensions
        object.__setattr__(self, "extensions", tuple(sorted(extensions)))


@dataclass(frozen=True)
class SecurityConfig:
    """How mqctl authenticates to an environment's brokers: mqctl.yaml's `security` section, its
    secrets resolved from the environment (or left unset by validate, which needs none)."""

    protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    username: str | None = None
    password: Secret | None = None
    ssl_ca_location: str | None = field(default=None, metadata=LOCAL_PATH)  # absolute; None: the system's CAs
    ssl_certificate_location: str | None = field(default=None, metadata=LOCAL_PATH)
    ssl_key_location: str | None = field(default=None, metadata=LOCAL_PATH)
    ssl_key_password: Secret | None = None
    # `password: ${VAR}` names VAR: a users/ spec setting the connecting user's password from the
    # same variable changes nothing (mqctl.connecting), which validate can tell without the value
    password_var: str | None = None
    ssl_endpoint_identification: bool = True  # check the broker certificate names the host mqctl dialled
    certificate_warning_days: int = DEFAULT_CERTIFICATE_WARNING_DAYS  # broker certificate expiry warning
    oauth: OAuthConfig | None = None

    @property
    def tls(self) -> bool:
        """Whether connections are encrypted (SSL or SASL_SSL)."""
        return self.protocol in TLS_PROTOCOLS


@dataclass(frozen=True)
class RegistryConfig:
    """The environment's Schema Registry: its URL and how mqctl authenticates to it."""

    url: str
    username: str | None = None
    password: Secret | None = None
    ssl_ca_location: str | None = field(default=None, metadata=LOCAL_PATH)
    ssl_certificate_location: str | None = field(default=None, metadata=LOCAL_PATH)
    ssl_key_location: str | None = field(default=None, metadata=LOCAL_PATH)


@dataclass(frozen=True)
class ConnectConfig:
    """The Kafka Connect worker (or cluster) of an environment: its REST endpoint."""

    url: str
    username: str | None = None
    password: Secret | None = None
    ssl_ca_location: str | None = None


def server_verification(url: str, ca_location: str | None) -> str | bool:
    """What an HTTP client checks the server at `url` against: the CA file given, else the system's
    trust store (True). False when the URL (every one of a comma-separated list) is plain HTTP, which
    has no TLS to check (a proxy's own TLS is checked apart from this): the client then loads no CA
    store, ~18 ms each (the registry's two clients and Connect's, on every plan of a project with
    schemas and connectors)."""
    if all(urlsplit(part.strip()).scheme.lower() == "http" for part in url.split(",")):
        return False
    return ca_location or True


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
    # specs may change the user mqctl connects as (password, mechanisms, deletion) and its ACLs;
    # off by default, so a pull request cannot lock mqctl out of its cluster (mqctl.connecting)
    allow_self_changes: bool = False
    # "rack-aware": topics whose partitions do not span min(RF, racks) racks are moved until they do
    placement: str = "as-is"

    def __post_init__(self) -> None:
        object.__setattr__(self, "protected_topics", tuple(self.protected_topics))
        object.__setattr__(self, "managed_users", tuple(self.managed_users))


@dataclass(frozen=True)
class Environment:
    """One environment of mqctl.yaml: the cluster it names, how to reach it, and what its specs may do."""

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
    """mqctl.yaml as one environment sees it: the project root every path is confined to, and the
    rules (naming, limits) its specs are checked against."""

    root: Path
    environment: Environment
    naming_pattern: str = DEFAULT_NAMING_PATTERN
    environments: tuple[str, ...] = ()  # every environment mqctl.yaml declares
    limits: Limits = field(default_factory=Limits)
    warnings: tuple[Diagnostic, ...] = ()  # about the environment's settings; shown with the specs' diagnostics

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
        sections = [env.get(name) for name in ("security", "schema_registry")] if isinstance(env, dict) else []
        while sections:  # and the sections inside them (security.oauth's client_secret)
            raw = sections.pop()
            if not isinstance(raw, dict):
                continue
            sections += [value for value in raw.values() if isinstance(value, dict)]
            for key in SECRET_KEYS:
                value = raw.get(key)
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
    """Expand `${VAR}` in every string of one config section (and the sections inside it);
    passwords and client secrets become Secrets."""
    out: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        if isinstance(value, dict):
            value = _section(value, doc, (*path, key), problems)
        elif isinstance(value, str):
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


def _environment_problems(doc: YamlDocument, raw: dict[str, Any], base: tuple[str | int, ...]) -> list[Diagnostic]:
    """Checks of one environment the JSON Schema cannot express."""
    problems = []
    registry = raw.get("schema_registry")
    if isinstance(registry, dict) and isinstance(registry.get("url"), str):
        url = registry["url"]
        expanded = _VAR.sub(lambda m: os.environ.get(m.group(1), "x"), url)
        problems += [doc.error((*base, "schema_registry", "url"), p) for p in _url_problems(url, expanded)]
    return problems


def _resolve_files(section: dict[str, Any], root: Path) -> None:
    """File settings as absolute paths: relative ones are relative to the project root (`~` is the
    home directory), whichever directory mqctl runs in."""
    for key in FILE_KEYS:
        if section.get(key):
            section[key] = str(root / Path(section[key]).expanduser())


def _file_problems(
    section: dict[str, Any], raw: dict[str, Any], doc: YamlDocument, path: PathKey
) -> list[Diagnostic]:
    """A CA, certificate or key file that is not there (or not readable) fails the run before any
    connection is tried, naming the key: the Kafka clients would only time out."""
    problems = []
    for key in FILE_KEYS:
        location = section.get(key)
        if location and not (os.path.isfile(location) and os.access(location, os.R_OK)):
            written = "" if raw[key] == location else f" (written {raw[key]!r}, relative to the project root)"
            problems.append(doc.error((*path, key), f"{location}{written}: no such readable file"))
    return problems


def _warning(doc: YamlDocument, path: PathKey, message: str) -> Diagnostic:
    from mqctl.yamlsource import format_path

    return warning(doc.file, doc.line_of(path), format_path(path), message)


NO_HOSTNAME_CHECK = (
    "false: the broker's certificate is not checked against the host mqctl connects to, so a server "
    "holding any certificate from a trusted CA can pose as the cluster"
)
HTTP_TOKENS = "plain http:// to another host: the client secret and the tokens cross the network unencrypted"


def _security_problems(security: dict[str, Any], doc: YamlDocument, path: PathKey) -> list[Diagnostic]:
    """Errors and warnings about settings that only make sense together (the schema checks each alone)."""
    found = []
    protocol = security.get("protocol", "PLAINTEXT")
    mechanism = security.get("sasl_mechanism")
    oauth = security.get("oauth")
    if mechanism == "OAUTHBEARER":
        if oauth is None:
            found.append(doc.error(path, "sasl_mechanism OAUTHBEARER needs an oauth: section "
                                         "(token_endpoint_url, client_id, client_secret)"))  # fmt: skip
        if "username" in security or "password" in security:
            found.append(doc.error(path, "username and password are not used with OAUTHBEARER: remove them"))
    elif oauth is not None:
        found.append(doc.error((*path, "oauth"), "only used with sasl_mechanism: OAUTHBEARER"))
    elif protocol.startswith("SASL") and not (mechanism and security.get("username") and "password" in security):
        found.append(doc.error(path, "SASL needs sasl_mechanism, username and password"))
    if ("ssl_certificate_location" in security) != ("ssl_key_location" in security):
        found.append(doc.error(path, "a client certificate needs both ssl_certificate_location and ssl_key_location"))
    if "ssl_key_password" in security and "ssl_key_location" not in security:
        found.append(doc.error((*path, "ssl_key_password"), "set, but there is no ssl_key_location"))
    tls_only = [key for key in (*FILE_KEYS, "ssl_key_password", "ssl_endpoint_identification") if key in security]
    if protocol not in TLS_PROTOCOLS and tls_only:
        found.append(_warning(doc, path, f"{', '.join(tls_only)}: ignored, protocol {protocol} does not use TLS "
                                         "(SSL and SASL_SSL do)"))  # fmt: skip
    elif security.get("ssl_endpoint_identification") is False:
        found.append(_warning(doc, (*path, "ssl_endpoint_identification"), NO_HOSTNAME_CHECK))
    if oauth is not None:
        where = (*path, "oauth", "token_endpoint_url")
        url = urlsplit(oauth["token_endpoint_url"])
        if url.scheme not in ("http", "https") or not url.hostname:
            found.append(doc.error(where, "must be an http:// or https:// URL"))
        elif url.scheme == "http" and url.hostname not in ("localhost", "127.0.0.1", "::1"):
            found.append(_warning(doc, where, HTTP_TOKENS))
    return found


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
    problems += _environment_problems(doc, raw, base)
    security = _section(raw.get("security"), doc, (*base, "security"), strict)
    registry = _section(raw.get("schema_registry"), doc, (*base, "schema_registry"), strict)
    connect = _section(raw.get("connect"), doc, (*base, "connect"), strict)
    servers = _expand(raw["bootstrap_servers"], doc, (*base, "bootstrap_servers"), strict)
    reference = _VAR.fullmatch(str((raw.get("security") or {}).get("password", "")))
    if reference is not None:
        security["password_var"] = reference.group(1)
    found = _security_problems(security, doc, (*base, "security"))
    problems += errors_of(found)
    for name, section in (("security", security), ("schema_registry", registry)):
        _resolve_files(section, root)
        if secrets:  # validate runs offline, e.g. on a laptop without CI's certificates
            problems += _file_problems(section, raw.get(name) or {}, doc, (*base, name))
    if problems:
        raise MqctlError("invalid " + CONFIG_FILE, problems)
    if "oauth" in security:
        security["oauth"] = OAuthConfig(**security["oauth"])
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
                         environments=tuple(sorted(envs)), limits=limits, warnings=tuple(warnings_of(found)))
