"""Wait until the local cluster answers (used by scripts/local-cluster.sh up).

Readiness is what a client sees, not a log line: the main cluster's describe_cluster lists every
broker, the SASL node answers describe_cluster for admin (SCRAM-SHA-512), and the registry's
Confluent-compatible API returns 200 on /subjects. Exits 0 when all are ready, 1 on timeout or when
one of the watched processes died (its log file is named and its tail printed).

The admin password is read from KAFKA_ADMIN_PASSWORD, never from the command line.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka.admin import AdminClient

QUIET = {
    "log_level": 0,  # librdkafka would print every refused connection while the brokers start
    "reconnect.backoff.ms": 100,
    "reconnect.backoff.max.ms": 1000,
}


@dataclass
class Watched:
    name: str
    pid: int
    log: Path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie still answers kill(0); it is dead for our purpose
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"    ({path} not found)"
    return "\n".join("    " + line for line in text[-lines:])


def kafka_check(config: dict[str, str | int], brokers: int) -> Callable[[], str | None]:
    admin = AdminClient({**QUIET, **config})

    def check() -> str | None:
        try:
            desc = admin.describe_cluster(request_timeout=3).result(timeout=5)
        except Exception as exc:  # anything means "not yet"
            return f"not answering ({str(exc)[:160]})"
        if len(desc.nodes) < brokers:
            return f"{len(desc.nodes)}/{brokers} brokers registered"
        return None

    return check


def http_check(url: str) -> Callable[[], str | None]:
    def check() -> str | None:
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                status: int = resp.status
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            return f"not answering ({exc})"
        return None if status == 200 else f"HTTP {status}"

    return check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--main", help="bootstrap servers of the PLAINTEXT cluster")
    parser.add_argument("--brokers", type=int, default=3, help="brokers the main cluster must list")
    parser.add_argument("--sasl", help="bootstrap server of the SASL/ACL node")
    parser.add_argument("--registry", help="URL that must answer 200 when the registry is up")
    parser.add_argument("--watch", action="append", default=[], metavar="NAME:PID:LOG",
                        help="a process whose death ends the wait at once")
    args = parser.parse_args(argv)

    watched = []
    for spec in args.watch:
        name, pid, log = spec.split(":", 2)
        watched.append(Watched(name, int(pid), Path(log)))
    logs = {w.name: w.log for w in watched}

    checks: dict[str, Callable[[], str | None]] = {}
    if args.main:
        checks["kafka"] = kafka_check({"bootstrap.servers": args.main}, args.brokers)
    if args.sasl:
        checks["sasl"] = kafka_check({
            "bootstrap.servers": args.sasl,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": "admin",
            "sasl.password": os.environ.get("KAFKA_ADMIN_PASSWORD", "admin-secret"),
        }, 1)
    if args.registry:
        checks["registry"] = http_check(args.registry)

    start = time.monotonic()
    deadline = start + args.timeout
    pending = dict(checks)
    last: dict[str, str] = {}
    while pending:
        for w in watched:
            if not _alive(w.pid):
                print(f"error: {w.name} (pid {w.pid}) exited while starting; last lines of {w.log}:",
                      file=sys.stderr)
                print(_tail(w.log), file=sys.stderr)
                return 1
        for name, check in list(pending.items()):
            problem = check()
            if problem is None:
                print(f"  {name:<14} ready after {time.monotonic() - start:5.1f} s", flush=True)
                del pending[name]
            else:
                last[name] = problem
        if not pending:
            break
        if time.monotonic() > deadline:
            for name in pending:
                print(f"error: {name} not ready after {args.timeout:.0f} s: {last.get(name)}",
                      file=sys.stderr)
                for node, log in logs.items():
                    if node.startswith(name):
                        print(f"  see {log}", file=sys.stderr)
            return 1
        time.sleep(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
