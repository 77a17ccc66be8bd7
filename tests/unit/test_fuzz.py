"""Property-based fuzzing of everything that reads untrusted input (issue 12, item 6).

Random and mutated spec documents (the repository's own example specs, with values replaced by wrong
types, huge/negative/NaN numbers, odd unicode, deep nesting, aliases, unknown keys and hostile names),
random bytes and random CLI arguments go to `mqctl validate`, `mqctl plan` (against an unreachable
bootstrap, timeout 1 s), `mqctl partitions calc` and `mqctl template`, in process through typer's
CliRunner. Every example must end with exit code 0, 1 or 2 and a message, never an uncaught
exception, within its deadline.

CI is reproducible: the "ci" profile is derandomized (the same examples every run, no example
database) and sized to finish in well under 60 s on the 2-core CI machine; `HYPOTHESIS_PROFILE=dev`
explores with fresh random examples. Inputs that once crashed are pinned with @example.

Every registered kind's example specs are mutated, and the policies' (their CEL expressions run in
the evaluator's own process, so a mutated policy reaches it too); a test fails when a kind is added
without an example to mutate.
"""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mqctl import schema_check
from mqctl.cli import app
from mqctl.diagnostics import Diagnostic
from mqctl.kinds import KINDS as REGISTERED
from mqctl.kinds.topics.configs import TOPIC_CONFIGS
from mqctl.yamlsource import YamlDocument, parse_yaml

REPO = Path(__file__).resolve().parents[2]
KINDS = (*(kind.name for kind in REGISTERED), "policies")  # every spec folder mqctl reads
EXAMPLES = {kind: sorted((REPO / kind).glob("*.yaml")) for kind in KINDS}
CONFIG = (  # the environments the example specs name (policies/design.yaml: `secure`)
    "environments:\n"
    "  dev:\n    bootstrap_servers: 127.0.0.1:1\n    timeout_seconds: 1\n"
    "  prod:\n    bootstrap_servers: 127.0.0.1:1\n    timeout_seconds: 1\n"
    "  secure:\n    bootstrap_servers: 127.0.0.1:1\n    timeout_seconds: 1\n"
)
SECRET_ENV = {f"{n}_SERVICE_PASSWORD": f"{n.lower()}-fuzz-secret"
              for n in ("ORDER", "INVENTORY", "PAYMENT", "NOTIFICATION", "ANALYTICS")}

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=40,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("dev", max_examples=300, deadline=timedelta(seconds=5),
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

HOSTILE_TEXT = [
    "", " ", "-", "--5", "²", "٣", "1e999", "-1e999", "nan", "inf", "0x10", "1_000", "9" * 40, "-" + "9" * 40,
    "../../etc/passwd", "/etc/passwd", "a\x00b", "\x1b[2J\x1b]0;t\x07", "\u202eevil", "dev.dev.order.created.v1",
    "order.created.v1", "User:*", "*", "${NOT_SET}", "${ORDER_SERVICE_PASSWORD}", "<!-- mqctl-plan:prod -->",
    "`" * 5, "x" * 300, "🙂" * 10, "7d", "7x", "64KiB", "prod", "SCRAM-SHA-512", "AVRO", "compact,delete",
]
HOSTILE_NUMBERS: list[Any] = [0, -1, 1, 2**31, 2**63, -(2**63) - 1, 10**30, 1.5, -0.0, 1e308, float("inf"),
                              float("-inf"), float("nan"), True, False]

hostile = st.sampled_from(HOSTILE_TEXT + HOSTILE_NUMBERS)
scalars = st.one_of(
    hostile,  # listed three times: half of all scalars are the known-nasty values
    hostile,
    hostile,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.none(),
    st.booleans(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in a parsed document, for choosing what to mutate."""
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            out += paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += paths(value, (*prefix, index))
    return out


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def set_at(data: Any, path: tuple[Any, ...], value: Any) -> None:
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def test_every_spec_folder_has_an_example_to_mutate() -> None:
    assert all(EXAMPLES[kind] for kind in KINDS), {kind for kind in KINDS if not EXAMPLES[kind]}


@st.composite
def mutated_spec(draw: st.DrawFn) -> tuple[str, str]:
    """(kind, YAML text): an example spec file with a few values replaced, keys added or removed."""
    kind = draw(st.sampled_from(KINDS))
    source = draw(st.sampled_from(EXAMPLES[kind]))
    data = copy.deepcopy(yaml.safe_load(source.read_text(encoding="utf-8")))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        spots = paths(data)
        if not spots:
            break
        leaves = [p for p in spots if not isinstance(_at(data, p), (dict, list))]
        where = draw(st.sampled_from(leaves if leaves and draw(st.integers(0, 3)) else spots))
        action = draw(st.sampled_from(["replace", "replace", "replace", "add-key", "delete", "nest", "config"]))
        parent: Any = data
        for part in where[:-1]:
            parent = parent[part]
        configs = [p for p in spots if p and p[-1] in ("config", "cluster_defaults") and isinstance(_at(data, p), dict)]
        if action == "config" and configs:  # a known Kafka config key with a nasty value
            _at(data, draw(st.sampled_from(configs)))[draw(st.sampled_from(sorted(TOPIC_CONFIGS)))] = draw(scalars)
        elif action == "replace":
            set_at(data, where, draw(values))
        elif action == "add-key" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
        elif action == "delete":
            del parent[where[-1]]
        elif action == "nest":  # written as flow text below: yaml.safe_dump itself recurses
            depth = draw(st.sampled_from([3, 40, 70, 500]))
            set_at(data, where, f"NEST-{depth}")
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6)
    for depth in (3, 40, 70, 500):
        text = text.replace(f"NEST-{depth}", "[" * depth + "1" + "]" * depth)
    return kind, text


@st.composite
def raw_yaml(draw: st.DrawFn) -> str:
    """Text that is YAML-ish: anchors and aliases (bombs, recursion, merges), flow nesting, odd bytes."""
    pieces = draw(st.lists(st.sampled_from([
        "a: &a [x, x, x, x]\n", "b: &b [*a, *a, *a, *a]\n", "c: &c [*b, *b, *b, *b]\n", "d: [*c, *c, *c, *c]\n",
        "r: &r [*r]\n", "m: &m {k: 1}\n", "n: {<<: *m, k: 2}\n", "o: {<<: [*m, *m]}\n", "p: {<<: 5}\n",
        "q: " + "[" * 80 + "]" * 80 + "\n", "t: !!binary aGk=\n", "u: 2001-13-45\n", "v: .nan\n", "w: .inf\n",
        'x: "\\0\\e\\u202e"\n', "y: \x85\n", "? [a]\n: b\n", "---\n", "z: *missing\n", "topics:\n  - name: a.v1\n",
    ]), max_size=8))
    tail = draw(st.text(max_size=30))
    return "".join(pieces) + tail


@contextlib.contextmanager
def project(files: dict[str, bytes | str], config: str = CONFIG) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "mqctl.yaml").write_text(config, encoding="utf-8")
        shutil.copytree(REPO / "schemas" / "events", root / "schemas" / "events")
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        yield root


def run(root: Path, *args: str) -> tuple[int, str]:
    """The CLI in process; the property every example must hold is checked here."""
    with pytest.MonkeyPatch.context() as patch:  # hypothesis runs many examples in one test call
        patch.chdir(root)
        for key, value in SECRET_ENV.items():
            patch.setenv(key, value)
        result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"mqctl {' '.join(args)} raised {result.exception!r}") from result.exception
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    assert result.output.strip(), "no message"
    assert "Traceback" not in result.output
    assert not any(secret in result.output for secret in SECRET_ENV.values())
    return result.exit_code, result.output


# --- what this branch owns: strict now ------------------------------------------------------------

@given(st.one_of(st.text(max_size=300), raw_yaml()))
@example("a: &a [*a]\n")
@example('x: "\\0"\n')
def test_parse_yaml_never_raises(text: str) -> None:
    started = time.perf_counter()
    doc = parse_yaml(text, "f.yaml")
    assert time.perf_counter() - started < 1
    assert isinstance(doc, (YamlDocument, Diagnostic))
    if isinstance(doc, YamlDocument):
        schemas = [(kind.schema, kind.schema_package) for kind in REGISTERED]
        schemas.append(("config", schema_check.CONFIG_PACKAGE))
        for schema, package in schemas:
            assert all(isinstance(p, Diagnostic) for p in schema_check.check(doc, schema, package))


@given(st.binary(max_size=200))
def test_validate_of_random_bytes_in_a_spec_file_is_an_error_not_a_crash(data: bytes) -> None:
    with project({"topics/t.yaml": data}) as root:
        run(root, "validate")


@st.composite
def mutated_config(draw: st.DrawFn) -> str:
    data: dict[str, Any] = {
        "environments": {
            "dev": {"bootstrap_servers": "127.0.0.1:1", "timeout_seconds": 1,
                    "security": {"protocol": "SASL_SSL", "sasl_mechanism": "PLAIN", "username": "u",
                                 "password": "${ORDER_SERVICE_PASSWORD}", "ssl_ca_location": "/nonexistent"},
                    "schema_registry": {"url": "https://r:8081", "password": "literal-secret"},
                    "overrides": {"max_partitions": 4}, "policy": {"max_deletes": 3, "protected_topics": ["*"]}},
        },
        "naming": {"pattern": "^(?P<env>[a-z]+)\\.(?P<domain>[a-z]+)\\..*$"},
    }
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        where = draw(st.sampled_from(paths(data)))
        set_at(data, where, draw(st.one_of(values, st.sampled_from(
            ["http://h:99999", "https://u:p@h", "(?=x)", "(a+)+$", "", "h:abc", ".inf"]))))
    return yaml.safe_dump(data, allow_unicode=True, width=10**6)


@given(mutated_config())
@example("environments: http://h:99999\n")  # crashed _register_all_secrets (found by this test)
def test_validate_and_plan_with_a_mutated_config_never_crash(config: str) -> None:
    with project({"topics/t.yaml": "topics:\n  - {name: a.b.v1, partitions: 1, replication_factor: 1}\n"},
                 config) as root:
        run(root, "validate")
        code, _ = run(root, "plan", "--env", "dev", "-o", "json")
        assert code == 1  # the bootstrap is unreachable, or the config is wrong: never "changes"


NUMBERS = st.one_of(st.sampled_from(HOSTILE_TEXT), st.from_regex(r"-?[0-9]{0,25}(\.[0-9]{0,5})?(e-?[0-9]{1,4})?",
                                                                 fullmatch=True), st.text(max_size=10))


@given(st.lists(st.tuples(st.sampled_from(["--target-throughput", "--partition-throughput", "--max-consumers",
                                           "--message-size", "--headroom", "--brokers", "-o"]), NUMBERS),
                max_size=6),
       st.booleans())
@example([("--target-throughput", "1e308"), ("--partition-throughput", "1e-308"), ("--max-consumers", "1")], False)
def test_partitions_calc_never_crashes(options: list[tuple[str, str]], rounding: bool) -> None:
    args = [part for option in options for part in option] + (["--round-to-brokers"] if rounding else [])
    with project({}) as root:
        run(root, "partitions", "calc", *args)


@given(st.sampled_from(["broker", "producer", "consumer", "topic"]),
       st.lists(st.tuples(st.sampled_from(["--cores", "--disks", "--rack", "--profile", "-o"]), NUMBERS), max_size=4))
@example("broker", [("--disks", "1e9")])
def test_template_never_crashes(kind: str, options: list[tuple[str, str]]) -> None:
    with project({}) as root:
        run(root, "template", kind, *[part for option in options for part in option])


# --- through the spec builders (phase 2 fixes the crashers listed in docs/security.md) -------------

KNOWN_CRASHERS = [  # found by this test or named in issue 12: each once a traceback, kept as a regression
    ("topics", "topics:\n  - {name: a.b.v1, partitions: 1, replication_factor: 1, config: {retention.ms: '--5'}}\n"),
    ("topics", "topics:\n  - {name: a.b.v1, partitions: 1, replication_factor: 1, config: {segment.bytes: '²'}}\n"),
    ("topics", "topics:\n  - {name: a.b.v1, partitions: 1, replication_factor: 3,\n"
               "     config: {min.insync.replicas: '--2'}}\n"),
    ("brokers", "brokers:\n  cluster_defaults: {log.retention.ms: '--5'}\n"),
    ("topics", "topics:\n  - {name: a.b.v1, partitions: 2, replication_factor: 1,\n"
               "     sizing: {target_throughput: 1.0e+308, partition_throughput: 1.0e-308}}\n"),
]


@given(mutated_spec())
@example(KNOWN_CRASHERS[0])
@example(KNOWN_CRASHERS[1])
@example(KNOWN_CRASHERS[2])
@example(KNOWN_CRASHERS[3])
@example(KNOWN_CRASHERS[4])
def test_mutated_specs_validate_without_crashing(spec: tuple[str, str]) -> None:
    kind, text = spec
    with project({f"{kind}/fuzz.yaml": text}) as root:
        run(root, "validate")


@settings(max_examples=8, deadline=timedelta(seconds=15))
@given(mutated_spec())
def test_mutated_specs_plan_against_an_unreachable_cluster_without_crashing(spec: tuple[str, str]) -> None:
    kind, text = spec
    with project({f"{kind}/fuzz.yaml": text}) as root:
        code, _ = run(root, "plan", "--env", "dev")
        assert code == 1  # spec errors, or the cluster cannot be reached
