"""Wait until the local cluster answers (used by scripts/local-cluster.sh up and check).

Readiness is what a client sees, not a log line: the main cluster's describe_cluster lists every
broker (4: kafka-1..3 and the broker-only kafka-4); the SASL node answers describe_cluster on each
listener: SASL_PLAINTEXT for admin (SCRAM-SHA-512), SSL with the client certificate of mqctl-admin,
SASL_SSL for admin (SCRAM-SHA-512) and for the OAuth client mqctl-admin (OAUTHBEARER, a token from
the local issuer), and the wrong-host listener with hostname verification off; the issuer serves its
JWKS; the registry's Confluent-compatible API returns 200 on /subjects; the Connect worker's /health
is 200 and /connector-plugins lists the FileStream and MirrorMaker 2 connectors. Exits 0 when all
are ready, 1 on timeout or when one of the watched processes died (its log file is named and its
tail printed).

The admin password is read from KAFKA_ADMIN_PASSWORD, never from the command line; the OAuth
client secret from the issuer's client file (--oauth-clients).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka.admin import AdminClient

CONNECTORS = {
    "org.apache.kafka.connect.file.FileStreamSourceConnector",
    "org.apache.kafka.connect.file.FileStreamSinkConnector",
    "org.apache.kafka.connect.mirror.MirrorSourceConnector",
    "org.apache.kafka.connect.mirror.MirrorCheckpointConnector",
    "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector",
}

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


def _get(url: str) -> tuple[int, bytes] | str:
    """(status, body), or why there is none."""
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except (OSError, ValueError) as exc:
        return f"not answering ({exc})"


def http_check(url: str) -> Callable[[], str | None]:
    def check() -> str | None:
        got = _get(url)
        if isinstance(got, str):
            return got
        return None if got[0] == 200 else f"HTTP {got[0]}"

    return check


def connect_check(base: str) -> Callable[[], str | None]:
    """The worker has joined its group (/health 200) and loaded the connectors we use."""

    def check() -> str | None:
        health = http_check(f"{base}/health")()
        if health is not None:
            return f"/health: {health}"
        got = _get(f"{base}/connector-plugins")
        if isinstance(got, str) or got[0] != 200:
            return f"/connector-plugins: {got if isinstance(got, str) else f'HTTP {got[0]}'}"
        missing = CONNECTORS - {plugin["class"] for plugin in json.loads(got[1])}
        return f"connectors missing: {', '.join(sorted(missing))}" if missing else None

    return check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--main", help="bootstrap servers of the PLAINTEXT cluster")
    parser.add_argument("--brokers", type=int, default=3, help="brokers the main cluster must list")
    parser.add_argument("--sasl", help="bootstrap server of the SASL/ACL node")
    parser.add_argument("--tls-dir", type=Path, help="the TLS material of scripts/local_tls.py (for the next three)")
    parser.add_argument("--ssl", help="HOST:PORT of the SASL node's mTLS listener")
    parser.add_argument("--sasl-ssl", help="HOST:PORT of the SASL node's SASL_SSL listener (SCRAM and OAUTHBEARER)")
    parser.add_argument("--badhost", help="HOST:PORT of the SASL node's listener with a wrong-host certificate")
    parser.add_argument("--issuer", help="base URL of the OAuth token issuer (scripts/oauth_issuer.py)")
    parser.add_argument("--oauth-clients", type=Path, help="the issuer's client file (secret of mqctl-admin)")
    parser.add_argument("--registry", help="URL that must answer 200 when the registry is up")
    parser.add_argument("--connect", help="base URL of the Kafka Connect worker's REST API")
    parser.add_argument("--watch", action="append", default=[], metavar="NAME:PID:LOG",
                        help="a process whose death ends the wait at once")
    args = parser.parse_args(argv)

    watched = []
    for spec in args.watch:
        name, pid, log = spec.split(":", 2)
        watched.append(Watched(name, int(pid), Path(log)))
    logs = {w.name: w.log for w in watched}

    password = os.environ.get("KAFKA_ADMIN_PASSWORD", "admin-secret")
    checks: dict[str, Callable[[], str | None]] = {}
    if args.main:
        checks["kafka"] = kafka_check({"bootstrap.servers": args.main}, args.brokers)
    if args.sasl:
        checks["sasl"] = kafka_check({
            "bootstrap.servers": args.sasl,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": "admin",
            "sasl.password": password,
        }, 1)
    if args.ssl or args.sasl_ssl or args.badhost:
        if args.tls_dir is None:
            parser.error("--ssl, --sasl-ssl and --badhost need --tls-dir")
        tls = args.tls_dir
        ca = {"ssl.ca.location": str(tls / "ca.crt")}
        client_cert = {
            **ca,
            "ssl.certificate.location": str(tls / "mqctl-admin.crt"),
            "ssl.key.location": str(tls / "mqctl-admin.key"),
        }
        if args.ssl:
            checks["sasl ssl (mTLS)"] = kafka_check(
                {"bootstrap.servers": args.ssl, "security.protocol": "SSL", **client_cert}, 1
            )
        if args.badhost:
            # the listener answers; that clients refuse its certificate is scripts/check_secure_listeners.py's part
            checks["sasl ssl wrong-host"] = kafka_check({
                "bootstrap.servers": args.badhost, "security.protocol": "SSL",
                "ssl.endpoint.identification.algorithm": "none", **client_cert,
            }, 1)  # fmt: skip
        if args.sasl_ssl:
            checks["sasl_ssl scram"] = kafka_check({
                "bootstrap.servers": args.sasl_ssl, "security.protocol": "SASL_SSL", **ca,
                "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "admin", "sasl.password": password,
            }, 1)  # fmt: skip
            if args.issuer and args.oauth_clients:
                secret = json.loads(args.oauth_clients.read_text())["clients"]["mqctl-admin"]["secret"]
                checks["sasl_ssl oauth"] = kafka_check({
                    "bootstrap.servers": args.sasl_ssl, "security.protocol": "SASL_SSL", **ca,
                    "sasl.mechanism": "OAUTHBEARER", "sasl.oauthbearer.method": "oidc",
                    "sasl.oauthbearer.client.id": "mqctl-admin", "sasl.oauthbearer.client.secret": secret,
                    "sasl.oauthbearer.token.endpoint.url": f"{args.issuer}/oauth2/token",
                    "sasl.oauthbearer.scope": "kafka",
                }, 1)  # fmt: skip
    if args.issuer:
        checks["issuer"] = http_check(f"{args.issuer}/oauth2/jwks")
    if args.registry:
        checks["registry"] = http_check(args.registry)
    if args.connect:
        checks["connect"] = connect_check(args.connect)

    start = time.monotonic()
    deadline = start + args.timeout
    last: dict[str, str] = {}
    ready: set[str] = set()
    lock = threading.Lock()

    def poll(name: str, check: Callable[[], str | None]) -> None:
        """One thread per check: a check that is not ready yet may block for seconds (a client
        timeout), and must not hold up the others."""
        while time.monotonic() < deadline:
            problem = check()
            with lock:
                if problem is None:
                    print(f"  {name:<20} ready after {time.monotonic() - start:5.1f} s", flush=True)
                    ready.add(name)
                    return
                last[name] = problem
            time.sleep(0.5)

    threads = [threading.Thread(target=poll, args=item, daemon=True) for item in checks.items()]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        for w in watched:
            if not _alive(w.pid):
                print(f"error: {w.name} (pid {w.pid}) exited while starting; last lines of {w.log}:",
                      file=sys.stderr)
                print(_tail(w.log), file=sys.stderr)
                return 1
        time.sleep(0.2)
    pending = [name for name in checks if name not in ready]
    for name in pending:
        print(f"error: {name} not ready after {args.timeout:.0f} s: {last.get(name)}", file=sys.stderr)
        for node, log in logs.items():
            if node.startswith(name.split()[0].split("_")[0]):
                print(f"  see {log}", file=sys.stderr)
    return 1 if pending else 0

if __name__ == "__main__":
    sys.exit(main())
