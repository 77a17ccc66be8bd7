"""Cluster health: pure checks over one snapshot of the cluster's state, and the report they make.

The snapshot (`HealthSnapshot`) is plain data read by mqctl.workflows.health in a constant number
of requests; every check here is a function of it alone, so unit tests drive them with plain data.
Partition checks look at the partitions the caller selected (`--topics`); broker, disk, quorum,
drift and certificate checks are about the whole cluster.

The report's JSON form is documented in docs/cluster-health.md (format_version 1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from mqctl.config import DEFAULT_CERTIFICATE_WARNING_DAYS
from mqctl.placement import domain, spans, wanted_domains

if TYPE_CHECKING:  # certificates loads `cryptography`, live its dataclasses: `validate` needs neither
    from mqctl.kafka.certificates import Probe
    from mqctl.live import LogDir, PartitionState, Quorum

FORMAT_VERSION = 1
DISK_WARNING_FRACTION = 0.85  # the design alerts at 85 % disk
LEADER_IMBALANCE = 0.10  # as Kafka's leader.imbalance.per.broker.percentage (10)
QUORUM_BEHIND_MS = 30_000  # a controller or broker not caught up with the quorum leader for this long


class Status(StrEnum):
    OK = "ok"
    PROBLEMS = "problems"
    SKIPPED = "skipped"  # nothing to check (no brokers/ specs, not a KRaft cluster, no TLS)
    ERROR = "error"  # could not be read; the message says why


@dataclass(frozen=True)
class Drift:
    """What a health-drift kind's plan would change (mqctl.kind.Kind.health_drift), or why it
    could not be planned."""

    items: tuple[dict[str, Any], ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class HealthSnapshot:
    racks: Mapping[int, str | None]  # every live broker -> broker.rack
    partitions: tuple[PartitionState, ...]  # the selected partitions
    min_isr: Mapping[str, int]  # topic -> its effective min.insync.replicas (selected topics)
    log_dirs: tuple[LogDir, ...] | str  # or why they could not be read
    quorum: Quorum | str | None  # or why it could not be read; None: not a KRaft cluster
    drift: Drift | None = None  # None: no kind with health drift is managed here
    certificates: Mapping[int, Probe] | None = None  # broker -> its TLS probe; None: the environment has no TLS


@dataclass(frozen=True)
class Check:
    check: str
    status: Status
    items: tuple[dict[str, Any], ...] = ()
    note: str | None = None  # what was checked, or why it was skipped or failed
    rows: bool = False  # items are a table of every broker / replica / directory, not findings

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.check, "status": str(self.status), "items": list(self.items)}
        if self.note:
            out["note"] = self.note
        return out


def _found(name: str, items: Sequence[dict[str, Any]], note: str | None = None) -> Check:
    return Check(name, Status.PROBLEMS if items else Status.OK, tuple(items), note)


def _partition(p: PartitionState, **extra: Any) -> dict[str, Any]:
    return {"topic": p.topic, "partition": p.partition, "leader": p.leader, "replicas": list(p.replicas),
            "isr": list(p.isr), **extra}  # fmt: skip


def offline_partitions(snap: HealthSnapshot) -> Check:
    """Partitions without a leader: nothing can read or write them."""
    return _found("offline_partitions", [_partition(p) for p in snap.partitions if p.leader < 0])


def under_replicated_partitions(snap: HealthSnapshot) -> Check:
    """Partitions with a replica out of sync (a broker down or behind)."""
    items = [_partition(p) for p in snap.partitions if len(p.isr) < len(p.replicas)]
    return _found("under_replicated_partitions", items)


def under_min_isr_partitions(snap: HealthSnapshot) -> Check:
    """Partitions with fewer in-sync replicas than min.insync.replicas: acks=all writes fail. Kafka
    caps the setting at the replica count (checked on 4.1: a topic with one replica takes acks=all
    writes under min.insync.replicas=2), and so does this check."""
    items, unread = [], set()
    for p in snap.partitions:
        if p.topic not in snap.min_isr:
            unread.add(p.topic)
            continue
        wanted = min(snap.min_isr[p.topic], len(p.replicas))
        if len(p.isr) < wanted:
            items.append(_partition(p, min_insync_replicas=wanted))
    note = None
    if unread:  # a broker answering for configs did not know them yet (just created), or they just went
        note = f"{len(unread)} topic(s) not checked: their configs could not be read (created or deleted moments ago)"
    return _found("under_min_isr_partitions", items, note)


def rack_spread(snap: HealthSnapshot) -> Check:
    """Partitions whose replicas do not span min(RF, racks) racks: one data centre lost takes more
    than one copy (or the last one). A broker without broker.rack counts as a rack of its own."""
    items = []
    for p in snap.partitions:
        wanted = wanted_domains(p.replicas, snap.racks)
        if spans(p.replicas, snap.racks) < wanted:
            racks = [domain(snap.racks, b) for b in p.replicas]
            items.append({"topic": p.topic, "partition": p.partition, "replicas": list(p.replicas), "racks": racks,
                          "spans": len(set(racks)), "wanted": wanted})  # fmt: skip
    return _found("rack_spread", items, f"{len({domain(snap.racks, b) for b in snap.racks})} rack(s)")


def broker_racks(snap: HealthSnapshot) -> Check:
    """Brokers without broker.rack: rack-aware placement cannot protect their replicas."""
    return _found("broker_racks", [{"broker": b, "rack": None} for b, rack in sorted(snap.racks.items()) if not rack])


def preferred_leaders(snap: HealthSnapshot) -> Check:
    """Partitions led by another replica than the preferred one (after a broker restart): load sits
    on fewer brokers than planned; `mqctl cluster elect-leaders` moves it back."""
    items = [
        {"topic": p.topic, "partition": p.partition, "leader": p.leader, "preferred": p.replicas[0],
         "electable": p.replicas[0] in p.isr}
        for p in snap.partitions
        if p.leader >= 0 and p.replicas and p.leader != p.replicas[0]
    ]  # fmt: skip
    return _found("preferred_leaders", items)


def leader_balance(snap: HealthSnapshot) -> Check:
    """Leaders per broker against the partitions it is the preferred leader of. A broker is
    imbalanced, as Kafka's auto-rebalance counts it, when more than LEADER_IMBALANCE of its
    preferred partitions are led elsewhere."""
    leaders = Counter(p.leader for p in snap.partitions if p.leader >= 0)
    preferred = Counter(p.replicas[0] for p in snap.partitions if p.replicas)
    elsewhere = Counter(p.replicas[0] for p in snap.partitions if p.replicas and p.leader != p.replicas[0])
    rows, imbalanced = [], False
    for broker in sorted(set(snap.racks) | set(preferred)):
        ratio = elsewhere[broker] / preferred[broker] if preferred[broker] else 0.0
        imbalanced |= ratio > LEADER_IMBALANCE
        rows.append({"broker": broker, "leaders": leaders[broker], "preferred": preferred[broker],
                     "imbalance": round(ratio, 3)})  # fmt: skip
    status = Status.PROBLEMS if imbalanced else Status.OK
    note = f"imbalanced above {LEADER_IMBALANCE:.0%} of a broker's preferred partitions"
    return Check("leader_balance", status, tuple(rows), note, rows=True)


def controller_quorum(snap: HealthSnapshot) -> Check:
    """The KRaft quorum: a leader, and voters (and observing brokers) caught up with it. Times are
    on the leader's clock: the leader's own last_caught_up is its 'now'."""
    if snap.quorum is None:
        return Check("controller_quorum", Status.SKIPPED, note="not a KRaft cluster")
    if isinstance(snap.quorum, str):
        return Check("controller_quorum", Status.ERROR, note=snap.quorum)
    quorum = snap.quorum
    now = max((r.last_caught_up_ms for r in quorum.voters), default=-1)
    rows, problems = [], []
    for role, replicas in (("voter", quorum.voters), ("observer", quorum.observers)):
        for r in replicas:
            behind = now - r.last_caught_up_ms if r.last_caught_up_ms >= 0 and now >= 0 else None
            lagging = behind is None or behind > QUORUM_BEHIND_MS
            rows.append({"id": r.id, "role": "leader" if r.id == quorum.leader else role,
                         "log_end_offset": r.log_end_offset, "lag": max(quorum.high_watermark - r.log_end_offset, 0),
                         "behind_ms": behind, "caught_up": not lagging})  # fmt: skip
            if lagging:
                problems.append(f"{role} {r.id} has not caught up with the leader for "
                                f"{'ever' if behind is None else f'{behind / 1000:.0f}s'}")  # fmt: skip
    in_sync = sum(1 for row in rows if row["role"] != "observer" and row["caught_up"])
    if quorum.leader < 0:
        problems.insert(0, "no quorum leader: metadata cannot change")
    elif in_sync <= len(quorum.voters) // 2:
        problems.insert(0, f"only {in_sync} of {len(quorum.voters)} voters caught up: one more loss stops the quorum")
    note = f"leader {quorum.leader}, epoch {quorum.epoch}, high watermark {quorum.high_watermark}"
    if problems:
        note += "; " + "; ".join(problems)
    return Check("controller_quorum", Status.PROBLEMS if problems else Status.OK, tuple(rows), note, rows=True)


def log_dirs(snap: HealthSnapshot, warn_fraction: float) -> Check:
    """Disk use of every log directory's volume, flagged from `warn_fraction`; a directory the
    broker reports an error for (an offline disk) is a problem too."""
    if isinstance(snap.log_dirs, str):
        return Check("log_dirs", Status.ERROR, note=snap.log_dirs)
    rows, flagged, unknown = [], False, 0
    for d in snap.log_dirs:
        used = None
        if d.total_bytes and d.usable_bytes is not None:
            used = round(1 - d.usable_bytes / d.total_bytes, 4)
        unknown += used is None and d.error is None
        over = used is not None and used >= warn_fraction
        flagged |= over or d.error is not None
        rows.append({"broker": d.broker, "path": d.path, "total_bytes": d.total_bytes, "usable_bytes": d.usable_bytes,
                     "used_fraction": used, "over_warning": over, "error": d.error})  # fmt: skip
    note = f"warning at {warn_fraction:.0%} used"
    if unknown:
        note += f"; {unknown} directory(ies) report no volume size (brokers before Kafka 3.3)"
    return Check("log_dirs", Status.PROBLEMS if flagged else Status.OK, tuple(rows), note, rows=True)


def config_drift(snap: HealthSnapshot) -> Check:
    if snap.drift is None:
        return Check("config_drift", Status.SKIPPED, note="no brokers/ specs in this project")
    if snap.drift.error is not None:
        return Check("config_drift", Status.ERROR, note=snap.drift.error)
    return _found("config_drift", snap.drift.items)


def broker_certificates(snap: HealthSnapshot, warn_days: float = DEFAULT_CERTIFICATE_WARNING_DAYS,
                        now: datetime | None = None) -> Check:  # fmt: skip
    """Each broker's TLS certificate as the environment's clients meet it: expiring within
    `warn_days` (security.certificate_warning_days) or expired is a problem, and so is a broker the
    clients cannot talk TLS to (a certificate failing verification, a refused client certificate);
    a broker that did not answer at all leaves the check unread (error) unless something else is
    a problem. One row per broker."""
    if snap.certificates is None:
        return Check("broker_certificates", Status.SKIPPED, note="the environment does not connect over TLS")
    rows, flagged, unanswered = [], False, 0
    for broker, found in sorted(snap.certificates.items()):
        cert = found.certificate
        days = round(cert.days_left(now), 1) if cert else None
        expiring = days is not None and days < warn_days
        error = found.problem
        if cert is None and error is None:
            unanswered += 1
            error = "no TLS connection (refused, or no answer in time)"
        flagged |= expiring or found.problem is not None
        rows.append({"broker": broker, "address": found.address, "subject": cert.subject if cert else None,
                     "issuer": cert.issuer if cert else None,
                     "not_after": cert.not_after.isoformat() if cert else None, "days_left": days,
                     "expiring": expiring, "error": error})  # fmt: skip
    note = f"warning within {warn_days:g} day(s) of expiry"
    if unanswered:
        note += f"; {unanswered} broker(s) did not answer a TLS connection"
    status = Status.PROBLEMS if flagged else Status.ERROR if unanswered else Status.OK
    return Check("broker_certificates", status, tuple(rows), note, rows=True)


PARTITION_CHECKS: tuple[Callable[[HealthSnapshot], Check], ...] = (
    offline_partitions,
    under_replicated_partitions,
    under_min_isr_partitions,
    rack_spread,
    preferred_leaders,
    leader_balance,
)


@dataclass(frozen=True)
class HealthReport:
    environment: str
    checks: tuple[Check, ...]
    topics: tuple[str, ...] = ()  # the --topics globs the partition checks were limited to
    requests: int = field(default=0, compare=False)  # admin requests the read cost

    @property
    def status(self) -> Status:
        """problems if any check found one; error if none did but a check could not run."""
        found = {check.status for check in self.checks}
        if Status.PROBLEMS in found:
            return Status.PROBLEMS
        return Status.ERROR if Status.ERROR in found else Status.OK

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON form (format_version 1)."""
        return {
            "format_version": FORMAT_VERSION,
            "environment": self.environment,
            "status": str(self.status),
            "topics": list(self.topics) or None,
            "checks": [check.to_dict() for check in self.checks],
        }


def assess(env: str, snap: HealthSnapshot, warn_fraction: float = DISK_WARNING_FRACTION,
           topics: Sequence[str] = (), certificate_days: float = DEFAULT_CERTIFICATE_WARNING_DAYS,
           now: datetime | None = None) -> HealthReport:  # fmt: skip
    """Every check over one snapshot, in a fixed order (a check added later comes last)."""
    checks = [check(snap) for check in PARTITION_CHECKS]
    checks += [broker_racks(snap), controller_quorum(snap), log_dirs(snap, warn_fraction), config_drift(snap),
               broker_certificates(snap, certificate_days, now)]  # fmt: skip
    return HealthReport(env, tuple(checks), tuple(topics))


def preferred_elections(partitions: Sequence[PartitionState]) -> tuple[list[PartitionState], list[PartitionState]]:
    """Partitions not led by their preferred replica: (those an election can fix, those whose
    preferred replica is out of sync and so cannot lead yet)."""
    off = [p for p in partitions if p.replicas and p.leader != p.replicas[0]]
    return [p for p in off if p.replicas[0] in p.isr], [p for p in off if p.replicas[0] not in p.isr]
