"""Connector changes: created (or replaced config, new state), deleted. Creates and updates run after
every other kind's (the topics, users, ACLs and subjects a connector uses exist first); deletes
before theirs (a connector stops writing before its topics go)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mqctl.config import Secret
from mqctl.kinds.connectors import NAME
from mqctl.plan import Action, Change

Config = Mapping[str, str | Secret]  # a whole connector config; values read from ${VAR} are Secrets


@dataclass(frozen=True, kw_only=True)
class ConnectorChange(Change):
    kind = NAME
    resource_type = "connector"

    class_name: str = ""
    # the whole config to write (PUT replaces it); None: the config stays as it is
    config: Config | None = field(default=None, repr=False, compare=False)
    state: str | None = None  # running | paused | stopped to bring it to; None: as it is

    def plain_config(self) -> dict[str, str]:
        """The config as the worker takes it: secrets revealed (for the request body only)."""
        return {k: v.reveal() if isinstance(v, Secret) else v for k, v in (self.config or {}).items()}

    def secret_values(self) -> list[str]:
        """The secret values of the config: masked in whatever the worker answers."""
        return [v.reveal() for v in (self.config or {}).values() if isinstance(v, Secret)]


@dataclass(frozen=True, kw_only=True)
class ConnectorCreate(ConnectorChange):
    action = Action.CREATE


@dataclass(frozen=True, kw_only=True)
class ConnectorUpdate(ConnectorChange):
    action = Action.UPDATE


@dataclass(frozen=True, kw_only=True)
class ConnectorDelete(ConnectorChange):
    action = Action.DELETE


CHANGES = (ConnectorCreate, ConnectorUpdate, ConnectorDelete)
