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


def test_offline_commands_start_without_loading_the_kafka_registry_and_connect_clients(tmp_path: Path) -> None:
    """They take about 0.3 s to import; validate (a pre-commit hook) never needs them."""
    (tmp_path / "mqctl.yaml").write_text("environments:\n  dev:\n    bootstrap_servers: 127.0.0.1:1\n")
    (tmp_path / "topics").mkdir()
    spec = "topics:\n  - {name: order.created.v1, partitions: 3, replication_factor: 3}\n"
    (tmp_path / "topics" / "a.yaml").write_text(spec)
    probe = (
        "import sys\n"
        "from mqctl.cli import main\n"
        "sys.argv = ['mqctl', 'validate', '--env', 'dev']\n"
        "try:\n    main()\nexcept SystemExit as done:\n    code = done.code\n"
        "loaded = sorted(m for m in ('confluent_kafka', 'kafka', 'mqctl.registry', 'mqctl.connect', 'httpx2')\n"
        "                if m in sys.modules)\n"
        "print(code, loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.stdout.strip().splitlines()[-1] == "0 []", result.stdout + result.stderr


def test_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = mqctl("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == f"mqctl {version('mqctl')}\n"


def test_help_shows_flags_bare_and_values_by_name(tmp_path: Path) -> None:
    """No `<bool>` / `<str>` type labels on options: flags alone, values as ENV, FILE, FORMAT."""
    from typer.main import get_command
    from typer.testing import CliRunner

    from mqctl.cli import app

    group = get_command(app)
    commands: list[list[str]] = [[]]
    for name, command in getattr(group, "commands", {}).items():
        commands.append([name])
        commands += [[name, sub] for sub in getattr(command, "commands", {})]
    for path in commands:  # in process: one interpreter start per command would take a minute
        shown = CliRunner().invoke(app, [*path, "--help"])
        assert shown.exit_code == 0, (path, shown.output)
        options = [line for line in shown.stdout.splitlines() if line.lstrip().startswith("-")]
        labelled = [line for line in options if "<" in line.split("  ")[0]]
        assert labelled == [], (path, labelled)
    plan = mqctl("plan", "--help", cwd=tmp_path).stdout
    assert "-e, --env ENV" in plan and "--out, --save-plan FILE" in plan and "-o, --output, --format FORMAT" in plan
    assert "--install-completion" in mqctl("--help", cwd=tmp_path).stdout


def test_save_plan_and_format_are_aliases_of_out_and_output(tmp_path: Path) -> None:
    (tmp_path / "mqctl.yaml").write_text("environments:\n  dev:\n    bootstrap_servers: 127.0.0.1:1\n")
    result = mqctl("plan", "--env", "dev", "--format", "xml", "--save-plan", "p.json", cwd=tmp_path)
    assert result.returncode == 1
    assert "unknown output format 'xml'" in result.stderr  # both flags parsed; the format is checked first
