"""`mqctl export`, pure part: live snapshots -> spec documents that declare exactly what is there.

Adopting an existing cluster means writing specs whose plan is empty. Each kind has one exporter in
`EXPORTERS`, keyed like KINDS; the CLI snapshots the kinds and writes the files.
"""

from __future__ import annotations

from collections.abc import Mapping

from mqctl.config import Environment
from mqctl.export.access import export_acls, export_users
from mqctl.export.brokers import export_brokers
from mqctl.export.core import (
    SCHEMA_DIR,
    Export,
    ExportContext,
    ExportedFile,
    Exporter,
    Selection,
    Snapshots,
    merge,
)
from mqctl.export.subjects import export_subjects
from mqctl.export.topics import export_topics

EXPORTERS: Mapping[str, Exporter] = {
    "topics": export_topics,
    "brokers": export_brokers,
    "acls": export_acls,
    "users": export_users,
    "schemas": export_subjects,
}


def unavailable(env: Environment) -> dict[str, str]:
    """Kinds this environment cannot hold, and why: export skips them (with a note) instead of failing."""
    return {} if env.schema_registry else {"schemas": "the environment has no schema_registry in mqctl.yaml"}


__all__ = [
    "EXPORTERS",
    "SCHEMA_DIR",
    "Export",
    "ExportContext",
    "ExportedFile",
    "Selection",
    "Snapshots",
    "merge",
    "unavailable",
]
