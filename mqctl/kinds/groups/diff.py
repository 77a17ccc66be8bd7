"""Consumer groups: desired GroupSpecs vs the live groups -> GroupConfigUpdate / GroupDelete. Pure.

A declared group's configs are exactly what its spec says: keys set on the cluster but not in the
spec are reset to the broker defaults (shown in the plan). A live group under the environment's
prefix that no spec declares is deleted only when it is empty (a group with members cannot be
deleted; the plan warns instead); apply needs --allow-delete for it. Groups of mqctl's own probes
(`<env>.mqctl.*`) and the replay groups of declared groups (`<group id>.replay`) are never touched.
"""

from __future__ import annotations

from collections.abc import Sequence

from mqctl.config import RESERVED_DOMAIN
from mqctl.diagnostics import Diagnostic, warning
from mqctl.kinds.groups.changes import GroupConfigUpdate, GroupDelete
from mqctl.kinds.groups.live import REPLAY_SUFFIX, LiveGroups
from mqctl.kinds.groups.spec import GroupSpec
from mqctl.kinds.topics.configs import same_as
from mqctl.plan import Change, FieldDiff

DELETE_RISK = "its committed offsets are deleted: a consumer joining it later starts from auto.offset.reset"


def _update(spec: GroupSpec, live: LiveGroups) -> GroupConfigUpdate | None:
    current = live.configs.get(spec.group_id, {})
    diffs: list[FieldDiff] = []
    set_config = {}
    for key, value in sorted(spec.config.items()):
        if not same_as(None, value, current.get(key)):
            set_config[key] = value
            diffs.append(FieldDiff(f"config.{key}", current.get(key), value))
    reset = tuple(sorted(key for key in current if key not in spec.config))
    diffs += [FieldDiff(f"config.{key}", current[key], None) for key in reset]
    if not diffs:
        return None
    return GroupConfigUpdate(spec.group_id, tuple(diffs), set_config=set_config, reset_config=reset)


def diff_groups(
    desired: Sequence[GroupSpec], live: LiveGroups, prefix: str
) -> tuple[list[Change], list[Diagnostic]]:
    changes: list[Change] = []
    problems: list[Diagnostic] = []
    for spec in desired:
        update = _update(spec, live)
        if update is not None:
            changes.append(update)
    declared = {spec.group_id for spec in desired}
    reserved = f"{prefix}{RESERVED_DOMAIN}."
    where = (desired[0].source.file, None) if desired else ("groups/", None)
    for group_id, group in sorted(live.groups.items()):
        if group_id in declared or group_id.startswith(reserved) or group_id.removesuffix(REPLAY_SUFFIX) in declared:
            continue
        if group.empty:
            changes.append(GroupDelete(group_id, (FieldDiff("state", group.state, None),), risks=(DELETE_RISK,)))
        else:
            problems.append(
                warning(
                    *where,
                    "groups",
                    f"group {group_id} ({group.type}, {group.state}) is live under this environment but not "
                    "declared; it has members, so it cannot be deleted (declare it, or stop its consumers)",
                )
            )
    return changes, problems
