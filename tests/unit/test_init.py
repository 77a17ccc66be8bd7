"""`mqctl init`: a new project that validates as written, with a folder and a modeline per kind of the
registry, the editor schemas those modelines point at, and a CI pipeline listing every spec folder."""

from __future__ import annotations

from pathlib import Path

import yaml

from mqctl.exporting import SCHEMA_DIR
from mqctl.kinds import KINDS
from mqctl.workflows.init import scaffold
from tests.conftest import Project


def project_at(root: Path) -> Project:
    return Project(root, "dev")


def test_init_writes_a_project_that_validates(tmp_path: Path) -> None:
    project = project_at(tmp_path)
    made = project.run("init", "--registry", "http://127.0.0.1:8081", "--connect", "http://127.0.0.1:8083")
    assert made.exit_code == 0, made.output
    config = yaml.safe_load((tmp_path / "mqctl.yaml").read_text())
    assert list(config["environments"]) == ["dev"]
    assert config["environments"]["dev"]["schema_registry"] == {"url": "http://127.0.0.1:8081"}
    for kind in KINDS:  # one folder per kind of the registry, its file pointing at the exported schema
        spec = tmp_path / kind.name / f"{kind.name}.yaml"
        first = spec.read_text().splitlines()[0]
        assert first == f"# yaml-language-server: $schema=../{SCHEMA_DIR}/{kind.schema}.schema.json"
        assert (tmp_path / SCHEMA_DIR / f"{kind.schema}.schema.json").is_file()
    workflow = yaml.safe_load((tmp_path / ".github/workflows/mqctl.yml").read_text())
    assert workflow[True]["pull_request"]["paths"] == [  # YAML 1.1 reads the key `on` as true
        "mqctl.yaml", *(f"{k.name}/**" for k in KINDS), "policies/**"
    ]
    validated = project.run("validate")
    assert validated.exit_code == 0, validated.output
    assert "validate: OK, 0 warning(s)" in validated.stdout


def test_init_leaves_out_the_kinds_the_environment_cannot_hold_and_says_why(tmp_path: Path) -> None:
    made = project_at(tmp_path).run("init", "--env", "prod", "--bootstrap", "kafka-1:9092", "--ci", "gitlab")
    assert made.exit_code == 0, made.output
    assert "no schemas/ folder: the environment has no schema_registry" in made.stdout
    assert not (tmp_path / "schemas").exists() and not (tmp_path / "connectors").exists()
    assert (tmp_path / "topics" / "topics.yaml").is_file() and (tmp_path / ".gitlab-ci.yml").is_file()
    assert "# schema_registry:" in (tmp_path / "mqctl.yaml").read_text()
    assert project_at(tmp_path).run("validate").exit_code == 0


def test_init_never_overwrites_and_writes_nothing_when_it_refuses(tmp_path: Path) -> None:
    (tmp_path / "mqctl.yaml").write_text("# mine\n")
    refused = project_at(tmp_path).run("init")
    assert refused.exit_code == 1
    assert "refusing to overwrite mqctl.yaml" in refused.stderr
    assert (tmp_path / "mqctl.yaml").read_text() == "# mine\n" and not (tmp_path / "topics").exists()
    assert project_at(tmp_path).run("init", "--force", "--ci", "none").exit_code == 0
    assert not (tmp_path / ".github").exists()


def test_init_refuses_a_bad_environment_name_or_ci() -> None:
    import pytest

    from mqctl.diagnostics import MqctlError

    with pytest.raises(MqctlError, match="lower-case name"):
        scaffold("Prod-1", "kafka:9092", None)
    with pytest.raises(MqctlError, match="--ci must be one of github, gitlab or none"):
        scaffold("prod", "kafka:9092", "jenkins")


def test_readme_starting_your_own_project_runs_as_written(tmp_path: Path) -> None:
    import os
    import sys

    from tests.conftest import readme_block, run_lines

    lines = readme_block("empty-dir")
    assert lines[0].startswith("mqctl init ")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for line, code, output in run_lines(lines, tmp_path, env, seconds=120):
        assert code == 0, f"{line}\n{output}"
    assert (tmp_path / "schemas" / "schemas.yaml").is_file()  # --registry in the README's line
    assert "validate: OK" in output
