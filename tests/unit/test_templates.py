"""Tuning templates: every kind x profile renders the design's values; machine formulas; strict data."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from mqctl import templates
from mqctl.templates import KINDS, PROFILES, TemplateError, render, to_json, to_properties, to_yaml
from tests.conftest import Project

# Values the design fixes; they must hold in every profile.
DESIGN: dict[str, dict[str, str]] = {
    "broker": {
        "default.replication.factor": "3",
        "min.insync.replicas": "2",
        "log.retention.hours": "168",
        "unclean.leader.election.enable": "false",
    },
    "producer": {
        "acks": "all",
        "enable.idempotence": "true",
        "retries": "3",
        "request.timeout.ms": "30000",
        "buffer.memory": "134217728",
    },
    "consumer": {
        "enable.auto.commit": "false",
        "max.poll.records": "500",
        "session.timeout.ms": "30000",
    },
    "topic": {
        "replication.factor": "3",
        "min.insync.replicas": "2",
        "retention.ms": "604800000",
    },
}

# What each profile changes, per kind (the profile's reason to exist).
PROFILE_VALUES: dict[tuple[str, str], dict[str, str]] = {
    ("broker", "durable"): {"compression.type": "lz4", "socket.send.buffer.bytes": "1048576"},
    ("broker", "throughput"): {"socket.send.buffer.bytes": "2097152", "queued.max.requests": "1000"},
    ("broker", "latency"): {"compression.type": "producer"},
    ("producer", "durable"): {"linger.ms": "5", "batch.size": "65536", "compression.type": "lz4"},
    ("producer", "throughput"): {"linger.ms": "50", "batch.size": "131072", "compression.type": "lz4"},
    ("producer", "latency"): {"linger.ms": "0", "batch.size": "16384", "compression.type": "none"},
    ("consumer", "durable"): {"fetch.min.bytes": "1", "fetch.max.wait.ms": "500"},
    ("consumer", "throughput"): {"fetch.min.bytes": "65536", "max.partition.fetch.bytes": "2097152"},
    ("consumer", "latency"): {"fetch.min.bytes": "1", "fetch.max.wait.ms": "100"},
    ("topic", "durable"): {"compression.type": "lz4", "cleanup.policy": "delete"},
    ("topic", "throughput"): {"compression.type": "lz4"},
    ("topic", "latency"): {"compression.type": "producer"},
}


def _properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_and_profile_has_the_design_values(kind: str, profile: str) -> None:
    rendered = render(kind, profile)
    values = rendered.values()
    assert values.items() >= DESIGN[kind].items()
    assert values.items() >= PROFILE_VALUES[(kind, profile)].items()
    assert all(s.why.strip() for s in rendered.settings)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("kind", KINDS)
def test_properties_output_has_a_why_comment_above_every_key(kind: str, profile: str) -> None:
    rendered = render(kind, profile)
    text = to_properties(rendered)
    lines = text.splitlines()
    assert lines[0] == f"# mqctl template {kind} --profile {profile}: {rendered.description}"
    assert _properties(text) == rendered.values()
    for setting in rendered.settings:
        if setting.text is None:
            continue
        at = lines.index(f"{setting.key}={setting.text}")
        comments = []
        for line in reversed(lines[:at]):
            if not line.startswith("#"):
                break
            comments.append(line)
        assert f"# {setting.why}" in comments


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("kind", KINDS)
def test_yaml_and_json_outputs_carry_the_same_values(kind: str, profile: str) -> None:
    rendered = render(kind, profile)
    as_yaml: dict[str, Any] = yaml.safe_load(to_yaml(rendered))
    assert {k: rendered.get(k).text for k in as_yaml} == rendered.values()
    as_json = json.loads(to_json(rendered))
    assert (as_json["kind"], as_json["profile"]) == (kind, profile)
    assert {s["key"]: s["value"] for s in as_json["settings"]} == {
        s.key: s.value for s in rendered.settings
    }
    assert all(s["why"] for s in as_json["settings"])


def test_yaml_values_keep_their_types() -> None:
    as_yaml = yaml.safe_load(to_yaml(render("producer", "durable")))
    assert as_yaml["enable.idempotence"] is True
    assert as_yaml["batch.size"] == 65536
    assert as_yaml["acks"] == "all"


def test_broker_reference_machine() -> None:
    rendered = render("broker", "durable")
    assert rendered.machine is not None
    assert (rendered.machine.cores, rendered.machine.disks, rendered.machine.rack) == (8, 1, None)
    values = rendered.values()
    assert values["num.network.threads"] == "4"  # ceil(0.5 * 8)
    assert values["num.io.threads"] == "8"  # 8 per disk
    assert values["num.replica.fetchers"] == "2"  # ceil(0.25 * 8)
    assert values["num.recovery.threads.per.data.dir"] == "8"  # 8 cores / 1 disk
    assert values["log.dirs"] == "/var/lib/kafka/data-1"
    assert "broker.rack" not in values


def test_broker_machine_shape_formulas() -> None:
    rendered = render("broker", "durable", cores=32, disks=4, rack="dc-b")
    values = rendered.values()
    assert values["num.network.threads"] == "16"
    assert values["num.io.threads"] == "32"
    assert values["num.replica.fetchers"] == "8"
    assert values["num.recovery.threads.per.data.dir"] == "8"
    assert values["log.dirs"].split(",") == [f"/var/lib/kafka/data-{n}" for n in range(1, 5)]
    assert values["broker.rack"] == "dc-b"
    assert rendered.get("num.network.threads").formula == "ceil(0.5 * 32 cores), at least 3"
    assert rendered.get("num.recovery.threads.per.data.dir").formula == (
        "ceil(1 * 32 cores / 4 disks), at least 1")


def test_broker_minimums_hold_on_small_machines() -> None:
    values = render("broker", "durable", cores=2, disks=3).values()
    assert values["num.network.threads"] == "3"  # ceil(0.5 * 2) = 1, at least 3
    assert values["num.io.threads"] == "24"
    assert values["num.replica.fetchers"] == "2"
    assert values["num.recovery.threads.per.data.dir"] == "1"  # ceil(2 / 3)


def test_profiles_override_formulas() -> None:
    assert render("broker", "throughput", cores=16).values()["num.replica.fetchers"] == "8"
    assert render("broker", "latency", cores=16).values()["num.network.threads"] == "16"


def test_properties_shows_formula_and_comments_out_an_unset_rack() -> None:
    text = to_properties(render("broker", "durable", cores=16, disks=2))
    assert "# = ceil(0.5 * 16 cores), at least 3\nnum.network.threads=8" in text
    assert "#broker.rack=  (not set: give --rack)" in text
    assert "# machine: 16 cores, 2 disk(s), rack (not given)" in text
    assert "broker.rack=dc-a" in to_properties(render("broker", "durable", rack="dc-a"))


def test_host_specific_broker_keys_are_not_checked() -> None:
    rendered = render("broker", "durable", rack="dc-a")
    unchecked = {s.key for s in rendered.settings if not s.check}
    assert unchecked == {"broker.rack", "log.dirs"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "zookeeper"}, "unknown template 'zookeeper'"),
        ({"profile": "fast"}, "unknown profile 'fast'"),
        ({"cores": 0}, "--cores must be a whole number"),
        ({"disks": -1}, "--disks must be a whole number"),
        ({"rack": " "}, "--rack must not be empty"),
        ({"kind": "producer", "cores": 4}, "apply to broker templates, not producer"),
    ],
)
def test_refusals(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"kind": "broker", "profile": "durable", **kwargs}
    with pytest.raises(TemplateError, match=message):
        render(args.pop("kind"), args.pop("profile"), **args)


def _broker_data() -> dict[str, Any]:
    return {
        "kind": "broker",
        "description": "d",
        "machine": {"cores": 8, "disks": 1},
        "settings": {"a": {"value": 1, "why": "because"}},
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(extra=1), "unknown field"),
        (lambda d: d["settings"]["a"].pop("why"), "missing why"),
        (lambda d: d["settings"]["a"].update(value={"per_core": 1, "per_disk": 1}), "exactly one of"),
        (lambda d: d["settings"]["a"].update(value={"per_core": 1, "mn": 2}), "unknown formula field"),
        (lambda d: d["settings"]["a"].update(value={"machine": "cpu"}), "machine field must be"),
        (lambda d: d["settings"]["a"].update(profiles={"fast": {"value": 2, "why": "x"}}), "unknown profile"),
        (lambda d: d["settings"]["a"].update(profiles={"latency": {"value": 2}}), "missing why"),
        (lambda d: (d.pop("machine"), d["settings"]["a"].update(value={"per_core": 1})),
         "formulas need a `machine:` block"),
        (lambda d: d.update(kind="topic"), "expected 'broker'"),
    ],
)
def test_template_data_is_validated_strictly(change: Any, message: str) -> None:
    data = _broker_data()
    change(data)
    with pytest.raises(TemplateError, match=message):
        templates.validate("broker", data)


def test_cli_prints_properties_with_machine_shape(offline_project: Project) -> None:
    res = offline_project.run("template", "broker", "--profile", "throughput", "--cores", "16",
                              "--disks", "2", "--rack", "dc-c")
    assert res.exit_code == 0, res.output
    assert "broker.rack=dc-c" in res.stdout
    assert "# = ceil(0.5 * 16 cores), at least 2\nnum.replica.fetchers=8" in res.stdout
    assert "log.dirs=/var/lib/kafka/data-1,/var/lib/kafka/data-2" in res.stdout


@pytest.mark.parametrize("kind", ["producer", "consumer", "topic"])
def test_cli_yaml_and_json(offline_project: Project, kind: str) -> None:
    as_yaml = offline_project.run("template", kind, "-p", "latency", "-o", "yaml")
    as_json = offline_project.run("template", kind, "-p", "latency", "-o", "json")
    assert as_yaml.exit_code == as_json.exit_code == 0
    from_json = {s["key"]: s["value"] for s in json.loads(as_json.stdout)["settings"]}
    assert yaml.safe_load(as_yaml.stdout) == from_json == {
        s.key: s.value for s in render(kind, "latency").settings
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["broker", "--cores", "many"], "--cores must be a number, got 'many'"),
        (["broker", "--disks", "0"], "--disks must be greater than 0"),
        (["producer", "--profile", "fast"], "unknown profile 'fast'"),
        (["topic", "-o", "xml"], "--output must be one of properties, yaml, json"),
    ],
)
def test_cli_refusals_exit_1(offline_project: Project, args: list[str], message: str) -> None:
    res = offline_project.run("template", *args)
    assert res.exit_code == 1
    assert message in res.stderr
    assert res.stdout == ""


@pytest.mark.parametrize(
    ("kind", "profile", "keys"),
    [
        ("producer", "throughput", {"linger.ms", "batch.size"}),
        ("producer", "latency", {"linger.ms", "batch.size", "compression.type"}),
        ("consumer", "throughput", {"fetch.min.bytes", "max.partition.fetch.bytes"}),
        ("consumer", "latency", {"fetch.max.wait.ms"}),
    ],
)
def test_client_profiles_differ_where_the_guidance_says_and_say_why(kind: str, profile: str, keys: set[str]) -> None:
    durable, other = render(kind, "durable"), render(kind, profile)
    changed = {s.key for s in other.settings if s.value != durable.get(s.key).value}
    assert changed == keys
    assert all(other.get(key).why != durable.get(key).why for key in changed)  # each change has its own reason


@pytest.mark.parametrize("kind", KINDS)
def test_reasons_name_the_order_system_design_never_an_unseen_document(kind: str) -> None:
    for profile in PROFILES:
        for setting in render(kind, profile).settings:
            assert not setting.why.startswith("Design"), setting
