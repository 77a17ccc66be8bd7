"""Schema files named by specs stay inside the project (issue 12, items 1 and 3): `../`, absolute
paths, links leading out, FIFOs, devices, directories and files over mqctl.yaml's bound are errors
at the spec's file, line and key; what such a file holds is never read, printed, rendered or
uploaded; schema text nested past MAX_SCHEMA_DEPTH is an error, not a RecursionError. Every test
here fails on the code before phase 2 of the security pass (which read `file:` wherever it led)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mqctl.cli import app
from mqctl.config import Environment, Limits, ProjectConfig, load_config
from mqctl.diagnostics import Diagnostic, MqctlError, Severity
from mqctl.kind import DesiredState
from mqctl.kinds import schemas
from mqctl.safefiles import MAX_SCHEMA_DEPTH
from mqctl.spec.loader import load_specs

MARKER = "TOP-SECRET-OUTSIDE-THE-PROJECT"  # what the file outside holds: it must never show
AVRO = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}'


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "schemas").mkdir(parents=True)
    (tmp_path / "outside.avsc").write_text(json.dumps({"type": "record", "name": MARKER, "fields": []}))
    (project / "mqctl.yaml").write_text(
        "environments:\n  dev:\n    bootstrap_servers: 127.0.0.1:1\n    timeout_seconds: 1\n"
        "    schema_registry: {url: 'http://127.0.0.1:1'}\n"
    )
    return project


def load(root: Path, file: str, limits: Limits | None = None) -> tuple[DesiredState, list[Diagnostic]]:
    (root / "schemas" / "subjects.yaml").write_text(f"subjects:\n  - {{subject: s, type: AVRO, file: '{file}'}}\n")
    return load_specs(ProjectConfig(root, Environment("dev", "127.0.0.1:1"), limits=limits or Limits()))


def refused(root: Path, file: str, limits: Limits | None = None) -> str:
    """The one error about `file:`, checked for where it is reported and that nothing was built."""
    desired, problems = load(root, file, limits)
    assert [(p.file, p.line, p.key, p.severity) for p in problems] == [
        ("schemas/subjects.yaml", 2, "subjects[0].file", Severity.ERROR)
    ], problems
    assert desired.of(schemas.KIND) == ()  # nothing to register: the content is never uploaded
    assert MARKER not in problems[0].message and "root:" not in problems[0].message
    return problems[0].message


def cli_outputs(root: Path) -> str:
    """Every way the CLI shows the specs: validate, and plan in each format (the specs fail before
    the unreachable cluster is asked)."""
    outputs = []
    for args in (["validate"], ["plan", "--env", "dev"], ["plan", "--env", "dev", "-o", "markdown"],
                 ["plan", "--env", "dev", "-o", "json"]):
        result = CliRunner().invoke(app, [*args, "--root", str(root)])
        assert result.exit_code == 1, result.output
        outputs.append(result.output)
    return "\n".join(outputs)


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("../../outside.avsc", "leads outside the project"),
        ("events/../../../outside.avsc", "leads outside the project"),
        ("/etc/passwd", "absolute paths are refused"),
        ("{outside}", "absolute paths are refused"),
        ("missing.avsc", "does not exist"),
    ],
)
def test_paths_leading_out_are_refused_and_never_read(root: Path, written: str, reason: str) -> None:
    written = written.format(outside=root.parent / "outside.avsc")
    assert reason in refused(root, written)
    output = cli_outputs(root)
    assert "schemas/subjects.yaml:2: subjects[0].file: schema file" in output
    assert MARKER not in output and "root:x:0:0" not in output


def test_links_leading_out_are_refused_whether_the_file_or_a_directory_is_the_link(root: Path) -> None:
    (root / "schemas" / "link.avsc").symlink_to(root.parent / "outside.avsc")
    (root / "schemas" / "up").symlink_to(root.parent)
    (root / "schemas" / "passwd.avsc").symlink_to("/etc/passwd")
    for written in ("link.avsc", "up/outside.avsc", "passwd.avsc"):
        assert "leads outside the project (through '..' or a symbolic link)" in refused(root, written)
        output = cli_outputs(root)
        assert MARKER not in output and "root:x:0:0" not in output


def test_a_link_inside_the_project_is_followed(root: Path) -> None:
    (root / "shared").mkdir()
    (root / "shared" / "order.avsc").write_text(AVRO)
    (root / "schemas" / "order.avsc").symlink_to(root / "shared" / "order.avsc")
    desired, problems = load(root, "order.avsc")
    assert problems == []
    assert desired.of(schemas.KIND)[0].schema == AVRO


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_devices_and_directories_are_refused_without_blocking(root: Path) -> None:
    os.mkfifo(root / "schemas" / "fifo.avsc")
    (root / "schemas" / "events").mkdir()
    started = time.perf_counter()
    assert "not a regular file" in refused(root, "fifo.avsc")
    assert "not a regular file" in refused(root, "events")
    assert "absolute paths are refused" in refused(root, "/dev/zero")
    assert time.perf_counter() - started < 2


def test_a_file_over_the_default_bound_is_refused_unread(root: Path) -> None:
    (root / "schemas" / "big.avsc").write_text(AVRO + " " * (2**20))
    assert "the limit is 1,048,576" in refused(root, "big.avsc")


def test_the_bound_is_set_in_mqctl_yaml(root: Path) -> None:
    (root / "schemas" / "order.avsc").write_text(AVRO)
    with (root / "mqctl.yaml").open("a") as config:
        config.write("limits:\n  max_referenced_file_bytes: 64\n")
    limits = load_config(root, "dev").limits
    assert limits.max_referenced_file_bytes == 64
    assert f"file is {len(AVRO)} bytes; the limit is 64" in refused(root, "order.avsc", limits)
    output = cli_outputs(root)
    assert "the limit is 64" in output and '"name": "Order"' not in output


@pytest.mark.parametrize("bound", ["0", "16777217", "'1MiB'"])
def test_a_bound_out_of_range_is_an_error_in_mqctl_yaml(root: Path, bound: str) -> None:
    with (root / "mqctl.yaml").open("a") as config:
        config.write(f"limits:\n  max_referenced_file_bytes: {bound}\n")
    with pytest.raises(MqctlError) as caught:
        load_config(root, "dev")
    assert [d.key for d in caught.value.diagnostics] == ["limits.max_referenced_file_bytes"]


@pytest.mark.parametrize(
    ("schema_type", "text"),
    [
        ("JSON", "[" * 10_000 + "]" * 10_000),
        ("JSON", '{"type": "object", "properties": ' * 5_000 + "{}" + "}" * 5_000),
        ("AVRO", '{"type": "array", "items": ' * 5_000 + '"string"' + "}" * 5_000),
        ("PROTOBUF", 'syntax = "proto3";\n' + "message M { " * 3_000 + "}" * 3_000),
    ],
)
def test_deeply_nested_schema_text_is_an_error_not_a_recursion_error(root: Path, schema_type: str, text: str) -> None:
    (root / "schemas" / "deep.txt").write_text(text)
    spec = f"subjects:\n  - {{subject: s, type: {schema_type}, file: deep.txt}}\n"
    (root / "schemas" / "subjects.yaml").write_text(spec)
    started = time.perf_counter()
    desired, problems = load_specs(ProjectConfig(root, Environment("dev", "127.0.0.1:1")))
    assert time.perf_counter() - started < 2
    (problem,) = problems
    assert (problem.line, problem.key) == (2, "subjects[0].file")
    assert f"levels deep; a schema may nest at most {MAX_SCHEMA_DEPTH}" in problem.message
    assert desired.of(schemas.KIND) == ()
