"""The entry point: version, usage errors, and the one place errors become messages."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from calmcoach import __version__, cli
from calmcoach import cli as cli_module
from calmcoach.context import Context
from calmcoach.errors import CalmcoachError
from tests.support import Cli


def test_version(cli: Cli) -> None:
    result = cli(["--version"])
    assert result.code == 0
    assert result.stdout.strip() == f"calmcoach {__version__}"


def test_no_command_is_a_usage_error_on_our_stderr(cli: Cli) -> None:
    result = cli([])
    assert result.code == 2
    assert "usage: calmcoach" in result.stderr


def test_unknown_command_is_a_usage_error(cli: Cli) -> None:
    result = cli(["frobnicate"])
    assert result.code == 2
    assert "invalid choice: 'frobnicate'" in result.stderr


def _register_failing(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], error: Exception
) -> None:
    def run(args: argparse.Namespace, ctx: Context) -> int:
        raise error

    subparsers.add_parser("explode").set_defaults(func=run)


@pytest.fixture
def exploding(monkeypatch: pytest.MonkeyPatch) -> list[Exception]:
    """Add an `explode` command that raises the error the test puts in the list."""
    errors: list[Exception] = []
    original = cli.build_parser

    def build(only: str | None = None) -> argparse.ArgumentParser:
        parser = original()
        subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        _register_failing(subparsers, errors[0])
        return parser

    monkeypatch.setattr(cli, "build_parser", build)
    return errors


def test_user_errors_are_one_line_with_their_exit_code(cli: Cli, exploding: list[Exception]) -> None:
    exploding.append(CalmcoachError("the water bottle is empty", exit_code=3))
    result = cli(["explode"])
    assert result.code == 3
    assert result.stderr == "the water bottle is empty\n"


def test_debug_shows_the_traceback(cli: Cli, exploding: list[Exception]) -> None:
    exploding.append(CalmcoachError("the water bottle is empty"))
    result = cli(["--debug", "explode"])
    assert result.code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.rstrip().endswith("the water bottle is empty")


def test_a_bug_is_reported_without_a_traceback(cli: Cli, exploding: list[Exception]) -> None:
    exploding.append(ZeroDivisionError("division by zero"))
    result = cli(["explode"])
    assert result.code == 1
    assert "Traceback" not in result.stderr
    assert "internal error: ZeroDivisionError: division by zero" in result.stderr
    assert "--debug" in result.stderr


def test_python_dash_m_runs_the_same_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "calmcoach", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"calmcoach {__version__}"


@pytest.mark.parametrize(
    "args",
    [
        ["run"],
        ["check"],
        ["agenda"],
        ["breathe"],
        ["stretch"],
        ["log", "water", "250ml"],
        ["done", "water"],
        ["today"],
        ["stats"],
        ["doctor"],
    ],
    ids=lambda args: args[0],
)
def test_every_command_that_reads_schedules_takes_repeatable_schedule_options(args: list[str]) -> None:
    parsed = cli.build_parser().parse_args([*args, "--schedule", "a.toml", "--schedule", "b.toml"])
    assert [str(path) for path in parsed.schedule] == ["a.toml", "b.toml"]


def test_check_reads_schedule_options_like_its_file_arguments(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[[reminder]]\nname = "w"\nkind = "hydration"\nevery = "45m"\n', encoding="utf-8")
    result = cli(["check", "--schedule", str(good), str(tmp_path / "missing.toml")])
    assert result.code == 1
    assert f"{tmp_path / 'missing.toml'}: no such file" in result.stderr
    assert cli(["check", "--schedule", str(good)]).stdout == f"{good}: 1 reminder, valid\n"


def test_running_one_command_imports_that_command_module_alone(tmp_path: Path) -> None:
    probe = (
        "import io, sys\n"
        "from calmcoach.cli import main\n"
        "from calmcoach.context import Context\n"
        "from calmcoach.paths import Paths\n"
        "ctx = Context(paths=Paths.from_environment(), stdout=io.StringIO(), stderr=io.StringIO())\n"
        "assert main(['--debug', 'tip', '--list', '--json'], ctx) == 0\n"
        "print(sorted(m for m in sys.modules if m.startswith('calmcoach.commands.')))\n"
        "print('calmcoach.service.client' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == ["['calmcoach.commands.tip']", "False"]


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        pytest.param(["tip"], "tip", id="plain"),
        pytest.param(["--debug", "agenda", "--hours", "2"], "agenda", id="after-debug"),
        pytest.param(["--help"], None, id="help"),
        pytest.param(["--version", "tip"], None, id="version"),
        pytest.param(["tpi"], None, id="typo"),
        pytest.param([], None, id="nothing"),
    ],
)
def test_the_command_is_told_from_the_arguments_only_when_plain(argv: list[str], command: str | None) -> None:
    assert cli.command_named(argv) == command


def test_help_still_lists_every_command(cli: Cli) -> None:
    listed = cli(["--help"]).stdout
    assert all(f"    {name} " in listed or f"    {name}\n" in listed for name in cli_module.COMMANDS)


def test_readable_cuts_only_words_too_long_to_read() -> None:
    from calmcoach.errors import readable

    path = "/tmp/" + "a" * 990  # 995 characters: kept whole
    assert readable(f"cannot read {path}: no such file") == f"cannot read {path}: no such file"
    huge = "x" * 20_000
    assert readable(f"unknown pattern '{huge}'; try --list") == (
        f"unknown pattern '{'x' * 199}... (20003 characters) try --list"
    )
