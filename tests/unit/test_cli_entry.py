"""The installed entry point: exit codes CI can trust, and typer's shell completion left on."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest


def mqctl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mqctl", *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_a_mistyped_flag_exits_1_not_2_which_means_changes(tmp_path: Path) -> None:
    result = mqctl("plan", "--env", "dev", "--bogus", cwd=tmp_path)
    assert result.returncode == 1
    assert "No such option: --bogus" in result.stderr


def test_shell_completion_is_available(tmp_path: Path) -> None:
    """With detection on, typer's `--show-completion` is a flag that asks shellingham for the parent
    shell: a run with no shell among its ancestors (an orphaned background job) got "Shell  not
    supported". Detection off, the option takes the shell by name, whoever the parent is."""
    result = subprocess.run(
        [sys.executable, "-m", "mqctl", "--show-completion", "bash"], cwd=tmp_path, capture_output=True, text=True,
        check=False, env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "complete -o default -F" in result.stdout and "MQCTL_COMPLETE=complete_bash" in result.stdout


def test_schema_export_writes_every_spec_schema(tmp_path: Path) -> None:
    result = mqctl("schema", "export", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / ".mqctl" / "schemas" / "topics.schema.json").is_file()
    assert (tmp_path / ".mqctl" / "schemas" / "config.schema.json").is_file()


# What no command loads before it needs it (issue 21: start-up is paid on every CI run). Typer's own
# help renders with rich (tables, markdown), so `--help` may load rich; nothing else may.
HEAVY = ("confluent_kafka", "kafka", "jsonschema", "mqctl.registry", "mqctl.connect", "httpx2", "cel", "fastavro",
         "proto_schema_parser", "antlr4", "mqctl.templates", "cryptography")
NOT_FOR_HELP = (*HEAVY, "yaml", "jsonschema_rs", "re2", "pydantic", "mqctl.workflows", "mqctl.kinds.topics.spec",
                "mqctl.render", "rich.markup", "importlib.metadata", "mqctl.health", "mqctl.config")
# a command mounts only itself: the other commands' modules stay unread (typer would inspect them all)
OTHER_COMMANDS = ("mqctl.cli.cluster", "mqctl.cli.lock", "mqctl.cli.partitions", "mqctl.cli.template",
                  "mqctl.cli.export", "mqctl.cli.init", "mqctl.kinds.groups.cli", "mqctl.kinds.brokers.cli",
                  "mqctl.kinds.connectors.cli")
# clean specs print one plain line: rich loads only to colour diagnostics; the policy engine loads
# only for a project with a policies/ folder; the packaged JSON Schemas are read as files
# (importlib.resources: 4 ms of imports); logging loads with a library that logs (4 ms: mqctl.redact)
NOT_FOR_VALIDATE = (*HEAVY, *OTHER_COMMANDS, "rich", "pydantic", "mqctl.health", "re2", "mqctl.policies.check",
                    "importlib.resources", "logging")
# plan connects (both Kafka clients load then); a valid topics-only project needs nothing else heavy,
# nor what only `plan --out` (the saved plan's fingerprints) or `plan --all-envs` uses
NOT_FOR_PLAN = (*(m for m in HEAVY if m not in ("confluent_kafka", "kafka")), *OTHER_COMMANDS, "rich.table", "pydantic",
                "re2", "mqctl.workflows.apply", "mqctl.saved_plan", "mqctl.workflows.fleet")


def loaded_by(args: list[str], cwd: Path, watched: tuple[str, ...]) -> tuple[object, list[str]]:
    """Run `mqctl ARGS` in a fresh interpreter; its exit code and which of `watched` it imported."""
    probe = (
        "import sys\n"
        "from mqctl.cli import run\n"
        f"sys.argv = ['mqctl', *{args!r}]\n"
        "code = run()\n"
        f"loaded = sorted(m for m in {watched!r} if m in sys.modules)\n"
        "print(repr((code, loaded)))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, check=False)
    code, loaded = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    return code, loaded


def topics_project(root: Path, bootstrap: str = "127.0.0.1:1") -> Path:
    (root / "mqctl.yaml").write_text(
        f"environments:\n  dev:\n    bootstrap_servers: {bootstrap}\n    timeout_seconds: 1\n"
    )
    (root / "topics").mkdir()
    spec = "topics:\n  - {name: order.created.v1, partitions: 3, replication_factor: 3, retention: 7d}\n"
    (root / "topics" / "a.yaml").write_text(spec)
    return root


def test_help_loads_no_client_no_parser_and_no_workflow(tmp_path: Path) -> None:
    code, loaded = loaded_by(["--help"], tmp_path, NOT_FOR_HELP)
    assert (code, loaded) == (0, [])


def test_offline_commands_start_without_loading_the_kafka_registry_and_connect_clients(tmp_path: Path) -> None:
    """validate (a pre-commit hook) needs no client, no rich table, and for valid specs not even
    jsonschema (jsonschema-rs decides; mqctl/schema_check.py)."""
    code, loaded = loaded_by(["validate", "--env", "dev"], topics_project(tmp_path), NOT_FOR_VALIDATE)
    assert (code, loaded) == (0, [])


def test_plan_loads_the_kafka_clients_and_nothing_else_heavy(tmp_path: Path) -> None:
    """Against an unreachable cluster (port 1): it fails within the 1 s timeout, having loaded what
    a plan of topics needs and nothing more."""
    code, loaded = loaded_by(["plan", "--env", "dev"], topics_project(tmp_path), NOT_FOR_PLAN)
    assert (code, loaded) == (1, [])


def test_log_records_of_the_libraries_a_plan_loads_are_redacted(tmp_path: Path) -> None:
    """validate leaves `logging` unloaded; plan loads it with the Kafka clients, and by then every
    record it makes goes through the redaction layer's factory (mqctl.redact)."""
    probe = (
        "import sys\n"
        "from mqctl.cli import run\n"
        "sys.argv = ['mqctl', 'plan', '--env', 'dev']\n"
        "code = run()\n"
        "import logging\n"
        "print(repr((code, logging.getLogRecordFactory().__module__)))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=topics_project(tmp_path), capture_output=True,
                            text=True, check=False)  # fmt: skip
    assert ast.literal_eval(result.stdout.strip().splitlines()[-1]) == (1, "mqctl.redact"), result.stderr


def test_an_invalid_spec_still_gets_every_error_from_jsonschema(tmp_path: Path) -> None:
    """The fast validator only says yes or no: the messages of a bad spec are jsonschema's, all of them."""
    topics_project(tmp_path)
    (tmp_path / "topics" / "a.yaml").write_text("topics:\n  - {name: 1, partitions: x, bogus: 1}\n")
    result = mqctl("validate", "--env", "dev", cwd=tmp_path)
    assert result.returncode == 1
    for expected in ("1 is not of type 'string'", "'x' is not of type 'integer'", "allowed keys"):
        assert expected in result.stdout + result.stderr


def test_both_entry_points_import_the_cli_under_the_runs_gc_thresholds(tmp_path: Path) -> None:
    """Importing is a run's first burst of allocation (a plan's libraries: ~100 collections at
    CPython's thresholds, 15 ms): the thresholds must be the run's when the CLI's first library
    (typer) loads, from `python -m mqctl` and from the installed `mqctl` script alike."""
    from importlib.metadata import entry_points

    from mqctl.__main__ import GC_THRESHOLDS

    probe = (
        "import gc, os, runpy, sys\n"
        "seen = []\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'typer' and not seen: seen.append(gc.get_threshold())\n"
        "sys.meta_path.insert(0, Watch())\n"
        "leave = os._exit\n"
        "def report(code):\n"
        "    print(repr((code, seen))); sys.stdout.flush(); leave(0)\n"
        "os._exit = report\n"
        "sys.argv = ['mqctl', '--version']\n"
        "runpy.run_module('mqctl', run_name='__main__')\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert ast.literal_eval(result.stdout.strip().splitlines()[-1]) == (0, [GC_THRESHOLDS]), result.stderr
    assert GC_THRESHOLDS != (700, 10, 10)  # CPython's default: the check above would pass without the launcher
    script = next(e for e in entry_points(group="console_scripts") if e.name == "mqctl")
    assert script.value == "mqctl.__main__:main"


def test_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = mqctl("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == f"mqctl {version('mqctl')}\n"


def test_each_command_alone_parses_and_helps_as_in_the_whole_cli() -> None:
    """`main` mounts only the command it runs (build_app(name)): its help, usage line included, and
    its answer to a bad flag are those of the whole CLI."""
    from typer.main import get_command
    from typer.testing import CliRunner

    from mqctl.cli import _commands, build_app

    whole = build_app()
    for name in _commands():
        for args in ([name, "--help"], [name, "--bogus-flag"]):
            alone, full = CliRunner().invoke(build_app(name), args), CliRunner().invoke(whole, args)
            assert (alone.exit_code, alone.output) == (full.exit_code, full.output), args
    assert set(_commands()) == set(getattr(get_command(whole), "commands", {})) and len(_commands()) == 14


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


def test_no_color_and_the_flag_turn_colour_off_and_pipes_never_fold(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/ci.md: `NO_COLOR=1` turns colours off everywhere, `--no-color` for its command; off a
    terminal lines are never folded. The control: on a terminal, without either, red is red."""
    import io

    from mqctl.cli.common import console

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def shown(no_color: bool = False) -> str:
        monkeypatch.setattr(sys, "stdout", Terminal())
        out = console(no_color)
        out.print("[red]refused[/red]")
        return sys.stdout.getvalue()  # type: ignore[attr-defined]

    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert "\x1b[31m" in shown()  # the control: colour on a terminal
    assert "\x1b" not in shown(no_color=True) and "refused" in shown(no_color=True)
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in shown() and "refused" in shown()

    monkeypatch.setattr(sys, "stdout", io.StringIO())  # a pipe
    assert console().soft_wrap is True
    monkeypatch.setattr(sys, "stdout", Terminal())
    assert console().soft_wrap is False


BUFFERED = {**os.environ, "PYTHONUNBUFFERED": ""}  # as a pipe is by default: what os._exit could lose


def leaving(body: str) -> subprocess.CompletedProcess[str]:
    """`body` run in a fresh interpreter with stdout a pipe (block-buffered), then `leave(3)`."""
    probe = f"from mqctl.cli import leave\n{body}\nleave(3)\n"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, env=BUFFERED)


def test_leaving_flushes_what_was_written_and_keeps_the_exit_code() -> None:
    """os._exit drops whatever is still buffered: leave() must flush it first."""
    done = leaving("import sys\nsys.stdout.write('x' * 1000)\nsys.stderr.write('to stderr')")
    assert (done.returncode, len(done.stdout), done.stderr) == (3, 1000, "to stderr")


def test_leaving_with_a_closed_pipe_is_quiet() -> None:
    """`mqctl plan | head -1`: the reader has gone; the flush fails, and that is no traceback."""
    probe = "import sys\nfrom mqctl.cli import leave\nsys.stdout.write('x' * 100)\nleave(3)\n"
    with subprocess.Popen(
        [sys.executable, "-c", probe], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=BUFFERED
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()
        errors = child.stderr.read()
    assert (child.returncode, errors) == (3, b"")


def test_warnings_printed_off_a_terminal_need_no_rich(tmp_path: Path) -> None:
    """A CI log or a pre-commit hook gets the warnings as plain lines (rich would print the same
    text there, without colour), and rich is not loaded to print them."""
    topics_project(tmp_path)
    (tmp_path / "acls").mkdir()
    acl = "acls:\n  - {principal: 'User:a', resource_type: topic, name: undeclared, operations: [READ]}\n"
    (tmp_path / "acls" / "a.yaml").write_text(acl)
    code, loaded = loaded_by(["validate", "--env", "dev"], tmp_path, ("rich",))
    assert (code, loaded) == (0, [])
    shown = mqctl("validate", "--env", "dev", cwd=tmp_path).stdout.splitlines()
    assert shown[0].startswith("warning: acls/a.yaml:2: acls: User:a is granted access to topic 'undeclared'")
    assert shown[1:] == ["validate: OK, 1 warning(s) (dev: 2 resource(s))"]


@pytest.mark.parametrize(
    ("terminal", "no_color", "env", "plain"),
    [
        (True, True, {}, False),  # a terminal folds long lines: rich prints there
        (False, False, {}, True),
        (False, True, {}, True),
        (False, False, {"NO_COLOR": "1"}, True),
        (False, False, {"FORCE_COLOR": "1"}, False),
        (False, False, {"FORCE_COLOR": ""}, True),
        (False, False, {"TTY_COMPATIBLE": "1"}, False),
        (False, False, {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"}, True),
        (False, True, {"FORCE_COLOR": "1"}, True),
    ],
)
def test_plain_text_where_rich_would_print_no_colour(
    terminal: bool, no_color: bool, env: dict[str, str], plain: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """plain_stream agrees with rich itself: off a terminal, a console on the same stream and
    environment colours nothing exactly when plain_stream says plain."""
    import io

    from rich.console import Console

    from mqctl.cli.common import plain_stream

    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")  # a terminal that takes colour, if it is one
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return terminal

    stream = Stream()
    Console(file=stream, no_color=no_color or bool(env.get("NO_COLOR"))).print("[red]x[/]")
    coloured = "\x1b[" in stream.getvalue()
    assert plain_stream(no_color, stream) is plain
    assert terminal or coloured is not plain
