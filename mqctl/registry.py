"""The one schema-registry boundary: read an environment's subjects, execute subject changes.

Talks the Confluent-compatible REST API through confluent-kafka's SchemaRegistryClient. Every request
is bounded by the environment's timeout (no client retries, so a dead registry fails within it) and
every failure becomes a readable message. Works around what Apicurio's ccompat API lacks:
- the compatibility test returns no reasons (`verbose` is ignored): the plan says so;
- the compatibility test cannot resolve references (HTTP 422 "Syntax violation" even for a
  compatible schema): such a schema is not pre-checked by the plan; registering it at apply is
  still checked by the registry, which then refuses it with its reason and registers nothing;
- registering content identical to a soft-deleted version returns the old id but leaves the
  version deleted: each registration is confirmed by a lookup, and that case reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.common._httpx_compat import httpx  # the HTTP library the client uses
from confluent_kafka.schema_registry.error import SchemaRegistryError

from mqctl.apply import Results
from mqctl.config import Environment, RegistryConfig
from mqctl.diagnostics import MqctlError
from mqctl.diff.subjects import (
    LiveSubject,
    RegistryState,
    SubjectCompatibility,
    SubjectDelete,
    SubjectRegister,
)
from mqctl.plan import Change
from mqctl.spec.model import SubjectReference

T = TypeVar("T")
C = TypeVar("C", bound=Change)
NO_SUBJECT_LEVEL = 40408  # Confluent: the subject has no compatibility level of its own
UNPROCESSABLE = 422


def _public_url(url: str) -> str:
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
    for key, option in (
        ("ssl.ca.location", registry.ssl_ca_location),
        ("ssl.certificate.location", registry.ssl_certificate_location),
        ("ssl.key.location", registry.ssl_key_location),
    ):
        if option:
            conf[key] = option
    return conf


class SchemaRegistry:
    """A connection to one environment's schema registry."""

    def __init__(self, env: Environment) -> None:
        if env.schema_registry is None:
            raise MqctlError(
                f"mqctl.yaml: environment {env.name!r} has no schema_registry, but the project has a "
                f"schemas/ folder; set environments.{env.name}.schema_registry.url"
            )
        self.env = env
        self.url = _public_url(env.schema_registry.url)
        try:
            self._client = SchemaRegistryClient(client_config(env, env.schema_registry))
        except (ValueError, TypeError, OSError) as exc:
            raise MqctlError(f"mqctl.yaml: environments.{env.name}.schema_registry: {exc}") from exc

    def _reason(self, exc: Exception) -> str:
        """One readable line; never includes credentials."""
        if isinstance(exc, SchemaRegistryError):
            if exc.http_status_code in (401, 403):
                return f"the schema registry at {self.url} refused the credentials (HTTP {exc.http_status_code})"
            return f"{exc.error_message} (HTTP {exc.http_status_code}, error code {exc.error_code})"
        if isinstance(exc, httpx.TimeoutException):
            return f"the schema registry at {self.url} did not answer within {self.env.timeout_seconds:g}s"
        return f"cannot reach the schema registry at {self.url} ({exc.__class__.__name__}: {exc})"

    def _call(self, doing: str, request: Callable[[], T]) -> T:
        try:
            return request()
        except (SchemaRegistryError, httpx.HTTPError) as exc:
            raise MqctlError(f"{doing}: {self._reason(exc)}") from exc

    def _level(self, subject: str) -> str | None:
        try:
            return str(self._client.get_compatibility(subject))
        except SchemaRegistryError as exc:
            if exc.error_code == NO_SUBJECT_LEVEL:
                return None
            raise

    def _live(self, subject: str) -> LiveSubject:
        latest = self._client.get_latest_version(subject)
        refs = tuple(SubjectReference(str(r.name), str(r.subject), r.version) for r in latest.schema.references or ())
        return LiveSubject(
            name=subject,
            version=int(latest.version or 0),
            schema_type=latest.schema.schema_type or "AVRO",
            schema=latest.schema.schema_str or "",
            references=refs,
            compatibility=self._level(subject),
        )

    def _read(self, subject: str) -> LiveSubject:
        return self._call(f"read subject {subject}", lambda: self._live(subject))

    def snapshot(self, prefix: str) -> RegistryState:
        """The latest version and level of every subject under `prefix` (soft-deleted ones are gone)."""
        names = self._call(f"list subjects under {prefix}", lambda: self._client.get_subjects(subject_prefix=prefix))
        subjects = {name: self._read(name) for name in names if name.startswith(prefix)}
        return RegistryState(subjects)

    def _schema(self, change: SubjectRegister) -> Schema:
        refs = [
            SchemaReference(r.name, r.subject, r.version or self._client.get_latest_version(r.subject).version)
            for r in change.references
        ]
        return Schema(change.schema, change.schema_type, refs)

    def _incompatibility(self, change: SubjectRegister) -> str | None:
        """Ask the registry whether the new version may follow the registered ones (under the
        subject's level, transitive or not). The client's test_compatibility drops the registry's
        messages, so the request goes through its REST client with verbose=true."""
        body = self._schema(change).to_dict()
        path = f"compatibility/subjects/{quote(change.name, safe='')}/versions?verbose=true"
        try:
            answer = self._client._rest_client.post(path, body=body)
        except SchemaRegistryError as exc:
            if change.references and exc.http_status_code == UNPROCESSABLE:
                return None  # Apicurio cannot test schemas with references; register still checks
            raise
        if answer.get("is_compatible", False):
            return None
        messages = "; ".join(str(m) for m in answer.get("messages") or [])
        return f"the new schema is incompatible with the registered version(s) of {change.name}: " + (
            messages
            or "the registry gives no reason (Apicurio's ccompat API returns none); "
            "registering it would show the registry's diff"
        )

    def _register(self, change: SubjectRegister) -> str | None:
        schema = self._schema(change)
        self._client.register_schema(change.name, schema)
        try:
            self._client.lookup_schema(change.name, schema)
        except SchemaRegistryError as exc:
            if exc.http_status_code != 404:
                raise
            return (
                "the registry accepted the schema but the subject does not show it: it equals a "
                "soft-deleted version, which Apicurio does not restore. Delete the subject permanently "
                "or change the schema"
            )
        return None

    def _check(self, change: SubjectRegister) -> str | None:
        return self._incompatibility(change) if change.check and change.latest_version else None

    def _set_level(self, change: SubjectCompatibility) -> None:
        self._client.set_compatibility(change.name, change.level)

    def _delete(self, change: SubjectDelete) -> None:
        self._client.delete_subject(change.name)  # soft: the versions stay and can be restored

    def _each(self, changes: Sequence[C], action: Callable[[C], str | None]) -> Results:
        """Run `action` per change in order; a failure is recorded against its change only."""
        outcome: Results = {}
        for change in changes:
            try:
                outcome[change.name] = action(change)
            except (SchemaRegistryError, httpx.HTTPError) as exc:
                outcome[change.name] = self._reason(exc)
        return outcome

    def register(self, changes: Sequence[SubjectRegister], validate_only: bool = False) -> Results:
        """In plan order (referenced subjects first); validate-only asks for a compatibility check."""
        return self._each(changes, self._check if validate_only else self._register)

    def set_levels(self, changes: Sequence[SubjectCompatibility], validate_only: bool = False) -> Results:
        if validate_only:  # a level from the spec's enum is always accepted
            return {c.name: None for c in changes}
        return self._each(changes, self._set_level)

    def delete(self, changes: Sequence[SubjectDelete], validate_only: bool = False) -> Results:
        if validate_only:
            return {c.name: None for c in changes}
        return self._each(changes, self._delete)

    def executors(self) -> dict[type[Change], Callable[[Sequence[Any], bool], Results]]:
        return {SubjectCompatibility: self.set_levels, SubjectRegister: self.register, SubjectDelete: self.delete}
