"""What every exporter shares: the selection, the context, the result, and how a spec file reads.

Each kind's exporter (`Kind.export`) turns the live snapshots into spec files that declare exactly
what is there, so that a plan from the export is empty. Where the spec format
cannot say something exactly, the exporter leaves it out with a note rather than write it inexactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from mqctl.spec.units import format_ms, parse_duration_ms, parse_integer

if TYPE_CHECKING:
    from mqctl.config import Environment
    from mqctl.naming import NamingRule

SCHEMA_DIR = ".mqctl/schemas"  # where `mqctl schema export` puts the JSON Schemas by default


@dataclass(frozen=True)
class Selection:
    """--include / --exclude globs over names without the environment prefix."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __call__(self, name: str) -> bool:
        included = not self.include or any(fnmatchcase(name, g) for g in self.include)
        return included and not any(fnmatchcase(name, g) for g in self.exclude)


@dataclass(frozen=True)
class ExportContext:
    env: Environment
    naming: NamingRule  # mqctl.yaml's naming rule (RE2): its `domain` group names the topic file
    select: Selection


@dataclass(frozen=True)
class ExportedFile:
    path: str  # relative to the export directory, e.g. topics/order.yaml
    text: str


@dataclass
class Export:
    files: list[ExportedFile]
    left_out: list[str]  # names not exported (excluded), which a plan may show as deletes or drift
    notes: list[str]  # what the user should check before relying on the specs
    variables: list[str] = field(default_factory=list)  # environment variables plan and apply will read


def schema_comment(path: str, schema: str) -> str:
    """The yaml-language-server line for a spec file at `path`, pointing at the exported schemas."""
    up = "../" * path.count("/")
    return f"# yaml-language-server: $schema={up}{SCHEMA_DIR}/{schema}.schema.json\n"


def document(path: str, schema: str, env: str, body: Mapping[str, Any]) -> ExportedFile:
    header = schema_comment(path, schema) + f"# Exported by `mqctl export` from environment {env}.\n"
    import yaml  # only export writes YAML; `mqctl schema export --help` does not need it

    return ExportedFile(path, header + yaml.safe_dump(dict(body), sort_keys=False, allow_unicode=True, width=100))


def config_value(key: str, value: str) -> str | int:
    """How a live config value reads in a spec: durations for `.ms` keys when exact (`7d`),
    integers as integers, everything else as Kafka reports it."""
    number = parse_integer(value)  # ASCII digits only: `str.isdigit` also takes `²`, which int() refuses
    if key.endswith(".ms") and number is not None:
        readable = format_ms(value)
        if not readable.endswith("ms") and parse_duration_ms(readable) == number:
            return readable
    return number if number is not None else value


def merge(exports: Sequence[Export]) -> Export:
    return Export(
        [f for e in exports for f in e.files],
        [n for e in exports for n in e.left_out],
        [n for e in exports for n in e.notes],
        [v for e in exports for v in e.variables],
    )
