"""Connector config values: `${env}` and `${VAR}` references, and which keys hold secrets.

A value is text with references. `${env}` is the name of the environment the plan is for.
`${VAR}` is a variable of the process environment, read at plan/apply time only, and a value that
reads one is a secret as a whole: never printed, never saved, compared with the live value in
memory only. `${provider:path:key}` (with a colon) is Kafka Connect's own config-provider syntax
and goes to the worker unchanged, to be resolved there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

ENV = "env"  # ${env}: the environment's name (a process variable called `env` is not readable)
_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Key words that mark a secret: anywhere in the key (`ssl.key.password`, `aws.secret.access.key`),
# as its last word (`api.key`, `auth.token`), or as its ending (`sasl.jaas.config` holds a password,
# `basic.auth.user.info` is user:password).
_SECRET_WORDS = frozenset({"password", "passwd", "secret", "passphrase", "credentials"})
_SECRET_LAST_WORDS = frozenset({"key", "token", "credential"})
_SECRET_ENDINGS = ("jaas.config", "user.info")


def looks_secret(key: str) -> bool:
    """Whether a config key, by its name, holds a secret (`*.password`, `*.secret`, `*.key`, …)."""
    lowered = key.lower()
    words = re.split(r"[._\-]", lowered)
    return bool(_SECRET_WORDS.intersection(words)) or words[-1] in _SECRET_LAST_WORDS or lowered.endswith(
        _SECRET_ENDINGS
    )


def provider_reference(text: str) -> bool:
    """Whether `text` holds a Connect config-provider reference (`${file:/etc/x.properties:pw}`)."""
    return any(":" in inner for inner in _REFERENCE.findall(text))


@dataclass(frozen=True)
class Template:
    """A config value as written, with its `${env}` and `${VAR}` references."""

    text: str
    variables: tuple[str, ...] = ()  # process-environment variables it reads, in order

    @property
    def secret(self) -> bool:
        return bool(self.variables)

    def resolve(self, env: str, environ: Mapping[str, str]) -> str:
        """The value for environment `env`; every variable must be in `environ` (checked first)."""

        def replace(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner == ENV:
                return env
            return environ[inner] if _VARIABLE.match(inner) else match.group(0)

        return _REFERENCE.sub(replace, self.text)


def parse(text: str) -> tuple[Template, str | None]:
    """The template of a value, and what is wrong with its references (None: nothing). Messages
    name the faulty reference only, never the rest of the value (it may be a pasted secret)."""
    variables: list[str] = []
    for inner in _REFERENCE.findall(text):
        if inner == ENV or ":" in inner:
            continue
        if not _VARIABLE.match(inner):
            shown = inner if len(inner) <= 40 else inner[:40] + "…"
            return Template(text), (
                f"${{{shown}}} is not a reference mqctl or Connect reads: write ${{env}} (the environment's "
                "name), ${VAR} (a variable of the process environment) or ${provider:path:key} (a Connect "
                "config provider)"
            )
        if inner not in variables:
            variables.append(inner)
    if "${" in _REFERENCE.sub("", text):
        return Template(text), "has a ${ that is never closed by }"
    return Template(text, tuple(variables)), None
