"""The installed entry point: exit codes CI can trust, and typer's shell completion left on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def mqctl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mqctl", *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_a_mistyped_flag_exits_1_not_2_which_means_changes(tmp_path: Path) -> None:
    result = mqctl("plan", "--env", "dev", "--bogus", cwd=tmp_path)
    assert result.returncode == 1
    assert "No such option: --bogus" in result.stderr


def test_shell_completion_is_available(tmp_path: Path) -> None:
    result = mqctl("--show-completion", "bash", cwd=tmp_path)
    assert result.returncode == 0
    assert "complete" in result.stdout


def test_schema_export_writes_every_spec_schema(tmp_path: Path) -> None:
    result = mqctl("schema", "export", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / ".mqctl" / "schemas" / "topics.schema.json").is_file()
    assert (tmp_path / ".mqctl" / "schemas" / "config.schema.json").is_file()
