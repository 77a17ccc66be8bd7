"""Connectors: desired ConnectorSpecs vs the live connectors -> create / update / delete.

Pure; the process environment comes in as a mapping, read here at plan time. Config templates are
resolved for the environment; a value that reads a `${VAR}` travels only inside the change, as a
Secret, to the executor. Connect returns live configs in plain text, so whether a secret changed is
decided by comparing the two values here, in memory; the plan (and its file) says only
"(secret changed)". Live values under keys that look like secrets show as "(secret)" too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mqctl.config import Secret
from mqctl.diagnostics import Diagnostic, error, warning
from mqctl.kinds.connectors.changes import Config, ConnectorCreate, ConnectorDelete, ConnectorUpdate
from mqctl.kinds.connectors.live import LiveConnector, LiveConnectors
from mqctl.kinds.connectors.spec import ConnectorSpec
from mqctl.kinds.connectors.values import looks_secret
from mqctl.plan import Change, FieldDiff

SECRET = "(secret)"
SECRET_CHANGED = "(secret changed)"
UNKNOWN = "(unknown)"


def resolve(spec: ConnectorSpec, env: str, environ: Mapping[str, str]) -> tuple[Config | None, list[Diagnostic]]:
    """The whole config the worker is to hold for `spec` in environment `env`, or None with an
    error per variable that is unset or empty."""
    problems = []
    for key, template in sorted(spec.config.items()):
        for variable in template.variables:
            value = environ.get(variable)
            if not value:
                state = "is not set" if value is None else "is empty"
                problems.append(
                    error(*spec.where(key), f"environment variable {variable} {state} (a secret of {spec.full_name})")
                )
    if problems:
        return None, problems
    config: dict[str, str | Secret] = {}
    for key, template in spec.config.items():
        value = template.resolve(env, environ)
        config[key] = Secret(value) if template.secret else value
    config.update({"connector.class": spec.class_name, "tasks.max": str(spec.tasks_max), "name": spec.full_name})
    return config, []


def _shown(key: str, value: str | Secret | None, live: bool = False) -> str | None:
    """How a config value reads in a plan: secrets (and live values under secret-looking keys) never."""
    if value is None:
        return None
    if isinstance(value, Secret) or (live and looks_secret(key)):
        return SECRET
    return value


def _config_diffs(config: Config, current: LiveConnector) -> list[FieldDiff]:
    diffs = []
    for key in sorted(set(config) | set(current.config)):
        if key in ("name", "connector.class", "tasks.max"):
            continue
        wanted, found = config.get(key), current.config.get(key)
        if isinstance(wanted, Secret):
            if wanted.reveal() != found:
                before, after = (None, SECRET) if found is None else (SECRET, SECRET_CHANGED)
                diffs.append(FieldDiff(f"config.{key}", before, after))
        elif wanted != found:
            diffs.append(FieldDiff(f"config.{key}", _shown(key, found, live=True), _shown(key, wanted)))
    return diffs


def _state_diff(spec: ConnectorSpec, current: LiveConnector) -> FieldDiff | None:
    """A connector whose state the worker does not report is taken to run: only a paused or
    stopped spec moves it (pausing or stopping twice is harmless)."""
    if current.state == spec.state or (current.state is None and spec.state == "running"):
        return None
    return FieldDiff("state", current.state or UNKNOWN, spec.state)


def _create(spec: ConnectorSpec, config: Config) -> Change:
    diffs = [
        FieldDiff("class", None, spec.class_name),
        FieldDiff("tasks_max", None, spec.tasks_max),
        FieldDiff("state", None, spec.state),
    ]
    diffs += [FieldDiff(f"config.{key}", None, _shown(key, config[key])) for key in sorted(spec.config)]
    return ConnectorCreate(spec.full_name, tuple(diffs), class_name=spec.class_name, config=config, state=spec.state)


def _update(spec: ConnectorSpec, config: Config, current: LiveConnector) -> Change | None:
    diffs = []
    if current.class_name != spec.class_name:
        diffs.append(FieldDiff("class", current.class_name, spec.class_name))
    if current.tasks_max != str(spec.tasks_max):
        diffs.append(FieldDiff("tasks_max", current.tasks_max, spec.tasks_max))
    diffs += _config_diffs(config, current)
    state = _state_diff(spec, current)
    if not diffs and state is None:
        return None
    return ConnectorUpdate(
        spec.full_name,
        tuple(diffs) + ((state,) if state else ()),
        class_name=spec.class_name,
        config=config if diffs else None,
        state=spec.state if state else None,
    )


def diff_connectors(
    desired: Sequence[ConnectorSpec],
    live: LiveConnectors,
    env: str,
    environ: Mapping[str, str],
) -> tuple[list[Change], list[Diagnostic]]:
    """Changes that make the environment's connectors match `desired`: only connectors under the
    environment's prefix are ever in `live`, so nothing else on the worker is touched."""
    changes: list[Change] = []
    problems: list[Diagnostic] = []
    for spec in desired:
        config, found = resolve(spec, env, environ)
        problems += found
        if config is None:
            continue
        current = live.get(spec.full_name)
        change = _create(spec, config) if current is None else _update(spec, config, current)
        if change is not None:
            changes.append(change)
    wanted = {spec.full_name for spec in desired}
    for name, current in sorted(live.items()):
        if name in wanted:
            continue
        changes.append(
            ConnectorDelete(
                name,
                (FieldDiff("class", current.class_name, None), FieldDiff("state", current.state or UNKNOWN, None)),
                risks=(f"deletes connector {name}: its tasks stop moving data",),
                class_name=current.class_name,
            )
        )
    return changes, problems


def not_applied(desired: Sequence[ConnectorSpec], env: str) -> list[Diagnostic]:
    """An environment without a Connect worker holds no connectors: say so, plan nothing."""
    if not desired:
        return []
    return [
        warning(
            "mqctl.yaml",
            None,
            f"environments.{env}.connect",
            f"connectors/ declares {len(desired)} connector(s), but environment {env} has no connect: "
            "(no Kafka Connect worker), so they are not planned or applied here",
        )
    ]
