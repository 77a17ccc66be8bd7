"""Per-environment values (`env:`) and labels (`labels:`), resolved by the generic loader for every
kind before the JSON Schema check, with the lines of the keys that set each value."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mqctl.config import Environment, ProjectConfig
from mqctl.diagnostics import Diagnostic
from mqctl.kind import DesiredState
from mqctl.kinds import BY_NAME
from mqctl.spec import loader
from mqctl.spec.loader import load_specs
from mqctl.spec.overlay import SpecLabels, lift_labels, resolve_env
from mqctl.yamlsource import parse_yaml

ENVS = ("dev", "prod", "staging")
TOPICS = """\
    labels: {owner: payments}
    defaults:
      replication_factor: 3
      config: {min.insync.replicas: 2}
      env:
        dev: {replication_factor: 1, config: {min.insync.replicas: 1}}
    topics:
      - name: payment.events.v1
        partitions: 32
        retention: 30d
        labels: {tier: gold}
        env:
          dev: {partitions: 4, retention: 1d, labels: {tier: bronze}}
          staging: {partitions: 8}
      - name: payment.success.v1
        partitions: 16
    """


def load(root: Path, env: str, files: dict[str, str]) -> tuple[DesiredState, list[Diagnostic]]:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return load_specs(ProjectConfig(root, Environment(env, "127.0.0.1:1"), environments=ENVS))


def topics(desired: DesiredState) -> dict[str, object]:
    return {t.name: t for t in desired.of(BY_NAME["topics"])}


def test_each_environment_gets_its_values_from_one_spec(tmp_path: Path) -> None:
    values = {}
    for env in ENVS:
        desired, problems = load(tmp_path, env, {"topics/pay.yaml": TOPICS})
        assert problems == []
        spec = topics(desired)["payment.events.v1"]
        values[env] = (spec.partitions, spec.replication_factor, spec.config["retention.ms"],  # type: ignore[attr-defined]
                       spec.config["min.insync.replicas"])  # type: ignore[attr-defined]
    assert values == {
        "dev": (4, 1, str(86_400_000), "1"),
        "prod": (32, 3, str(30 * 86_400_000), "2"),
        "staging": (8, 3, str(30 * 86_400_000), "2"),
    }


def test_an_overridden_value_is_reported_at_the_override(tmp_path: Path) -> None:
    text = """\
        topics:
          - name: payment.events.v1
            partitions: 32
            replication_factor: 3
            env:
              dev:
                partitions: "many"
                config: {min.insync.replicas: 5}
        """
    _, problems = load(tmp_path, "dev", {"topics/pay.yaml": text})
    assert [(p.line, p.key) for p in problems] == [(7, "topics[0].partitions")]
    _, problems = load(tmp_path, "prod", {"topics/pay.yaml": text})
    assert problems == []
    text = text.replace('partitions: "many"', "partitions: 4").replace("replication_factor: 3", "replication_factor: 2")
    _, problems = load(tmp_path, "dev", {"topics/pay.yaml": text})
    assert [(p.line, p.key) for p in problems] == [(8, "topics[0].config.min.insync.replicas")]
    assert "greater than replication_factor 2" in problems[0].message


def test_an_unknown_environment_under_env_is_an_error_naming_file_line_and_key(tmp_path: Path) -> None:
    text = """\
        topics:
          - name: payment.events.v1
            partitions: 3
            replication_factor: 3
            env:
              prd: {partitions: 4}
        """
    _, problems = load(tmp_path, "dev", {"topics/pay.yaml": text})
    assert [(p.file, p.line, p.key) for p in problems] == [("topics/pay.yaml", 6, "topics[0].env.prd")]
    assert "'prd' is not an environment of mqctl.yaml (did you mean 'prod'?)" in problems[0].message


def test_env_works_for_every_kind(tmp_path: Path) -> None:
    files = {
        "users/svc.yaml": """\
            users:
              - name: svc
                password: ${SVC_PASSWORD}
                env: {dev: {iterations: 4096}}
            """,
        "acls/svc.yaml": """\
            acls:
              - principal: User:svc
                role: producer
                topics: [a.b.v1]
                env: {dev: {topics: [a.b.v1, a.c.v1]}}
            """,
    }
    desired, problems = load(tmp_path, "dev", files)
    assert problems == []
    assert desired.of(BY_NAME["users"])[0].iterations == 4096
    granted = {spec.binding.name for spec in desired.of(BY_NAME["acls"]) if spec.binding.resource_type == "topic"}
    assert granted == {"dev.a.b.v1", "dev.a.c.v1"}
    desired, _ = load(tmp_path, "prod", files)
    assert desired.of(BY_NAME["users"])[0].iterations == 8192


def test_bad_env_blocks_are_errors() -> None:
    doc = parse_yaml("topics:\n  - name: a\n    env: [dev]\n  - name: b\n    env: {dev: 3}\n"
                     "  - name: c\n    env: {dev: {env: {prod: {}}}}\n", "topics/x.yaml")
    assert not isinstance(doc, Diagnostic)
    problems = resolve_env(doc, "dev", ENVS)
    assert [(p.line, p.key) for p in problems] == [
        (3, "topics[0].env"), (5, "topics[1].env.dev"), (7, "topics[2].env.dev.env")
    ]


def test_labels_per_file_per_item_and_per_environment(tmp_path: Path) -> None:
    desired, problems = load(tmp_path, "dev", {"topics/pay.yaml": TOPICS})
    assert problems == []
    views = {v.name: v for v in desired.views(BY_NAME["topics"])}
    assert views["payment.events.v1"].labels == {"owner": "payments", "tier": "bronze"}
    assert views["payment.success.v1"].labels == {"owner": "payments"}
    assert views["payment.events.v1"].data["labels"] == {"owner": "payments", "tier": "bronze"}
    desired, _ = load(tmp_path, "prod", {"topics/pay.yaml": TOPICS})
    assert {v.name: v.labels for v in desired.views(BY_NAME["topics"])}["payment.events.v1"]["tier"] == "gold"


def test_bad_labels_are_errors_naming_their_key() -> None:
    doc = parse_yaml("users:\n  - name: a\n    labels: {owner: 3, -bad: x, ok: fine}\n  - name: b\n    labels: [x]\n",
                     "users/x.yaml")
    assert not isinstance(doc, Diagnostic)
    into = SpecLabels()
    problems = lift_labels(doc, into)
    assert [(p.line, p.key) for p in problems] == [(3, "users[0].labels.owner"), (3, "users[0].labels.-bad"),
                                                   (5, "users[1].labels")]
    assert 'quote it (owner: "3")' in problems[0].message
    assert "labels" not in doc.data["users"][0]
    assert list(into.by_item.values()) == [{"ok": "fine"}, {}]


def test_labels_of_two_items_on_one_line_are_refused() -> None:
    doc = parse_yaml("users: [{name: a, labels: {x: y}}, {name: b, labels: {x: z}}]\n", "users/x.yaml")
    assert not isinstance(doc, Diagnostic)
    problems = lift_labels(doc, SpecLabels())
    assert [p.key for p in problems] == ["users[1]"]


def test_one_parse_serves_every_environment_each_with_its_own_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`validate` loads every environment with one `parsed`: each file is parsed once, and each
    environment resolves its values into its own copy, the same state as a load of its own."""
    alone = {env: load(tmp_path, env, {"topics/pay.yaml": TOPICS}) for env in ENVS}
    parses: list[Path] = []
    real = loader.load_yaml_file

    def counted(path: Path, name: str | None = None) -> object:
        parses.append(path)
        return real(path, name)

    monkeypatch.setattr(loader, "load_yaml_file", counted)
    parsed: loader.Parsed = {}
    shared = {
        env: load_specs(ProjectConfig(tmp_path, Environment(env, "127.0.0.1:1"), environments=ENVS), parsed)
        for env in ENVS
    }
    assert parses == [tmp_path / "topics/pay.yaml"]
    for env in ENVS:
        assert shared[env][1] == alone[env][1] == []
        assert topics(shared[env][0]) == topics(alone[env][0])
        assert shared[env][0].labels == alone[env][0].labels
    assert topics(shared["dev"][0])["payment.events.v1"].partitions == 4  # type: ignore[attr-defined]
    assert topics(shared["prod"][0])["payment.events.v1"].partitions == 32  # type: ignore[attr-defined]


def test_a_copied_document_shares_no_mapping_or_list_with_its_original() -> None:
    """What lets one parse serve every environment: the parse builds each alias's expansion anew, and
    a copy changed in place (as resolve_env and lift_labels change it) leaves the original as it was."""
    doc = parse_yaml("base: &b {config: {a: 1}, tags: [x]}\ntopics:\n  - {<<: *b, name: t1}\n  - *b\n", "f.yaml")
    assert not isinstance(doc, Diagnostic)
    original = repr(doc)

    def containers(value: object) -> list[object]:
        found: list[object] = [value] if isinstance(value, (dict, list)) else []
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
        return found + [c for child in children for c in containers(child)]

    built = containers(doc.data)
    assert len({id(c) for c in built}) == len(built)  # no mapping or list appears twice
    copy = doc.copy()
    copy.data["topics"][1]["config"]["a"] = 2
    copy.data["topics"][0]["tags"].append("y")
    copy.data.pop("base")
    copy.lines.clear()
    copy.invalid.add(("topics", 0))
    assert repr(doc) == original
    assert {id(c) for c in containers(copy.data)}.isdisjoint(id(c) for c in built)
