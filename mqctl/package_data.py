"""Files shipped inside mqctl's packages (JSON Schemas, tuning templates, CI examples), read from
the package's folder. Not through importlib.resources: mqctl is installed as files, never zipped,
and importlib.resources with zipfile and tempfile cost `validate` 4 ms of imports, measured."""

from __future__ import annotations

import importlib
from pathlib import Path


def package_text(package: str, *parts: str) -> str:
    """The UTF-8 text of the file `parts` below the folder of the (imported) package `package`."""
    folder = Path(importlib.import_module(package).__path__[0])
    return folder.joinpath(*parts).read_text("utf-8")
