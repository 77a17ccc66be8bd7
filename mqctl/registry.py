"""The one schema-registry transport: the Confluent-compatible REST API, bounded and with readable
failures, through confluent-kafka's SchemaRegistryClient (its public calls) and, for the one call
it cannot make (a compatibility test that returns the registry's reasons), plain HTTP through
httpx2, the HTTP client that SchemaRegistryClient itself runs on.

Every request is bounded by the environment's timeout (no client retries, so a dead registry fails
within it) and every failure becomes a readable message without credentials. This layer speaks in
subjects, versions and schema text; it knows nothing of specs, diffs or plans.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import httpx2 as httpx
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from mqctl.config import Environment, RegistryConfig, server_verification
from mqctl.diagnostics import MqctlError

T = TypeVar("T")
NO_SUBJECT_LEVEL = 40408  # Confluent: the subject has no compatibility level of its own
NOT_FOUND = 404
UNPROCESSABLE = 422
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"

Reference = tuple[str, str, int]  # (name in the schema, subject, version)


@dataclass(frozen=True)
class RegisteredVersion:
    """One version of a subject as the registry stores it."""

    subject: str
    version: int
    schema_type: str  # AVRO | JSON | PROTOBUF
    schema: str
    references: tuple[Reference, ...] = ()


class RegistryFailure(MqctlError):
    """A registry request that failed: what was being done, the registry's reason, and the HTTP
    status (0: no answer)."""

    def __init__(self, doing: str, reason: str, status: int = 0) -> None:
        super().__init__(f"{doing}: {reason}")
        self.reason = reason
        self.status = status


def public_url(url: str) -> str:
    """The URL without any user:password part, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def client_config(env: Environment, registry: RegistryConfig) -> dict[str, Any]:
    conf: dict[str, Any] = {"url": registry.url, "timeout": env.timeout_seconds, "max.retries": 0}
    if registry.username is not None:
        password = registry.password.reveal() if registry.password is not None else ""
        conf["basic.auth.user.info"] = f"{registry.username}:{password}"
    verify = server_verification(registry.url, registry.ssl_ca_location)
    if verify is not True:  # True: the client's own default, the system's trust store
        conf["ssl.ca.location"] = verify
    for key, option in (
        ("ssl.certificate.location", registry.ssl_certificate_location),
        ("ssl.key.location", registry.ssl_key_location),
    ):
        if option:
            conf[key] = option
    return conf


def _http_client(env: Environment, registry: RegistryConfig) -> httpx.Client:
    """The same endpoint, credentials and TLS settings for the calls made over plain HTTP."""
    auth = None
    if registry.username is not None:
        auth = (registry.username, registry.password.reveal() if registry.password is not None else "")
    cert = None
    if registry.ssl_certificate_location:
        cert = (registry.ssl_certificate_location, registry.ssl_key_location or registry.ssl_certificate_location)
    return httpx.Client(
        base_url=registry.url.rstrip("/") + "/",
        auth=auth,
        verify=server_verification(registry.url, registry.ssl_ca_location),
        cert=cert,
        timeout=env.timeout_seconds,
    )


def _schema(schema_type: str, text: str, references: Sequence[Reference]) -> Schema:
    return Schema(text, schema_type, [SchemaReference(name, subject, version) for name, subject, version in references])


class RegistryClient:
    """A connection to one environment's schema registry."""

    def __init__(self, env: Environment) -> None:
        if env.schema_registry is None:
            raise MqctlError(
                f"mqctl.yaml: environment {env.name!r} has no schema_registry, but the project has a "
                f"schemas/ folder; set environments.{env.name}.schema_registry.url"
            )
        self.env = env
        self.url = public_url(env.schema_registry.url)
        self.requests = 0
        try:
            self._client = SchemaRegistryClient(client_config(env, env.schema_registry))
        except (ValueError, TypeError, OSError) as exc:
            raise MqctlError(f"mqctl.yaml: environments.{env.name}.schema_registry: {exc}") from exc

    @cached_property
    def _http(self) -> httpx.Client:
        """The plain-HTTP client, made on first use: only a plan with schema changes needs it, and
        making it (its TLS context) takes ~18 ms of every in-sync plan otherwise."""
        registry = self.env.schema_registry
        assert registry is not None  # checked in __init__
        try:
            return _http_client(self.env, registry)
        except (ValueError, TypeError, OSError) as exc:
            raise MqctlError(f"mqctl.yaml: environments.{self.env.name}.schema_registry: {exc}") from exc

    def close(self) -> None:
        """Close the HTTP connections that are open (kept alive between requests)."""
        self._client.close()
        http = self.__dict__.get("_http")
        if http is not None:
            http.close()

    def _reason(self, exc: Exception) -> tuple[str, int]:
        """One readable line, and the HTTP status; never includes credentials."""
        if isinstance(exc, SchemaRegistryError):
            status = int(exc.http_status_code or 0)
            if status in (401, 403):
                return f"the schema registry at {self.url} refused the credentials (HTTP {status})", status
            return f"{exc.error_message} (HTTP {status}, error code {exc.error_code})", status
        if isinstance(exc, httpx.TimeoutException):
            return f"the schema registry at {self.url} did not answer within {self.env.timeout_seconds:g}s", 0
        return f"cannot reach the schema registry at {self.url} ({exc.__class__.__name__}: {exc})", 0

    def _request(self, doing: str, call: Callable[[SchemaRegistryClient], T]) -> T:
        self.requests += 1
        try:
            return call(self._client)
        except (SchemaRegistryError, httpx.HTTPError) as exc:
            reason, status = self._reason(exc)
            raise RegistryFailure(doing, reason, status) from exc

    def subjects(self, prefix: str) -> list[str]:
        """Subjects whose name starts with `prefix` (soft-deleted ones are gone)."""
        names = self._request(f"list subjects under {prefix}", lambda c: c.get_subjects(subject_prefix=prefix))
        return [name for name in names if name.startswith(prefix)]

    def latest(self, subject: str) -> RegisteredVersion:
        found = self._request(f"read subject {subject}", lambda c: c.get_latest_version(subject))
        refs = tuple((str(r.name), str(r.subject), int(r.version or 0)) for r in found.schema.references or ())
        return RegisteredVersion(
            subject, int(found.version or 0), found.schema.schema_type or "AVRO", found.schema.schema_str or "", refs
        )

    def level(self, subject: str) -> str | None:
        """The subject's own compatibility level; None when it has none."""
        try:
            return str(self._request(f"read the level of {subject}", lambda c: c.get_compatibility(subject)))
        except RegistryFailure as exc:
            if isinstance(exc.__cause__, SchemaRegistryError) and exc.__cause__.error_code == NO_SUBJECT_LEVEL:
                return None
            raise

    def register(self, subject: str, schema_type: str, text: str, references: Sequence[Reference]) -> bool:
        """Register a version; True when the subject then shows it (a version equal to a
        soft-deleted one is not restored by Apicurio, which returns the old id nonetheless)."""
        schema = _schema(schema_type, text, references)
        self._request(f"register a version of {subject}", lambda c: c.register_schema(subject, schema))
        try:
            self._request(f"look up the new version of {subject}", lambda c: c.lookup_schema(subject, schema))
        except RegistryFailure as exc:
            if exc.status != NOT_FOUND:
                raise
            return False
        return True

    def incompatibilities(
        self, subject: str, schema_type: str, text: str, references: Sequence[Reference]
    ) -> list[str] | None:
        """The registry's reasons why this schema may not follow the subject's registered versions
        under its level (empty when it gives none); None when compatible. SchemaRegistryClient's
        test_compatibility returns only a boolean, so this asks the REST API itself, verbosely."""
        body = _schema(schema_type, text, references).to_dict()
        path = f"compatibility/subjects/{quote(subject, safe='')}/versions?verbose=true"
        doing = f"test the compatibility of {subject}"
        self.requests += 1
        try:
            answer = self._http.post(path, json=body, headers={"Content-Type": CONTENT_TYPE})
        except httpx.HTTPError as exc:
            raise RegistryFailure(doing, self._reason(exc)[0]) from exc
        if answer.status_code >= 400:
            raise RegistryFailure(doing, f"{_error_text(answer)} (HTTP {answer.status_code})", answer.status_code)
        data = answer.json()
        if data.get("is_compatible", False):
            return None
        return [str(m) for m in data.get("messages") or []]

    def set_level(self, subject: str, level: str) -> None:
        self._request(f"set the level of {subject}", lambda c: c.set_compatibility(subject, level))

    def delete(self, subject: str) -> None:
        """Soft delete: the versions stay and can be restored."""
        self._request(f"delete subject {subject}", lambda c: c.delete_subject(subject))


def _error_text(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("message") or answer.reason_phrase)
    except ValueError:
        return str(answer.reason_phrase)
