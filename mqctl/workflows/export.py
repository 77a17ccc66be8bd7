"""`mqctl export`: specs from a live cluster (every kind's exporter over its snapshot), and the JSON
Schemas of mqctl.yaml and every kind for editors."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mqctl.config import CONFIG_FILE, load_config
from mqctl.diagnostics import Diagnostic, MqctlError
from mqctl.edges import Edges
from mqctl.exporting import SCHEMA_DIR, Export, ExportContext, ExportedFile, Selection, merge
from mqctl.kinds import KINDS
from mqctl.package_data import package_text
from mqctl.policies.model import SCHEMA as POLICIES_SCHEMA
from mqctl.schema_check import CONFIG_PACKAGE, editor_schema
from mqctl.spec.loader import spec_files
from mqctl.spec.overlay import declares_env
from mqctl.workflows.plan import take_snapshots
from mqctl.yamlsource import load_yaml_file


@dataclass
class ExportRun:
    result: Export
    schemas: list[Path]  # JSON Schemas written for editors
    config_copied: bool  # mqctl.yaml copied next to the specs
    unavailable: dict[str, str]  # kinds not exported, and why


def export_project(root: Path, env: str, out_dir: Path, select: Selection, force: bool) -> ExportRun:
    """Write specs for everything the environment manages, so that `mqctl plan` there is empty."""
    config = load_config(root.resolve(), env)
    environment = config.environment
    ctx = ExportContext(environment, config.naming, select)
    skipped = {kind.name: why for kind in KINDS if (why := kind.unavailable(environment))}
    kinds = [kind for kind in KINDS if kind.name not in skipped]
    with Edges(environment) as edges:
        snapshots = take_snapshots(edges, kinds)
    result = merge([kind.export(snapshots, ctx) for kind in kinds])
    result.notes += _spec_only_notes(config.root, env)
    write_files(out_dir, result.files, force)
    schemas = export_schemas(out_dir / SCHEMA_DIR)
    config_copy = out_dir / CONFIG_FILE
    copied = not config_copy.exists()
    if copied:
        shutil.copyfile(config.root / CONFIG_FILE, config_copy)
    return ExportRun(result, schemas, copied, skipped)


def _spec_only_notes(root: Path, env: str) -> list[str]:
    """What the project's specs say that no cluster holds, so an export cannot write it back."""
    using_env = []
    for kind in KINDS:
        for path in spec_files(root, kind.name):
            doc = load_yaml_file(path, str(path.relative_to(root)))
            if not isinstance(doc, Diagnostic) and declares_env(doc):
                using_env.append(doc.file)
    if not using_env:
        return []
    return [
        f"{', '.join(using_env)} set per-environment values (env:); the export holds the values environment "
        f"{env} has, as plain values (nothing on a cluster says which are shared): move the ones that differ "
        "per environment under env: by hand. Labels and topic keys live in specs only and are not exported"
    ]


def write_files(base: Path, files: Sequence[ExportedFile], force: bool) -> None:
    """Never clobbers a spec someone wrote by hand unless asked to (`--force`)."""
    existing = [f.path for f in files if (base / f.path).exists()]
    if existing and not force:
        raise MqctlError(
            f"{base}: would overwrite {', '.join(existing)}; export into an empty directory or pass --force"
        )
    for file in files:
        _write(base / file.path, file.text)


def export_schemas(dest: Path) -> list[Path]:
    """Copy the JSON Schema of mqctl.yaml and of every kind to `dest` (always refreshed: they are
    generated from the installed mqctl)."""
    sources = [(CONFIG_PACKAGE, "config"), (CONFIG_PACKAGE, POLICIES_SCHEMA)]
    written = []
    for package, name in sorted(sources, key=lambda source: source[1]):
        text = package_text(package, f"{name}.schema.json")
        written.append(_write(dest / f"{name}.schema.json", text))
    for kind in KINDS:
        text = json.dumps(editor_schema(kind.schema, kind.schema_package), indent=2) + "\n"
        written.append(_write(dest / f"{kind.schema}.schema.json", text))
    return sorted(written)


def _write(path: Path, text: str) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise MqctlError(f"cannot write {path}: {exc.strerror}") from None
    return path
