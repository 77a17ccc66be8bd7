"""`mqctl validate`: every spec of every environment (or one), offline; all problems at once."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mqctl.config import ProjectConfig, environment_names, load_config
from mqctl.diagnostics import Diagnostic
from mqctl.kinds import KINDS
from mqctl.policies import present as policies_present
from mqctl.spec.loader import Parsed, load_specs

if TYPE_CHECKING:
    from mqctl.policies.check import PolicyCheck


@dataclass
class Validation:
    """What `mqctl validate` found across the environments it checked."""

    diagnostics: list[Diagnostic]  # every problem, each once however many environments show it
    counts: dict[str, int]  # environment -> resources its specs declare


def validate_project(root: Path, env: str | None = None) -> Validation:
    """Secrets are not needed: `${VAR}`s may be unset. Policies, when the project has a policies/
    folder, are checked for each environment (their CEL evaluator starts before the first parse)."""
    names = [env] if env else environment_names(root)
    configs = [load_config(root.resolve(), name, secrets=False) for name in names]
    found: set[Diagnostic] = set()
    counts = {}
    # every environment reads the same files: parsed once, copied for each (one environment
    # changes its parse in place, no copy)
    parsed: Parsed | None = {} if len(configs) > 1 else None
    with _policy_check(configs[0]) if configs else nullcontext() as policies:
        for config in configs:
            desired, diagnostics = load_specs(config, parsed)
            found.update(diagnostics)
            if policies is not None:
                found.update(policies.check(desired))
            counts[config.environment.name] = desired.resource_count()
    return Validation(sorted(found), counts)


def _policy_check(config: ProjectConfig) -> AbstractContextManager[PolicyCheck | None]:
    """The project's policies (every environment has the same), or nothing without a policies/ folder."""
    if not policies_present(config.root):
        return nullcontext()
    from mqctl.policies.check import PolicyCheck  # the policy engine: ~20 ms of imports

    return PolicyCheck(config, KINDS)
