"""Policies (`policies/*.yaml`): the platform team's rules over every kind's declared resources and
planned changes, checked offline by validate and again at plan. Generic over the kinds registry:
rules read a resource's plain view (`Kind.describe`), never a kind's model."""

from __future__ import annotations

import os
from pathlib import Path

FOLDER = "policies"


def present(root: Path) -> bool:
    """Whether `root` has anything named policies/ (a folder, or something mqctl must refuse as one).
    Without it there are no policies and no policy problems, and validate does not load the engine."""
    return os.path.lexists(root / FOLDER)
