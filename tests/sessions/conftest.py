"""Fixtures for the session tests: a schedule with a tiny pattern (so real-time sessions last
seconds), and ALSA pointed at a file, so the real `aplay` writes what it plays where a test can
analyse it (there is no sound card in CI)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TINY_SCHEDULE = """\
[settings.patterns]
tiny = { inhale = 0.5, exhale = 0.5, description = "A pattern short enough for tests." }
short = { inhale = 1.5, exhale = 1.5, description = "Long enough for a spoken word per phase." }

[[reminder]]
name = "breathe-tiny"
kind = "breathing"
at = "11:30"
pattern = "tiny"
"""


@pytest.fixture
def tiny_schedule(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_SCHEDULE, encoding="utf-8")
    return path


@pytest.fixture
def alsa_capture(xdg_home: Path) -> Path:
    """Make ALSA's default device a file: return the file `aplay` will write raw samples to."""
    capture = xdg_home / "played.raw"
    (xdg_home / ".asoundrc").write_text(
        f'pcm.!default {{\n  type file\n  slave.pcm "null"\n  file "{capture}"\n  format "raw"\n}}\n',
        encoding="utf-8",
    )
    return capture


def calmcoach_command() -> list[str]:
    """The installed `calmcoach` next to this Python (the editable install of the working tree)."""
    script = Path(sys.executable).parent / "calmcoach"
    return [str(script)] if script.exists() else [sys.executable, "-m", "calmcoach"]


def subprocess_env() -> dict[str, str]:
    """The test's environment (its XDG folders and HOME), for the command in a subprocess."""
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    return env
