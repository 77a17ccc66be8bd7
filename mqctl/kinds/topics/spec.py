"""Topic specs: the model, and building it from `topics/*.yaml` with every topic rule checked and all
problems collected."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mqctl.calc import CalcError, calculate_partitions
from mqctl.config import DEFAULT_NAMING_PATTERN, RESERVED_DOMAIN
from mqctl.diagnostics import Diagnostic, errors_of, warning
from mqctl.kinds.topics.configs import TOPIC_CONFIGS, Conflict, check_value, conflicts, normalise
from mqctl.naming import matches
from mqctl.spec.model import Source, SpecContext
from mqctl.spec.units import UnitError, duration_ms
from mqctl.yamlsource import PathKey, YamlDocument, format_path

MAX_TOPIC_NAME = 249
_LEGAL = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
_LEGAL_NAME = re.compile(f"[{re.escape(''.join(sorted(_LEGAL)))}]{{1,{MAX_TOPIC_NAME}}}")  # _LEGAL in one scan
DEFAULT_PARTITION_THROUGHPUT = 100_000.0  # msg/s one partition sustains, the design's figure
# The KRaft controller writes at most 10,000 metadata records for one request; creating a topic
# writes one TopicRecord, one PartitionRecord per partition and one ConfigRecord per config. Measured
# on the local cluster (validate-only CreateTopics, RF 1): 9,999 partitions pass, 10,000 are refused
# (POLICY_VIOLATION "Unable to perform excessively large batch operation"), and so are 9,999 with
# one config where 9,998 with one pass.
KRAFT_MAX_RECORDS = 10_000


def create_records(partitions: int, configs: int) -> int:
    """Metadata records creating a topic writes (what KRaft's per-request cap counts)."""
    return 1 + partitions + configs


@dataclass(frozen=True)
class Sizing:
    """Throughput hints the partition calculator checks a topic's partition count against."""

    target_throughput: float
    partition_throughput: float | None = None
    max_consumers: int = 1


@dataclass(frozen=True)
class TopicKey:
    """What a topic's records are keyed by: a partition increase moves keys (ordering per key breaks)."""

    description: str  # e.g. "user_id: one user's orders stay in order"
    schema: str | None = None  # the key's schema: a subject of schemas/ or words


@dataclass(frozen=True)
class TopicSpec:
    """One topic as the specs declare it for an environment, defaults and overrides applied."""

    name: str  # as written in the spec, without the environment prefix
    full_name: str  # `<env>.<name>`: the real topic name
    partitions: int
    replication_factor: int
    config: Mapping[str, str]  # normalised to the strings Kafka reports
    source: Source
    protected: bool = False
    reset_unmanaged_config: bool = False
    sizing: Sizing | None = None
    key: TopicKey | None = None
    # the line of `partitions:` (in the topic or its file's defaults), for errors about the count;
    # not part of the resource (left out of comparisons and of the policies' view)
    partitions_line: int | None = field(default=None, compare=False)
    placement: str | None = None  # "rack-aware" or "as-is"; None: the environment's policy.placement


def reserved_name(full_name: str, prefix: str) -> bool:
    """Topics mqctl creates for itself: never declared in specs, never planned for deletion."""
    return full_name.startswith(f"{prefix}{RESERVED_DOMAIN}.")


@dataclass(frozen=True)
class _Item:
    """One topic entry with the file-level defaults merged in, and where its keys came from."""

    doc: YamlDocument
    path: PathKey
    fields: dict[str, Any]
    config_paths: dict[str, PathKey]


def _merge(doc: YamlDocument, index: int, shared: dict[str, PathKey]) -> _Item:
    """`shared`: the paths of the defaults' configs, the same for every topic of the file that sets
    no config of its own (read, never changed)."""
    defaults: dict[str, Any] = doc.data.get("defaults") or {}
    topic: dict[str, Any] = doc.data["topics"][index]
    path: PathKey = ("topics", index)
    own = topic.get("config", {})
    config_paths = shared
    if own:
        config_paths = {**shared, **{k: (*path, "config", k) for k in own}}
    fields = {**defaults, **topic, "config": {**defaults.get("config", {}), **own}}
    return _Item(doc, path, fields, config_paths)


def _default_config_paths(doc: YamlDocument) -> dict[str, PathKey]:
    defaults: dict[str, Any] = doc.data.get("defaults") or {}
    return {k: ("defaults", "config", k) for k in defaults.get("config", {})}


def kafka_name_problem(name: str) -> str | None:
    """Why Kafka would refuse this topic name, or None."""
    if _LEGAL_NAME.fullmatch(name) is not None and name not in (".", ".."):  # nearly every name: one scan
        return None
    if name in (".", ".."):
        return "topic name cannot be '.' or '..'"
    if len(name) > MAX_TOPIC_NAME:
        return f"topic name is {len(name)} characters; Kafka allows at most {MAX_TOPIC_NAME}"
    bad = sorted(set(name) - _LEGAL)
    if bad:
        return f"topic name has characters Kafka does not allow: {' '.join(repr(c) for c in bad)}"
    return None


def collision_key(name: str) -> str:
    """Kafka's metrics treat `.` and `_` alike, so two names equal under this key cannot coexist."""
    return name.replace(".", "_")


def _key_path(item: _Item, key: str) -> PathKey:
    """The path of `key` in the topic entry, or in the defaults it was inherited from."""
    topic = item.doc.data["topics"][item.path[1]]
    if key in topic or not item.doc.data.get("defaults") or key not in item.doc.data["defaults"]:
        return (*item.path, key)
    return ("defaults", key)


_SCALARS = (str, int, bool)  # not float: -0.0 == 0.0, yet they are written differently


class _Memo:
    """Answers that depend on the value alone, kept for one build: 10,000 topics mostly repeat their
    file's defaults (`min.insync.replicas: 2`, `retention: 7d`), so each is worked out once."""

    __slots__ = ("conflicting", "normalised", "retention")

    def __init__(self) -> None:
        self.normalised: dict[tuple[str, type, object], tuple[str | None, str | None]] = {}
        self.retention: dict[tuple[type, object], str] = {}  # valid retentions only
        self.conflicting: dict[tuple[tuple[str, str], ...], list[Conflict]] = {}

    def normalise(self, key: str, value: object) -> tuple[str | None, str | None]:
        if type(value) not in _SCALARS:  # a list (cleanup.policy: [compact, delete]): not hashable
            return normalise(key, value)
        memo = (key, type(value), value)  # True == 1, but they are different values here
        found = self.normalised.get(memo)
        if found is None:
            found = self.normalised[memo] = normalise(key, value)
        return found

    def conflicts(self, config: dict[str, str]) -> list[Conflict]:
        memo = tuple(config.items())
        found = self.conflicting.get(memo)
        if found is None:
            found = self.conflicting[memo] = conflicts(config)
        return found


def _build_config(item: _Item, problems: list[Diagnostic], memo: _Memo) -> dict[str, str]:
    config: dict[str, str] = {}
    for key, value in item.fields["config"].items():
        normalised, reason = memo.normalise(key, value)
        if reason is not None:
            problems.append(item.doc.error(item.config_paths[key], reason))
        elif normalised is not None:
            config[key] = normalised
    retention = item.fields.get("retention")
    if retention is not None:
        if "retention.ms" in item.fields["config"]:
            problems.append(
                item.doc.error(
                    _key_path(item, "retention"), "set either retention or config.retention.ms, not both"
                )
            )
        else:
            _retention(item, retention, config, problems, memo)
    for conflict in memo.conflicts(config):
        where = item.config_paths.get(conflict.key, (*item.path, "config"))
        if conflict.refused:
            problems.append(item.doc.error(where, conflict.message))
        else:
            problems.append(warning(item.doc.file, item.doc.line_of(where), format_path(where), conflict.message))
    return config


def _retention(
    item: _Item, retention: object, config: dict[str, str], problems: list[Diagnostic], memo: _Memo
) -> None:
    """`retention:` (sugar for config.retention.ms): a duration, milliseconds or `infinite`, with the
    duration parser's own reason when it is none of these."""
    known = memo.retention.get((type(retention), retention)) if type(retention) in _SCALARS else None
    if known is not None:
        config["retention.ms"] = known
        return
    path = _key_path(item, "retention")
    try:
        ms = -1 if retention == "infinite" else duration_ms(retention)
    except UnitError as exc:
        problems.append(item.doc.error(path, f"{exc}, or infinite"))
        return
    value, reason = check_value("retention.ms", ms, TOPIC_CONFIGS["retention.ms"])
    if reason is not None or value is None:
        problems.append(item.doc.error(path, f"retention {reason}"))
    else:
        config["retention.ms"] = value
        if type(retention) in _SCALARS:
            memo.retention[(type(retention), retention)] = value


def _apply_overrides(ctx: SpecContext, partitions: int, rf: int, config: dict[str, str]) -> tuple[int, int]:
    """Cap partitions and replication factor for small clusters; min.insync.replicas follows the RF."""
    caps = ctx.env.overrides
    if caps.max_partitions is not None:
        partitions = min(partitions, caps.max_partitions)
    if caps.max_replication_factor is not None and rf > caps.max_replication_factor:
        rf = caps.max_replication_factor
        if "min.insync.replicas" in config:
            config["min.insync.replicas"] = str(min(int(config["min.insync.replicas"]), rf))
    return partitions, rf


def _repeated_environment(name: str, ctx: SpecContext) -> str | None:
    """Why a name that starts with an environment's name is most likely a mistake: the environment
    is added by mqctl, so `dev.order.created.v1` in a spec is `dev.dev.order.created.v1` on dev."""
    for env in ctx.environments or (ctx.env.name,):
        if name.startswith(f"{env}."):
            return (
                f"{name!r} starts with the environment {env!r}; mqctl adds the environment itself, so the "
                f"topic would be {ctx.env.prefix}{name}. Write it without the environment "
                f"({name.removeprefix(env + '.')!r})"
            )
    return None


def _rule(ctx: SpecContext) -> str:
    if ctx.naming.pattern == DEFAULT_NAMING_PATTERN:
        return "<env>.<domain>.<event>.<ver> (lower-case letters, digits and '-'; version like v1)"
    return f"of mqctl.yaml (naming.pattern {ctx.naming.pattern})"


def _sizing(item: _Item, problems: list[Diagnostic]) -> Sizing:
    """The sizing hints, with a warning when the partitions written are fewer than the partition
    calculator gives for them (the count before environment caps: that is what the author chose)."""
    hints = item.fields["sizing"]
    sizing = Sizing(
        target_throughput=float(hints["target_throughput"]),
        partition_throughput=float(hints.get("partition_throughput", DEFAULT_PARTITION_THROUGHPUT)),
        max_consumers=int(hints.get("max_consumers", 1)),
    )
    try:
        needed = calculate_partitions(
            sizing.target_throughput, sizing.partition_throughput or DEFAULT_PARTITION_THROUGHPUT, sizing.max_consumers
        )
    except CalcError as exc:  # hints the calculator refuses (absurd or overflowing throughputs)
        problems.append(item.doc.error(_key_path(item, "sizing"), f"sizing: {exc}"))
        return sizing
    written = int(item.fields["partitions"])
    if written < needed.partitions:
        path = _key_path(item, "sizing")
        problems.append(
            warning(
                item.doc.file,
                item.doc.line_of(path),
                format_path(path),
                f"{item.fields['name']}: {written} partition(s), but its sizing needs {needed.partitions}: "
                f"max(ceil({sizing.target_throughput:,.0f} / {needed.partition_throughput:,.0f} msg/s per partition) "
                f"= {needed.throughput_term}, {needed.consumer_term} consumer(s)); raise partitions "
                "(mqctl partitions calc shows the arithmetic)",
            )
        )
    return sizing


def _build_topic(item: _Item, ctx: SpecContext, problems: list[Diagnostic], memo: _Memo) -> TopicSpec | None:
    fields, doc = item.fields, item.doc
    before = len(errors_of(problems))
    name = str(fields["name"])
    full_name = f"{ctx.env.name}.{name}"
    name_path = (*item.path, "name")
    reason = kafka_name_problem(full_name)
    if reason:
        problems.append(doc.error(name_path, f"{full_name!r}: {reason}"))
    elif reserved_name(full_name, ctx.env.prefix):
        problems.append(doc.error(name_path, f"the domain {RESERVED_DOMAIN!r} is reserved for mqctl's own topics"))
    elif not matches(ctx.naming, full_name):
        # The same words for every environment, so `validate` (which builds every environment's
        # specs) reports the name once, not once per environment.
        problems.append(
            doc.error(
                name_path,
                f"{name!r} breaks the naming rule {_rule(ctx)} (the topic is named <env>.{name}); write the "
                "name without the environment, e.g. order.created.v1",
            )
        )
    repeated = _repeated_environment(name, ctx)
    if repeated is not None:
        problems.append(warning(doc.file, doc.line_of(name_path), format_path(name_path), repeated))
    for required in ("partitions", "replication_factor"):
        if required not in fields:
            problems.append(doc.error(item.path, f"{required} is required (in the topic or in defaults:)"))
    config = _build_config(item, problems, memo)
    rf = int(fields.get("replication_factor", 1))
    min_isr = config.get("min.insync.replicas")
    if min_isr is not None and int(min_isr) > rf:
        problems.append(
            doc.error(
                item.config_paths["min.insync.replicas"],
                f"min.insync.replicas {min_isr} is greater than replication_factor {rf}: "
                "no write with acks=all could ever succeed",
            )
        )
    if len(errors_of(problems)) > before:
        return None
    partitions, rf = _apply_overrides(ctx, int(fields["partitions"]), rf, config)
    records = create_records(partitions, len(config))
    if records > KRAFT_MAX_RECORDS:
        problems.append(doc.error(
            _key_path(item, "partitions"),
            f"{partitions:,} partitions: creating the topic writes {records:,} metadata records (one per "
            f"partition, one per config, one for the topic), more than the {KRAFT_MAX_RECORDS:,} Kafka's "
            "controller takes in one request; Kafka would refuse it",
        ))
        return None
    sizing = fields.get("sizing")
    key = fields.get("key")
    return TopicSpec(
        name=name,
        full_name=full_name,
        partitions=partitions,
        replication_factor=rf,
        config=config,
        source=Source(doc.file, doc.line_of(item.path)),
        partitions_line=doc.line_of(_key_path(item, "partitions")),
        protected=bool(fields.get("protected", False)),
        reset_unmanaged_config=fields.get("unmanaged_config", "warn") == "reset",
        sizing=_sizing(item, problems) if sizing else None,
        key=TopicKey(str(key["description"]), key.get("schema")) if key else None,
        placement=fields.get("placement"),
    )


def _check_set(topics: list[TopicSpec], problems: list[Diagnostic]) -> list[TopicSpec]:
    """Rules across files: duplicates and `.`/`_` collisions. Keeps the first of each clash."""
    kept: list[TopicSpec] = []
    by_name: dict[str, TopicSpec] = {}
    by_key: dict[str, TopicSpec] = {}
    for topic in topics:
        first = by_name.get(topic.full_name)
        if first is not None:
            problems.append(
                Diagnostic(
                    topic.source.file,
                    topic.source.line,
                    "name",
                    f"topic {topic.name!r} is declared twice; first at {first.source}",
                )
            )
            continue
        rival = by_key.get(collision_key(topic.full_name))
        if rival is not None:
            problems.append(
                Diagnostic(
                    topic.source.file,
                    topic.source.line,
                    "name",
                    f"topic {topic.name!r} collides with {rival.name!r} ({rival.source}): "
                    "Kafka treats '.' and '_' alike in topic names",
                )
            )
            continue
        by_name[topic.full_name] = topic
        by_key[collision_key(topic.full_name)] = topic
        kept.append(topic)
    return kept


def build_topics(docs: Iterable[YamlDocument], ctx: SpecContext) -> tuple[list[TopicSpec], list[Diagnostic]]:
    problems: list[Diagnostic] = []
    topics: list[TopicSpec] = []
    memo = _Memo()
    for doc in docs:
        shared = _default_config_paths(doc)
        for index, _ in doc.items("topics"):
            topic = _build_topic(_merge(doc, index, shared), ctx, problems, memo)
            if topic is not None:
                topics.append(topic)
    return _check_set(topics, problems), problems
