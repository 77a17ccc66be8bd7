"""Compare docker-compose.yml with the configs scripts/local-cluster.sh writes (there is no Docker
engine on the development machines, so this is how the compose file is kept honest).

    .venv/bin/python scripts/check_compose.py [COMPOSE_FILE]     # default: the repository's

For kafka-1..4 the image's KAFKA_* environment variables are turned into properties the way the
apache/kafka image does (KAFKA_FOO_BAR -> foo.bar, `__` -> `-`, `___` -> `_`); for the SASL node
and the Connect worker the heredoc their command writes is read. Each is compared key by key with
`scripts/local-cluster.sh config NAME`. Differences that a container needs (bind addresses, the
INTERNAL replication listener, container paths, compose host names) are listed as expected; any
other difference, or a key only one side has, fails. Also checks that every published port is on
127.0.0.1 and appears once. Exit 0 when only expected differences remain.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
STATE = "/state"  # MQCTL_CLUSTER_DIR for the script's side: its paths become /state/...

# keys whose values legitimately differ in containers, per compared service
KAFKA_EXPECTED = {"listeners", "advertised.listeners", "listener.security.protocol.map", "inter.broker.listener.name",
                  "controller.quorum.voters", "log.dirs"}  # fmt: skip
SASL_EXPECTED = {"listeners", "log.dirs"}
CONNECT_EXPECTED = {"bootstrap.servers", "listeners"}
CONNECT_ONLY_IN_COMPOSE = {"plugin.path"}
IMAGE_ENV_NOT_PROPERTIES = {"KAFKA_HEAP_OPTS", "KAFKA_OPTS"}


def properties(text: str) -> dict[str, str]:
    props = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            props[key.strip()] = value.strip()
    return props


def script_config(name: str) -> dict[str, str]:
    # the compose file publishes the default ports: compare with the script's at offset 0
    env = {**os.environ, "MQCTL_CLUSTER_DIR": STATE, "KAFKA_ADMIN_PASSWORD": "admin-secret", "MQCTL_PORT_OFFSET": "0"}
    out = subprocess.run([str(ROOT / "scripts" / "local-cluster.sh"), "config", name], env=env,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return properties(out.replace(f"{STATE}/tls/", "/tls/"))


def image_env_to_property(key: str) -> str:
    """The apache/kafka image's rule: `___` -> `_`, `__` -> `-`, `_` -> `.`, lower case."""
    parts = re.split(r"(_{1,3})", key.removeprefix("KAFKA_"))
    return "".join({"_": ".", "__": "-", "___": "_"}.get(p, p.lower()) for p in parts)


def heredoc(command: str, opener: str) -> str:
    """The lines between `opener` and the closing EOF, as bash writes them after compose's `$$` -> `$`."""
    lines = command.splitlines()
    start = next(i for i, line in enumerate(lines) if opener in line) + 1
    end = next(i for i in range(start, len(lines)) if lines[i].strip() == "EOF")
    text = "\n".join(lines[start:end]).replace("$$", "$")
    if "<<'EOF'" not in opener:  # an unquoted heredoc expands \$ and the variables it uses
        text = text.replace("\\$", "$").replace('"$pw"', '"admin-secret"').replace("$pw", "admin-secret")
    return text


def compare(name: str, compose: dict[str, str], script: dict[str, str], expected: set[str],
            only_compose: frozenset[str] = frozenset()) -> list[str]:  # fmt: skip
    problems = []
    for key in sorted(set(compose) | set(script)):
        if key in only_compose and key not in script:
            print(f"  {name}: {key}={compose[key]} only in compose (expected)")
        elif key not in compose:
            problems.append(f"{name}: {key} missing in docker-compose.yml (script: {script[key]})")
        elif key not in script:
            problems.append(f"{name}: {key}={compose[key]} only in docker-compose.yml")
        elif compose[key] != script[key]:
            if key in expected:
                print(f"  {name}: {key} differs (expected): compose {compose[key]} / script {script[key]}")
            else:
                problems.append(f"{name}: {key}: compose {compose[key]!r} != script {script[key]!r}")
    return problems


def main(path: Path = ROOT / "docker-compose.yml") -> int:
    compose: dict[str, Any] = yaml.safe_load(path.read_text())
    services = compose["services"]
    problems: list[str] = []
    wanted = {"kafka-1", "kafka-2", "kafka-3", "kafka-4", "kafka-sasl", "tls", "issuer", "connect", "registry"}
    if missing := wanted - set(services):
        problems.append(f"services missing: {sorted(missing)}")

    for n in (1, 2, 3, 4):
        env = services[f"kafka-{n}"]["environment"]
        props = {image_env_to_property(k): str(v).lower() if isinstance(v, bool) else str(v)
                 for k, v in env.items() if k.startswith("KAFKA_") and k not in IMAGE_ENV_NOT_PROPERTIES}  # fmt: skip
        problems += compare(f"kafka-{n}", props, script_config(f"kafka-{n}"), KAFKA_EXPECTED)

    sasl = services["kafka-sasl"]
    problems += compare("kafka-sasl", properties(heredoc(sasl["command"][0], 'cat >"$$conf" <<EOF')),
                        script_config("sasl"), SASL_EXPECTED)  # fmt: skip
    allowed = "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=http://127.0.0.1:8085/oauth2/jwks"
    if sasl["environment"].get("KAFKA_OPTS") != allowed:
        problems.append(f"kafka-sasl: KAFKA_OPTS should be {allowed}")

    connect = services["connect"]
    problems += compare("connect", properties(heredoc(connect["command"][0], "<<'EOF'")), script_config("connect"),
                        CONNECT_EXPECTED, frozenset(CONNECT_ONLY_IN_COMPOSE))  # fmt: skip

    published: list[str] = []
    for name, service in services.items():
        for port in service.get("ports", []):
            if not str(port).startswith("127.0.0.1:"):
                problems.append(f"{name}: port {port} is not published on 127.0.0.1 only")
            published.append(str(port).split(":")[1])
    if duplicates := sorted({p for p in published if published.count(p) > 1}):
        problems.append(f"host ports published twice: {duplicates}")

    for problem in problems:
        print(f"UNEXPECTED {problem}")
    verdict = f"{len(problems)} unexpected difference(s)" if problems else "no unexpected differences"
    print(f"docker-compose.yml: {len(services)} services, {len(published)} published ports, {verdict}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*(Path(arg) for arg in sys.argv[1:2])))
