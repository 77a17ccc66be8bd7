"""`mqctl init`: the files a new project starts from, so a team need not copy mqctl's repository.

One environment in `mqctl.yaml`, a folder per kind of the registry (`KINDS`) holding one spec file
with its yaml-language-server modeline and an empty list, the JSON Schemas those modelines point at,
and a CI pipeline from the packaged examples. Nothing that exists is overwritten.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mqctl.config import ConnectConfig, Environment, RegistryConfig
from mqctl.diagnostics import MqctlError
from mqctl.exporting import SCHEMA_DIR, schema_comment
from mqctl.kinds import KINDS
from mqctl.package_data import package_text
from mqctl.policies import FOLDER as POLICY_FOLDER
from mqctl.schema_check import load_schema
from mqctl.workflows.export import export_schemas

ENV_NAME = re.compile(r"^[a-z][a-z0-9]*$")
CI_FILES = {  # --ci NAME -> (packaged example, where the project keeps it)
    "github": ("github-actions.yml", ".github/workflows/mqctl.yml"),
    "gitlab": ("gitlab-ci.yml", ".gitlab-ci.yml"),
}
# the lines of the CI examples that list the folders whose changes start a pipeline
_CI_PATHS = {
    "github": (re.compile(r"^(\s*paths: )\[.*\]$", re.M), "{}/**"),
    "gitlab": (re.compile(r"^(\s*changes: )\[.*\]$", re.M), "{}/**/*"),
}

CONFIG = """\
# yaml-language-server: $schema={schemas}/config.schema.json
# Environments mqctl manages. Spec names are written without the environment: mqctl prefixes topics,
# ACLs, subjects and connectors with "<env>." and only ever touches what is under that prefix.
environments:
  {env}:
    bootstrap_servers: {bootstrap}
    timeout_seconds: 15            # every cluster call is bounded by this
    # security:                    # PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
    #   protocol: SASL_SSL
    #   sasl_mechanism: SCRAM-SHA-512
    #   username: mqctl
    #   password: ${{KAFKA_ADMIN_PASSWORD}}   # read from the environment; never printed or saved
{registry}{connect}    policy:
      max_deletes: 10              # more deletions of a kind in one run are refused
"""


@dataclass(frozen=True)
class Scaffold:
    files: dict[str, str]  # path relative to the project root -> text
    left_out: dict[str, str]  # kind -> why its folder was not made (the environment cannot hold it)

    @property
    def folders(self) -> list[str]:
        return sorted({path.split("/")[0] for path in self.files if "/" in path and not path.startswith(".")})


def _empty_document(kind_schema: dict[str, Any]) -> str:
    """The smallest document the kind's schema accepts: its required top-level key, empty."""
    key = kind_schema["required"][0]
    return f"{key}: {'{}' if kind_schema['properties'][key].get('type') == 'object' else '[]'}\n"


def _summary(kind: object) -> str:
    """The first line of the kind package's docstring: what the kind declares."""
    doc = sys.modules[type(kind).__module__].__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _ci_text(name: str) -> str:
    packaged, _ = CI_FILES[name]
    text = package_text("mqctl", "ci", packaged)
    pattern, glob = _CI_PATHS[name]
    folders = ["mqctl.yaml", *(glob.format(k.name) for k in KINDS), glob.format(POLICY_FOLDER)]
    return pattern.sub(lambda m: m.group(1) + json.dumps(folders), text)


def _section(key: str, url: str | None, what: str) -> str:
    if url is None:
        return f"    # {key}:{' ' * (27 - len(key))}# {what}\n    #   url: https://{key.split('_')[-1]}.example:8081\n"
    return f"    {key}:{' ' * (29 - len(key))}# {what}\n      url: {url}\n"


def scaffold(
    env: str, bootstrap: str, ci: str | None, registry: str | None = None, connect: str | None = None
) -> Scaffold:
    """The starter files (pure): mqctl.yaml, one spec file per kind the environment can hold (a kind
    that needs a registry or a Connect worker it was not given is left out, and said why), the CI
    pipeline."""
    if not ENV_NAME.match(env):
        raise MqctlError(f"--env must be a lower-case name like dev or prod (letters and digits), got {env!r}")
    if ci is not None and ci not in CI_FILES:
        raise MqctlError(f"--ci must be one of {', '.join(CI_FILES)} or none, got {ci!r}")
    files = {"mqctl.yaml": CONFIG.format(
        schemas=SCHEMA_DIR, env=env, bootstrap=bootstrap,
        registry=_section("schema_registry", registry, "for schemas/ (--registry URL)"),
        connect=_section("connect", connect, "the Kafka Connect worker that runs connectors/ (--connect URL)"),
    )}
    environment = Environment(
        env, bootstrap, schema_registry=RegistryConfig(registry) if registry else None,
        connect=ConnectConfig(connect) if connect else None,
    )
    left_out = {kind.name: why for kind in KINDS if (why := kind.unavailable(environment))}
    for kind in KINDS:
        if kind.name in left_out:
            continue
        path = f"{kind.name}/{kind.name}.yaml"
        what = _summary(kind)
        files[path] = (
            schema_comment(path, kind.schema)
            + (f"# {what}\n" if what else "")
            + f"# This folder puts {kind.name} under mqctl's management; delete it to leave them alone.\n"
            + _empty_document(load_schema(kind.schema, kind.schema_package))
        )
    if ci is not None:
        files[CI_FILES[ci][1]] = _ci_text(ci)
    return Scaffold(files, left_out)


def write_scaffold(root: Path, made: Scaffold, force: bool = False) -> list[Path]:
    """Write the starter files and the JSON Schemas; refuse (writing nothing) if any file exists."""
    existing = [path for path in made.files if (root / path).exists()]
    if existing and not force:
        raise MqctlError(
            f"refusing to overwrite {', '.join(sorted(existing))} in {root} (nothing was written); "
            "init starts a new project: run it in an empty directory, or pass --force"
        )
    written = []
    for relative, text in made.files.items():
        path = root / relative
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise MqctlError(f"cannot write {path}: {exc.strerror}") from None
        written.append(path)
    return written + export_schemas(root / SCHEMA_DIR)
