"""Spec folders and the naming rule as untrusted input reaches them (issue 12, items 3 and 8): one
listing of spec files for the loader and the saved-plan fingerprint (suffixes in any case, hidden
names skipped by both, links leading out and non-regular files refused unread), and every naming
call site matching with RE2. Every test here fails on the code before phase 2 of the security pass."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import mqctl
from mqctl.config import Environment, ProjectConfig
from mqctl.diagnostics import Severity
from mqctl.kinds import topics
from mqctl.saved_plan import read_spec_sources
from mqctl.spec.loader import load_specs

TOPIC = "topics:\n  - {{name: {name}, partitions: 1, replication_factor: 1}}\n"
OUTSIDE = "TOP-SECRET-OUTSIDE-THE-PROJECT"


def project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def loaded(root: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """(topic names built, (file, message) of every error)."""
    desired, problems = load_specs(ProjectConfig(root, Environment("dev", "127.0.0.1:1")))
    errors = [(p.file, p.message) for p in problems if p.severity is Severity.ERROR]
    return sorted(t.name for t in desired.of(topics.KIND)), errors


def fingerprinted(root: Path) -> dict[str, bytes]:
    return read_spec_sources(root, ["topics"])[0]


def test_suffixes_in_any_case_are_loaded_and_fingerprinted_alike(tmp_path: Path) -> None:
    root = project(tmp_path, {f"topics/{n}": TOPIC.format(name=f"{n.split('.')[0]}.x.v1")
                              for n in ("a.yaml", "b.yml", "c.YAML", "d.Yml")})
    (root / "topics" / "notes.txt").write_text("not a spec")
    names, errors = loaded(root)
    assert (names, errors) == (["a.x.v1", "b.x.v1", "c.x.v1", "d.x.v1"], [])
    assert sorted(fingerprinted(root)) == ["topics/a.yaml", "topics/b.yml", "topics/c.YAML", "topics/d.Yml",
                                           "topics/notes.txt"]


def test_hidden_files_and_folders_are_skipped_by_loader_and_fingerprint_alike(tmp_path: Path) -> None:
    root = project(tmp_path, {
        "topics/a.yaml": TOPIC.format(name="a.x.v1"),
        "topics/.draft.yaml": TOPIC.format(name="hidden.x.v1"),
        "topics/.git/b.yaml": TOPIC.format(name="git.x.v1"),
        "topics/sub/.c.yml": TOPIC.format(name="sub.x.v1"),
    })
    assert loaded(root) == (["a.x.v1"], [])
    assert list(fingerprinted(root)) == ["topics/a.yaml"]


def test_a_spec_file_linking_out_of_the_project_is_refused_unread(tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text(f"topics:\n  - {{name: {OUTSIDE}}}\n")
    root = project(tmp_path / "p", {"topics/a.yaml": TOPIC.format(name="a.x.v1"),
                                    "shared/b.yaml": TOPIC.format(name="b.x.v1")})
    (root / "topics" / "evil.yaml").symlink_to(tmp_path / "outside.yaml")
    (root / "topics" / "inside.yaml").symlink_to(root / "shared" / "b.yaml")  # a link inside: read
    names, errors = loaded(root)
    assert names == ["a.x.v1", "b.x.v1"]
    assert errors == [("topics/evil.yaml", "a symbolic link leading outside the project; it is not read")]
    sources = fingerprinted(root)
    assert sources["topics/evil.yaml"] == b"not read: a symbolic link leading outside the project; it is not read"
    assert sources["topics/inside.yaml"] == (root / "shared" / "b.yaml").read_bytes()
    assert not any(OUTSIDE.encode() in data for data in sources.values())


def test_a_spec_folder_that_links_out_of_the_project_is_refused_whole(tmp_path: Path) -> None:
    project(tmp_path / "elsewhere", {"t.yaml": f"topics:\n  - {{name: {OUTSIDE}}}\n"})
    root = tmp_path / "p"
    root.mkdir()
    (root / "topics").symlink_to(tmp_path / "elsewhere")
    names, errors = loaded(root)
    assert names == []
    assert errors == [("topics", "a symbolic link leading outside the project; nothing in it is read")]
    assert OUTSIDE.encode() not in b"".join(fingerprinted(root).values())


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_a_spec_folder_blocks_neither_loader_nor_fingerprint(tmp_path: Path) -> None:
    root = project(tmp_path, {"topics/a.yaml": TOPIC.format(name="a.x.v1")})
    os.mkfifo(root / "topics" / "pipe.yaml")
    os.mkfifo(root / "topics" / "pipe.avsc")
    started = time.perf_counter()
    names, errors = loaded(root)
    sources = fingerprinted(root)
    assert time.perf_counter() - started < 2
    assert names == ["a.x.v1"]
    assert errors == [("topics/pipe.yaml", "not a regular file (a FIFO, device or socket); it is not read")]
    assert sources["topics/pipe.avsc"].startswith(b"not read: not a regular file")


def test_a_file_over_the_bound_is_fingerprinted_by_why_not_by_content(tmp_path: Path) -> None:
    root = project(tmp_path, {"topics/a.yaml": TOPIC.format(name="a.x.v1")})
    with (root / "topics" / "huge.bin").open("wb") as huge:
        huge.truncate(16 * 2**20 + 1)  # sparse: over yamlsource.MAX_FILE_BYTES without writing it
    assert fingerprinted(root)["topics/huge.bin"] == b"not read: file is 16,777,217 bytes; the limit is 16,777,216"


EVIL_PATTERN = r"^(?P<env>[a-z]+)\.(?P<domain>([a-z0-9]+-?)+)\.v[0-9]+$"  # nested quantifiers: re backtracks
EVIL_NAME = "a" * 40 + ".vx"
EVIL_CONFIG = f"environments:\n  dev: {{bootstrap_servers: '127.0.0.1:1'}}\nnaming:\n  pattern: '{EVIL_PATTERN}'\n"


def _in_child(script: str, root: Path) -> str:
    """Run `script` in a child process bounded in time, so the test fails (not hangs) if matching
    backtracks; returns what the child printed."""
    code = str(Path(mqctl.__file__).resolve().parents[1])  # the child imports the mqctl this test imported
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([code, os.environ.get("PYTHONPATH", "")])}
    try:
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=root, capture_output=True,
                              text=True, timeout=60, check=False, env=environ)
    except subprocess.TimeoutExpired:
        pytest.fail("the naming rule took over 60 s on one name: it backtracks")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_validate_matches_a_hostile_naming_pattern_in_linear_time(tmp_path: Path) -> None:
    project(tmp_path, {
        "mqctl.yaml": EVIL_CONFIG,
        "topics/t.yaml": TOPIC.format(name=EVIL_NAME),
    })
    out = _in_child("""
        import time
        from pathlib import Path
        from mqctl.config import load_config
        from mqctl.spec.loader import load_specs
        config = load_config(Path('.').resolve(), 'dev', secrets=False)
        started = time.perf_counter()
        _, problems = load_specs(config)
        print(time.perf_counter() - started)
        print(*[p.message for p in problems], sep='\\n')
    """, tmp_path)
    seconds, message = out.splitlines()[:2]
    assert float(seconds) < 1
    assert f"'{EVIL_NAME}' breaks the naming rule" in message


def test_export_matches_a_hostile_naming_pattern_in_linear_time(tmp_path: Path) -> None:
    """export names each topic file by the rule's `domain` group, for every live topic: a topic name
    on the cluster is as untrusted as one in a spec."""
    project(tmp_path, {
        "mqctl.yaml": EVIL_CONFIG,
    })
    out = _in_child(f"""
        import time
        from pathlib import Path
        import mqctl.workflows.export as export
        from mqctl.exporting import Selection
        from mqctl.kind import Snapshots
        from mqctl.kinds.topics.live import LiveTopic, LiveTopics
        name = 'dev.{EVIL_NAME}'
        live = LiveTopics((1,), {{name: LiveTopic(name, 1, ((1,),), {{}})}}, frozenset([name]))
        export.take_snapshots = lambda edges, kinds: Snapshots({{'topics': live}})
        export.KINDS = [k for k in export.KINDS if k.name == 'topics']
        started = time.perf_counter()
        run = export.export_project(Path('.'), 'dev', Path('out'), Selection(), False)
        print(time.perf_counter() - started)
        print(*run.result.notes, sep='\\n')
    """, tmp_path)
    seconds, note = out.splitlines()[:2]
    assert float(seconds) < 1
    assert note == f"dev.{EVIL_NAME} breaks the naming rule of mqctl.yaml; validate will reject it"
