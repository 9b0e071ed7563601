"""The wheel carries everything: installed into a fresh virtual environment and run from a folder
outside the checkout, `calmcoach` finds its packaged default schedule and its data files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        cwd=out,
        timeout=300,
    )
    (built,) = out.glob("calmcoach-*.whl")
    return built


def test_wheel_ships_schedules_and_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "calmcoach/schedules/default.toml" in names
    assert "calmcoach/content/data/tips.toml" in names
    assert "calmcoach/py.typed" in names
    shipped = {Path(n).name for n in names if n.startswith("calmcoach/schedules/")}
    in_checkout = {p.name for p in (ROOT / "schedules").rglob("*.toml")}
    assert in_checkout <= shipped


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_fresh_venv_runs_check_and_agenda_outside_checkout(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True, timeout=540)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PATH": f"{env_dir / 'bin'}:{os.environ['PATH']}", "PYTHONPATH": ""}
    calmcoach = str(env_dir / "bin" / "calmcoach")

    check = subprocess.run(
        [calmcoach, "check"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert check.returncode == 0, check.stderr
    assert "default.toml" in check.stdout

    agenda = subprocess.run(
        [calmcoach, "agenda", "--json", "--hours", "48", "--from", "2026-06-01T06:00"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert agenda.returncode == 0, agenda.stderr
    firings = json.loads(agenda.stdout)
    assert firings, "the packaged default schedule plans nothing in 48 hours"
    assert {"name", "kind", "at"} <= set(firings[0])

    tips = subprocess.run(
        [calmcoach, "tip", "--list", "--json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert tips.returncode == 0, tips.stderr
    assert len(json.loads(tips.stdout)) >= 40  # the catalogue, read from the installed package

    module = subprocess.run(
        [str(python), "-m", "calmcoach", "--version"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert module.returncode == 0 and module.stdout.startswith("calmcoach ")
    # The package imported is the installed one, not the checkout.
    where = subprocess.run(
        [str(python), "-c", "import calmcoach; print(calmcoach.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(env_dir) in where.stdout
