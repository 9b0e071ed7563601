"""The systemd user unit: verified offline by systemd-analyze, with nothing on stderr."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from calmcoach.service.unit import DEFAULT_EXEC, installed_command, render, systemd_quote

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "systemd" / "calmcoach.service"


def make_executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def verify(unit: Path, home: Path, runtime: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}
    return subprocess.run(
        ["systemd-analyze", "--user", "verify", str(unit)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_repository_unit_is_the_template_with_the_default_path() -> None:
    assert UNIT.read_text() == render(DEFAULT_EXEC)


def test_every_setting_has_a_comment_above_it() -> None:
    lines = UNIT.read_text().splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            assert lines[number - 1].startswith("#"), f"line {number + 1} has no comment: {line}"


def test_repository_unit_verifies_cleanly(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_executable(home / ".local" / "bin" / "calmcoach")  # %h/.local/bin/calmcoach must exist
    result = verify(UNIT, home, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_rendered_unit_with_a_real_path_verifies_cleanly(tmp_path: Path) -> None:
    command = make_executable(tmp_path / "with space" / "50% calm" / "calmcoach")
    unit = tmp_path / "calmcoach.service"
    unit.write_text(render(str(command)))
    result = verify(unit, tmp_path / "home", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_verify_does_complain_about_a_broken_unit(tmp_path: Path) -> None:
    # So that an empty stderr above means something.
    unit = tmp_path / "calmcoach.service"
    unit.write_text(
        render(str(make_executable(tmp_path / "calmcoach"))).replace("Type=notify", "Typo=notify")
    )
    assert "Unknown key" in verify(unit, tmp_path, tmp_path).stderr


@pytest.mark.parametrize(
    ("path", "word"),
    [
        ("/usr/bin/calmcoach", "/usr/bin/calmcoach"),
        ("/opt/50%/calmcoach", "/opt/50%%/calmcoach"),
        ("/a b/calmcoach", '"/a b/calmcoach"'),
        ("/opt/$HOME/calmcoach", "/opt/$$HOME/calmcoach"),  # once expanded by systemd
        (DEFAULT_EXEC, DEFAULT_EXEC),
    ],
)
def test_systemd_quote(path: str, word: str) -> None:
    assert systemd_quote(path) == word


def test_installed_command_prefers_the_running_script(tmp_path: Path) -> None:
    script = make_executable(tmp_path / "bin" / "calmcoach")
    assert installed_command(str(script)) == script.resolve()
    # Under `python -m calmcoach`, argv[0] is __main__.py: fall back to PATH.
    found = installed_command("/somewhere/calmcoach/__main__.py")
    assert found is None or found.name == "calmcoach"
