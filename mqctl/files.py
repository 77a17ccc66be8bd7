"""Writing generated files into a user's repository: exported specs and the spec JSON Schemas.

Never clobbers a spec someone wrote by hand unless asked to (`--force`); schemas are generated
from the installed mqctl and are always refreshed.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from mqctl.diagnostics import MqctlError
from mqctl.export import ExportedFile


def write_files(base: Path, files: Sequence[ExportedFile], force: bool) -> None:
    existing = [f.path for f in files if (base / f.path).exists()]
    if existing and not force:
        raise MqctlError(
            f"{base}: would overwrite {', '.join(existing)}; export into an empty directory or pass --force"
        )
    for file in files:
        _write(base / file.path, file.text)


def export_schemas(dest: Path) -> list[Path]:
    """Copy every spec JSON Schema of this mqctl (topics, acls, ..., config) to `dest`."""
    written = []
    for entry in sorted(resources.files("mqctl.schemas").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".schema.json"):
            written.append(_write(dest / entry.name, entry.read_text("utf-8")))
    return written


def _write(path: Path, text: str) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise MqctlError(f"cannot write {path}: {exc.strerror}") from None
    return path
