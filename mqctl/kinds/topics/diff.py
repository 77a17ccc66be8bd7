"""Topics: desired TopicSpecs vs the live snapshot -> TopicCreate / TopicUpdate / TopicDelete.

Pure: no I/O. Everything the cluster alone can tell (broker count, existing names) comes in
through the LiveTopics snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase

from mqctl.diagnostics import Diagnostic, error, warning
from mqctl.kinds.topics.changes import Move, TopicCreate, TopicDelete, TopicReassign, TopicUpdate
from mqctl.kinds.topics.configs import same_value
from mqctl.kinds.topics.live import LiveTopic, LiveTopics
from mqctl.kinds.topics.spec import TopicSpec, collision_key, reserved_name
from mqctl.live import TOPIC_OVERRIDE
from mqctl.placement import Assignment, place, spans, spread, wanted_domains
from mqctl.plan import Change, FieldDiff
from mqctl.spec.units import format_ms

_NEVER_RESET = {"leader.replication.throttled.replicas", "follower.replication.throttled.replicas"}


def _as_int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _config_risk(key: str, before: str | None, after: str | None) -> str | None:
    """Why changing `key` from `before` to `after` can lose data, or None if it cannot."""
    if key in ("retention.ms", "retention.bytes", "local.retention.ms", "local.retention.bytes"):
        old, new = _as_int(before, -1), _as_int(after, -1)
        shrinks = (old < 0 <= new) or (0 <= new < old)
        if shrinks:
            shown = (format_ms(before), format_ms(after)) if key.endswith(".ms") else (before, after)
            return f"{key} cut from {shown[0]} to {shown[1]}: older data is deleted"
    if key == "cleanup.policy" and set((before or "delete").split(",")) != set(
        (after or "delete").split(",")
    ):
        return f"cleanup.policy switch {before} -> {after}: changes what the log keeps"
    return None


def _min_isr(spec: TopicSpec, live: LiveTopic) -> int:
    """The min.insync.replicas the topic will have: the spec's, else what the cluster reports."""
    current = live.configs.get("min.insync.replicas")
    return _as_int(spec.config.get("min.insync.replicas", current.value if current else None), 1)


def shown_moves(moves: tuple[Move, ...]) -> tuple[FieldDiff, ...]:
    """Each partition's replica set old -> new, so the reviewer sees exactly what moves where."""
    return tuple(FieldDiff(f"replicas[{m.partition}]", m.before, m.after) for m in moves)


def _resume(spec: TopicSpec, live: LiveTopic, problems: list[Diagnostic]) -> TopicReassign | None:
    """A reassignment already in progress (interrupted apply, or another tool): finish it when it
    heads where the spec wants (partitions not in it are placed by the next plan); never start a
    second one over it."""
    rf = spec.replication_factor
    if all(len(target) == rf for target in live.moving.values()):
        moves = tuple(Move(p, live.replicas[p], target) for p, target in sorted(live.moving.items()))
        return TopicReassign(
            spec.full_name,
            (FieldDiff("reassignment", "in progress", "wait for it, then remove the throttle"), *shown_moves(moves)),
            moves=moves,
            resume=True,
        )
    problems.append(
        error(
            spec.source.file,
            spec.source.line,
            "replication_factor",
            f"{spec.full_name}: a reassignment of partitions {sorted(live.moving)} is in progress towards "
            f"other replica sets than replication factor {rf}; let it finish (or cancel it) first, "
            "mqctl never starts a second one over it",
        )
    )
    return None


def _respread(spec: TopicSpec, live: LiveTopic, racks: Mapping[int, str | None]) -> TopicReassign | None:
    """`placement: rack-aware` on a topic whose factor is right: move the partitions whose replicas
    do not span min(RF, racks) racks until they do."""
    narrow = sum(spans(r, racks) < wanted_domains(r, racks) for r in live.replicas)
    moves = moves_between(live.replicas, spread(live.replicas, racks))
    if not moves:
        return None
    before = f"{narrow} of {live.partitions} partition(s) on fewer racks than min(RF, racks)"
    diffs = (FieldDiff("placement", before, "rack-aware"), *shown_moves(moves))
    return TopicReassign(spec.full_name, diffs, moves=moves)


def moves_between(current: Assignment, target: Assignment) -> tuple[Move, ...]:
    return tuple(Move(p, old, new) for p, (old, new) in enumerate(zip(current, target, strict=True)) if old != new)


def _reassign(
    spec: TopicSpec, live: LiveTopic, state: LiveTopics, problems: list[Diagnostic], placement: str
) -> TopicReassign | None:
    """A replication-factor change as new replica sets per partition (rack-aware, see placement),
    or, with `placement: rack-aware`, the moves that spread a topic's partitions over the racks."""
    if live.moving:
        return _resume(spec, live, problems)
    rf = spec.replication_factor
    rack_aware = (spec.placement or placement) == "rack-aware"
    if all(len(r) == rf for r in live.replicas):  # the in-sync case: nothing more to work out
        return _respread(spec, live, state.racks or dict.fromkeys(state.brokers)) if rack_aware else None
    before = live.replication_factor
    racks = state.racks or dict.fromkeys(state.brokers)
    where = (spec.source.file, spec.source.line)
    min_isr = _min_isr(spec, live)
    if rf > len(state.brokers):
        problems.append(
            error(
                *where,
                "replication_factor",
                f"{spec.full_name}: replication factor {rf} needs at least that many brokers; "
                f"the cluster has {len(state.brokers)}",
            )
        )
        return None
    if rf < min_isr:
        problems.append(
            error(
                *where,
                "replication_factor",
                f"{spec.full_name}: replication factor {rf} is below min.insync.replicas={min_isr}; "
                "producers with acks=all could never write. Lower min.insync.replicas in the spec too",
            )
        )
        return None
    target = place(live.replicas, rf, racks)
    moves = moves_between(live.replicas, spread(target, racks) if rack_aware else target)
    risk = f"replication factor cut from {before} to {rf}: fewer copies survive a broker loss" if rf < before else None
    return TopicReassign(
        spec.full_name,
        (FieldDiff("replication_factor", before, rf, risk), *shown_moves(moves)),
        moves=moves,
    )


def _update(spec: TopicSpec, live: LiveTopic, problems: list[Diagnostic]) -> TopicUpdate | None:
    where = (spec.source.file, spec.source.line)
    diffs: list[FieldDiff] = []
    new_partitions = None
    if spec.partitions < live.partitions:
        problems.append(
            error(
                spec.source.file,
                spec.partitions_line or spec.source.line,
                "partitions",
                f"{spec.full_name}: partitions cannot decrease ({live.partitions} -> {spec.partitions}); "
                "Kafka only adds partitions. Keep the spec at "
                f"{live.partitions} or create a new topic version",
            )
        )
    elif spec.partitions > live.partitions:
        new_partitions = spec.partitions
        diffs.append(FieldDiff("partitions", live.partitions, spec.partitions, risk=None))
        if spec.key is not None:
            problems.append(
                warning(
                    *where,
                    "key",
                    f"{spec.full_name} is keyed ({spec.key.description}): raising partitions "
                    f"{live.partitions} -> {spec.partitions} moves keys to other partitions, so records of one key "
                    "written before and after the change are read out of order until the old ones are consumed",
                )
            )
    set_config: dict[str, str] = {}
    for key, value in sorted(spec.config.items()):
        current = live.configs.get(key)
        before = current.value if current else None
        if not same_value(key, value, before):
            set_config[key] = value
            diffs.append(FieldDiff(f"config.{key}", before, value, _config_risk(key, before, value)))
    reset: list[str] = []
    # the topic's own overrides, in key order: of ~33 entries a topic reports, most are defaults,
    # so they are left out before sorting (the source compared directly: no property call per entry)
    overrides = sorted(
        (key, entry) for key, entry in live.configs.items()
        if entry.source == TOPIC_OVERRIDE and key not in spec.config and key not in _NEVER_RESET
    )
    for key, entry in overrides:
        if spec.reset_unmanaged_config:
            reset.append(key)
            diffs.append(FieldDiff(f"config.{key}", entry.value, None, _config_risk(key, entry.value, None)))
        else:
            problems.append(
                warning(
                    *where,
                    f"config.{key}",
                    f"{spec.full_name}: {key}={entry.value} is set on the cluster but not in the spec "
                    "(drift, left alone; add it to the spec, or set unmanaged_config: reset to remove it)",
                )
            )
    if not diffs:
        return None
    change = TopicUpdate(
        spec.full_name,
        tuple(diffs),
        new_partitions=new_partitions,
        set_config=set_config,
        reset_config=tuple(reset),
        keyed=spec.key is not None,
    )
    return change


def _refuse_if_protected(spec: TopicSpec, change: Change, problems: list[Diagnostic]) -> None:
    if spec.protected and change.destructive:
        problems.append(
            error(
                spec.source.file,
                spec.source.line,
                "protected",
                f"{spec.full_name} is protected and the plan would change it destructively: "
                f"{'; '.join(change.all_risks)}. Remove protected: true first if this is intended",
            )
        )


def _create(spec: TopicSpec, live: LiveTopics, problems: list[Diagnostic]) -> TopicCreate:
    where = (spec.source.file, spec.source.line)
    if spec.replication_factor > len(live.brokers):
        problems.append(
            error(
                *where,
                "replication_factor",
                f"{spec.full_name}: replication factor {spec.replication_factor} needs at least that many "
                f"brokers; the cluster has {len(live.brokers)}",
            )
        )
    key = collision_key(spec.full_name)
    rivals = [n for n in live.all_topic_names if n != spec.full_name and collision_key(n) == key]
    if rivals:
        problems.append(
            error(
                *where,
                "name",
                f"{spec.full_name} collides with existing topic {rivals[0]}: Kafka treats '.' and '_' alike",
            )
        )
    diffs = (
        FieldDiff("partitions", None, spec.partitions),
        FieldDiff("replication_factor", None, spec.replication_factor),
        *(FieldDiff(f"config.{k}", None, v) for k, v in sorted(spec.config.items())),
    )
    return TopicCreate(
        spec.full_name,
        diffs,
        partitions=spec.partitions,
        replication_factor=spec.replication_factor,
        config=dict(spec.config),
    )


def _protected(name: str, prefix: str, patterns: Sequence[str]) -> bool:
    short = name[len(prefix) :]
    return any(fnmatchcase(short, p) or fnmatchcase(name, p) for p in patterns)


def diff_topics(
    desired: Sequence[TopicSpec],
    live: LiveTopics,
    prefix: str,
    protected_patterns: Sequence[str] = (),
    placement: str = "as-is",
) -> tuple[list[Change], list[Diagnostic]]:
    """Changes that make the live topics under `prefix` match `desired`, and what blocks them;
    `placement` is the environment's (policy.placement), which a topic's own overrides."""
    problems: list[Diagnostic] = []
    changes: list[Change] = []
    wanted = {spec.full_name: spec for spec in desired}
    for spec in desired:
        current = live.topics.get(spec.full_name)
        if current is None:
            changes.append(_create(spec, live, problems))
        else:
            moved = _reassign(spec, current, live, problems, placement)
            for change in (moved, _update(spec, current, problems)):
                if change is not None:
                    _refuse_if_protected(spec, change, problems)
                    changes.append(change)
    for name, topic in sorted(live.topics.items()):
        if name in wanted or reserved_name(name, prefix):
            continue
        if _protected(name, prefix, protected_patterns):
            problems.append(
                warning(
                    "mqctl.yaml",
                    None,
                    "policy.protected_topics",
                    f"{name} is not in the specs but is protected; it is not deleted",
                )
            )
            continue
        changes.append(
            TopicDelete(
                name,
                (FieldDiff("partitions", topic.partitions, None),),
                risks=(f"deletes topic {name} and all its data",),
            )
        )
    return changes, problems
