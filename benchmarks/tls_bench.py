"""What TLS and OAuth cost mqctl, and how fast a misconfiguration is reported, on the local SASL node.

    MQCTL_CLUSTER_DIR=.local-cluster .venv/bin/python benchmarks/tls_bench.py [--rounds 7]

1. The first contact (KafkaAdmin(env).cluster: client settings with the TLS material checked, the
   connection, DescribeCluster) over SASL_PLAINTEXT+SCRAM, mTLS, SASL_SSL+SCRAM and
   SASL_SSL+OAUTHBEARER, rounds alternating between them.
2. Loading and checking the TLS material (`tls_context`, uncached), and reading one broker's
   certificate over a verified connection (what `cluster info` adds per broker).
3. For each misconfiguration, the time until mqctl raises its one-line error (timeout_seconds 5).

Needs `make cluster-up`. Prints Markdown; BENCHMARKS.md records a run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mqctl.config import Environment, OAuthConfig, Secret, SecurityConfig
from mqctl.diagnostics import MqctlError
from mqctl.kafka.admin import KafkaAdmin
from mqctl.kafka.certificates import certificate_or_problem, probe_brokers, tls_context

TLS = Path(os.environ.get("MQCTL_CLUSTER_DIR", ".local-cluster")).resolve() / "tls"
TOKEN_URL = "http://127.0.0.1:8085/oauth2/token"
ADMIN_PASSWORD = os.environ.get("KAFKA_ADMIN_PASSWORD", "admin-secret")


def mtls(cert: str = "mqctl-admin", **extra: object) -> SecurityConfig:
    base: dict[str, object] = {"protocol": "SSL", "ssl_ca_location": str(TLS / "ca.crt"),
                               "ssl_certificate_location": str(TLS / f"{cert}.crt"),
                               "ssl_key_location": str(TLS / f"{cert}.key")}  # fmt: skip
    return SecurityConfig(**(base | extra))  # type: ignore[arg-type]


def scram(protocol: str, password: str = ADMIN_PASSWORD) -> SecurityConfig:
    ca = str(TLS / "ca.crt") if protocol == "SASL_SSL" else None
    return SecurityConfig(protocol, "SCRAM-SHA-512", "admin", Secret(password), ssl_ca_location=ca)


def oauth(client: str = "mqctl-admin", secret: str = "mqctl-admin-secret", url: str = TOKEN_URL) -> SecurityConfig:
    return SecurityConfig("SASL_SSL", "OAUTHBEARER", ssl_ca_location=str(TLS / "ca.crt"),
                          oauth=OAuthConfig(url, client, Secret(secret), "kafka"))  # fmt: skip


GOOD = {
    "SASL_PLAINTEXT + SCRAM (49092)": ("127.0.0.1:49092", scram("SASL_PLAINTEXT")),
    "SSL, mTLS (49094)": ("127.0.0.1:49094", mtls()),
    "SASL_SSL + SCRAM (49095)": ("127.0.0.1:49095", scram("SASL_SSL")),
    "SASL_SSL + OAUTHBEARER (49095)": ("127.0.0.1:49095", oauth()),
}
BAD = {
    "unknown CA": ("127.0.0.1:49094", mtls(ssl_ca_location=str(TLS / "rogue-ca.crt"))),
    "host-name mismatch": ("127.0.0.1:49096", mtls()),
    "expired client certificate": ("127.0.0.1:49094", mtls("expired-client")),
    "untrusted client certificate": ("127.0.0.1:49094", mtls("rogue-client")),
    "no client certificate": ("127.0.0.1:49094", SecurityConfig("SSL", ssl_ca_location=str(TLS / "ca.crt"))),
    "missing key password": ("127.0.0.1:49094", mtls("order-service",
                                                     ssl_key_location=str(TLS / "order-service-encrypted.key"))),
    "token endpoint unreachable": ("127.0.0.1:49095", oauth(url="http://127.0.0.1:8099/oauth2/token")),
    "token endpoint refuses the client": ("127.0.0.1:49095", oauth(secret="wrong-secret")),
    "broker refuses the token": ("127.0.0.1:49095", oauth("wrong-audience", "wrong-audience-secret")),
    "PLAINTEXT to the TLS listener": ("127.0.0.1:49094", SecurityConfig("PLAINTEXT")),
    "SASL_SSL to the SASL_PLAINTEXT listener": ("127.0.0.1:49092", scram("SASL_SSL")),
    "wrong SCRAM password": ("127.0.0.1:49095", scram("SASL_SSL", "wrong-password")),
}  # fmt: skip


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def first_contact(bootstrap: str, security: SecurityConfig) -> None:
    tls_context.cache_clear()  # each round pays for loading the material, like a new mqctl process
    KafkaAdmin(Environment("bench", bootstrap, 15, security)).cluster  # noqa: B018


def failure(bootstrap: str, security: SecurityConfig) -> str:
    tls_context.cache_clear()
    try:
        KafkaAdmin(Environment("bench", bootstrap, 5, security)).cluster  # noqa: B018
    except MqctlError as exc:
        return exc.message
    raise SystemExit(f"{bootstrap}: connected although it should not have")


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ({min(values) * 1000:.0f}-{max(values) * 1000:.0f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds

    times: dict[str, list[float]] = {name: [] for name in GOOD}
    for _ in range(rounds):
        for name, (bootstrap, security) in GOOD.items():
            times[name].append(timed(lambda b=bootstrap, s=security: first_contact(b, s)))  # type: ignore[misc]
    print(f"First contact (client settings + connect + DescribeCluster), ms: median (min-max) of {rounds}\n")
    print("| listener | first contact |\n| --- | ---: |")
    for name, values in times.items():
        print(f"| {name} | {ms(values)} |")

    contexts = []
    for _ in range(20):
        tls_context.cache_clear()
        contexts.append(timed(lambda: tls_context(mtls())))
    security = mtls()
    def read_certificate() -> None:  # what KafkaAdmin.broker_certificates does for each broker
        for probe in probe_brokers(security, {1: ("127.0.0.1", 49094)}, 5).values():
            certificate_or_problem(probe, 5)

    reads = [timed(read_certificate) for _ in range(rounds)]
    print("\n| step | ms: median (min-max) |\n| --- | ---: |")
    print(f"| load and check CA, client certificate and key (`tls_context`, 20 runs) | {ms(contexts)} |")
    print(f"| read one broker's certificate, verified (`probe_brokers`, {rounds} runs) | {ms(reads)} |")

    print("\nMisconfigurations (timeout_seconds 5): time until the one-line error, 3 runs\n")
    print("| case | ms: median (min-max) | the line (start) |\n| --- | ---: | --- |")
    for name, (bootstrap, security) in BAD.items():
        spent, said = [], ""
        for _ in range(3):
            start = time.perf_counter()
            said = failure(bootstrap, security)
            spent.append(time.perf_counter() - start)
        print(f"| {name} | {ms(spent)} | {said[:90].replace('|', '/')}… |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
