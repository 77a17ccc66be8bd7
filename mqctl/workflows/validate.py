"""`mqctl validate`: every spec of every environment (or one), offline; all problems at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mqctl.config import environment_names, load_config
from mqctl.diagnostics import Diagnostic
from mqctl.kinds import KINDS
from mqctl.policies import present as policies_present
from mqctl.spec.loader import load_specs


@dataclass
class Validation:
    diagnostics: list[Diagnostic]  # every problem, each once however many environments show it
    counts: dict[str, int]  # environment -> resources its specs declare


def validate_project(root: Path, env: str | None = None) -> Validation:
    """Secrets are not needed: `${VAR}`s may be unset. Policies, when the project has a policies/
    folder, are checked for each environment."""
    names = [env] if env else environment_names(root)
    found: set[Diagnostic] = set()
    counts = {}
    for name in names:
        config = load_config(root.resolve(), name, secrets=False)
        desired, diagnostics = load_specs(config)
        found.update(diagnostics)
        if policies_present(config.root):
            from mqctl.policies.check import load_and_check  # the policy engine: ~20 ms of imports

            found.update(load_and_check(config, desired, KINDS)[1])
        counts[name] = desired.resource_count()
    return Validation(sorted(found), counts)
