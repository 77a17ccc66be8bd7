"""Broker, producer, consumer and topic tuning templates: data files in mqctl/templates/, rendered here.

The settings and their reasons live in YAML so a reviewer reads one table per kind, not code. This
module only validates that data strictly (unknown fields are errors), picks a profile, evaluates the
machine-shape formulas of broker templates and writes .properties, YAML or JSON. Pure: no Kafka.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

import yaml

from mqctl.package_data import package_text

KINDS = ("broker", "producer", "consumer", "topic")
# Machine shapes a template is rendered for; beyond these the host is not real and log.dirs alone
# (one entry per disk) would grow without bound.
MAX_CORES = 1024
MAX_DISKS = 256
MAX_RACK = 255
PROFILES = ("durable", "throughput", "latency")
OUTPUTS = ("properties", "yaml", "json")

Scalar = str | int | float | bool


class TemplateError(ValueError):
    """Bad template data or a request the template cannot answer (unknown kind, profile, machine)."""


@dataclass(frozen=True)
class Machine:
    """The shape of the broker host the template is rendered for."""

    cores: int
    disks: int
    rack: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"cores": self.cores, "disks": self.disks, "rack": self.rack}


@dataclass(frozen=True)
class Setting:
    """One rendered setting; value None means it needs machine input that was not given."""

    key: str
    value: Scalar | None
    why: str
    formula: str | None = None  # how a machine-dependent value was computed, for the reader
    check: bool = True  # compared by `mqctl brokers check` (false for host-specific keys)

    @property
    def text(self) -> str | None:
        """The value as Kafka writes it in .properties and returns it from describe_configs."""
        if self.value is None:
            return None
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value)

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, "value": self.value, "why": self.why, "formula": self.formula,
                "check": self.check}


@dataclass(frozen=True)
class Rendered:
    kind: str
    profile: str
    description: str
    machine: Machine | None
    settings: tuple[Setting, ...]

    def get(self, key: str) -> Setting:
        for setting in self.settings:
            if setting.key == key:
                return setting
        raise KeyError(key)

    def values(self) -> dict[str, str]:
        """Key -> text of every setting that has a value."""
        return {s.key: s.text for s in self.settings if s.text is not None}

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "profile": self.profile,
            "machine": self.machine.to_dict() if self.machine else None,
            "settings": [s.to_dict() for s in self.settings],
        }


# --- formulas: value: {<name>: k, min: a, max: b} etc., each one lookup, no if-chains ------------------

_SCALES: dict[str, tuple[Callable[[Machine], Fraction], str]] = {
    "per_core": (lambda m: Fraction(m.cores), "{k} * {m.cores} cores"),
    "per_disk": (lambda m: Fraction(m.disks), "{k} * {m.disks} disks"),
    "per_core_per_disk": (lambda m: Fraction(m.cores, m.disks), "{k} * {m.cores} cores / {m.disks} disks"),
}


def _scaled(name: str, spec: Mapping[str, Any], machine: Machine) -> tuple[int, str]:
    scale, words = _SCALES[name]
    k = spec[name]
    raw = Fraction(repr(k)) * scale(machine)
    value = -(-raw.numerator // raw.denominator)
    text = f"ceil({words.format(k=k, m=machine)})"
    if "min" in spec:
        value = max(value, spec["min"])
        text += f", at least {spec['min']}"
    if "max" in spec:
        value = min(value, spec["max"])
        text += f", at most {spec['max']}"
    return value, text


def _each_disk(name: str, spec: Mapping[str, Any], machine: Machine) -> tuple[str, str]:
    pattern: str = spec[name]
    dirs = ",".join(pattern.format(n=n) for n in range(1, machine.disks + 1))
    return dirs, f"one per disk ({machine.disks})"


_MACHINE_FIELDS: dict[str, Callable[[Machine], str | None]] = {"rack": lambda m: m.rack}


def _machine_field(name: str, spec: Mapping[str, Any], machine: Machine) -> tuple[str | None, str]:
    return _MACHINE_FIELDS[spec[name]](machine), f"--{spec[name]}"


_FORMULAS: dict[str, tuple[Callable[[str, Mapping[str, Any], Machine], tuple[Any, str]], set[str]]] = {
    **{name: (_scaled, {"min", "max"}) for name in _SCALES},
    "each_disk": (_each_disk, set()),
    "machine": (_machine_field, set()),
}


# --- loading -----------------------------------------------------------------------------------------

def _check_value(where: str, value: Any, has_machine: bool) -> None:
    if isinstance(value, Scalar):
        return
    if not isinstance(value, dict):
        raise TemplateError(f"{where}: value must be a scalar or a formula mapping, got {value!r}")
    names = [k for k in value if k in _FORMULAS]
    if len(names) != 1:
        raise TemplateError(f"{where}: a formula needs exactly one of {', '.join(_FORMULAS)}")
    if not has_machine:
        raise TemplateError(f"{where}: formulas need a `machine:` block with the reference machine")
    extra = set(value) - {names[0]} - _FORMULAS[names[0]][1]
    if extra:
        raise TemplateError(f"{where}: unknown formula field(s) {', '.join(sorted(extra))}")
    if names[0] == "machine" and value["machine"] not in _MACHINE_FIELDS:
        raise TemplateError(f"{where}: machine field must be one of {', '.join(_MACHINE_FIELDS)}")


def _check_fields(where: str, data: Any, required: set[str], optional: set[str]) -> None:
    if not isinstance(data, dict):
        raise TemplateError(f"{where}: expected a mapping")
    missing, unknown = required - set(data), set(data) - required - optional
    if missing:
        raise TemplateError(f"{where}: missing {', '.join(sorted(missing))}")
    if unknown:
        raise TemplateError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")


def validate(kind: str, data: Any) -> dict[str, Any]:
    """Strict structure check of one template file, so a typo in the data fails loudly in tests."""
    where = f"templates/{kind}.yaml"
    _check_fields(where, data, {"kind", "description", "settings"}, {"machine"})
    if data["kind"] != kind:
        raise TemplateError(f"{where}: kind is {data['kind']!r}, expected {kind!r}")
    if "machine" in data:
        _check_fields(f"{where}: machine", data["machine"], {"cores", "disks"}, set())
    has_machine = "machine" in data
    for key, setting in data["settings"].items():
        at = f"{where}: {key}"
        _check_fields(at, setting, {"value", "why"}, {"check", "profiles"})
        _check_value(at, setting["value"], has_machine)
        for profile, override in setting.get("profiles", {}).items():
            if profile not in PROFILES:
                raise TemplateError(f"{at}: unknown profile {profile!r} (known: {', '.join(PROFILES)})")
            _check_fields(f"{at}: profiles.{profile}", override, {"value", "why"}, set())
            _check_value(f"{at}: profiles.{profile}", override["value"], has_machine)
    return dict(data)


@cache
def load(kind: str) -> dict[str, Any]:
    """The validated data of mqctl/templates/<kind>.yaml (package data)."""
    if kind not in KINDS:
        raise TemplateError(f"unknown template {kind!r} (known: {', '.join(KINDS)})")
    text = package_text("mqctl", "templates", f"{kind}.yaml")
    return validate(kind, yaml.safe_load(text))


# --- rendering ---------------------------------------------------------------------------------------

def _machine(
    data: Mapping[str, Any], cores: int | None, disks: int | None, rack: str | None
) -> Machine | None:
    if "machine" not in data:
        if cores is not None or disks is not None or rack is not None:
            raise TemplateError(f"--cores, --disks and --rack apply to broker templates, not {data['kind']}")
        return None
    reference = data["machine"]
    machine = Machine(
        cores=reference["cores"] if cores is None else cores,
        disks=reference["disks"] if disks is None else disks,
        rack=rack,
    )
    for name, count, most in (("cores", machine.cores, MAX_CORES), ("disks", machine.disks, MAX_DISKS)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise TemplateError(f"--{name} must be a whole number ≥ 1, got {count!r}")
        if count > most:
            shown = f"{count:,}" if count < 10**15 else f"about 10^{len(str(count)) - 1}"
            raise TemplateError(f"--{name} must be at most {most:,}, got {shown}: no broker host has more "
                                f"{name} than that")
    if rack is not None and not rack.strip():
        raise TemplateError("--rack must not be empty")
    if rack is not None and (len(rack) > MAX_RACK or not rack.isprintable()):
        raise TemplateError(f"--rack must be at most {MAX_RACK} printable characters (it is written into "
                            "server.properties, where a newline would start another setting)")
    return machine


def render(
    kind: str, profile: str, *, cores: int | None = None, disks: int | None = None, rack: str | None = None
) -> Rendered:
    """The settings of `kind` for `profile`, machine formulas evaluated for the given (or reference) shape."""
    data = load(kind)
    if profile not in PROFILES:
        raise TemplateError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
    machine = _machine(data, cores, disks, rack)
    settings = []
    for key, setting in data["settings"].items():
        chosen = setting.get("profiles", {}).get(profile, setting)
        value, formula = chosen["value"], None
        if isinstance(value, dict) and machine is not None:
            name = next(k for k in value if k in _FORMULAS)
            value, formula = _FORMULAS[name][0](name, value, machine)
        settings.append(Setting(key, value, chosen["why"], formula, setting.get("check", True)))
    return Rendered(kind, profile, data["description"], machine, tuple(settings))


def _header(rendered: Rendered) -> list[str]:
    head = [f"# mqctl template {rendered.kind} --profile {rendered.profile}: {rendered.description}"]
    if rendered.machine:
        m = rendered.machine
        head.append(f"# machine: {m.cores} cores, {m.disks} disk(s), rack {m.rack or '(not given)'}")
    return head


def _comments(setting: Setting) -> list[str]:
    lines = [f"# {setting.why}"]
    if setting.formula:
        lines.append(f"# = {setting.formula}")
    return lines


def to_properties(rendered: Rendered) -> str:
    """Java .properties with a `# why` comment above every key; unset keys are commented out."""
    lines = _header(rendered)
    for s in rendered.settings:
        lines += ["", *_comments(s)]
        lines.append(f"{s.key}={s.text}" if s.text is not None else f"#{s.key}=  (not set: give {s.formula})")
    return "\n".join(lines) + "\n"


def to_yaml(rendered: Rendered) -> str:
    """A YAML mapping key: value, with the same comments as the .properties output."""
    lines = _header(rendered)
    for s in rendered.settings:
        lines += ["", *_comments(s)]
        if s.value is None:
            lines.append(f"# {s.key}:  (not set: give {s.formula})")
        else:
            lines.append(yaml.safe_dump({s.key: s.value}, allow_unicode=True, width=1000).rstrip("\n"))
    return "\n".join(lines) + "\n"


def to_json(rendered: Rendered) -> str:
    return json.dumps(rendered.to_dict(), indent=2, ensure_ascii=False) + "\n"


FORMATTERS: dict[str, Callable[[Rendered], str]] = {
    "properties": to_properties,
    "yaml": to_yaml,
    "json": to_json,
}
