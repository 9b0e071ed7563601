"""The presence keys in schedule files: defaults, values, and mistakes reported like every other key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from calmcoach.schedule.loader import load_files
from tests.support import Cli

BASE = '[[reminder]]\nname = "water"\nkind = "hydration"\nevery = "45m"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schedule.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults(tmp_path: Path) -> None:
    schedule = load_files([write(tmp_path, BASE)])
    assert schedule.settings.idle_after == timedelta(minutes=5)
    assert schedule.settings.respect_dnd is True
    (water,) = schedule.reminders
    assert (water.respect_dnd, water.hold_limit) == (None, timedelta(minutes=30))


def test_values_are_read(tmp_path: Path) -> None:
    text = '[settings]\nidle_after = "2m30s"\nrespect_dnd = false\n\n' + BASE
    text += 'respect_dnd = true\nhold_limit = "1h"\n'
    schedule = load_files([write(tmp_path, text)])
    assert (schedule.settings.idle_after, schedule.settings.respect_dnd) == (timedelta(seconds=150), False)
    (water,) = schedule.reminders
    assert (water.respect_dnd, water.hold_limit) == (True, timedelta(hours=1))


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        pytest.param(
            '[settings]\nidle_after = "soon"\n' + BASE,
            ":2: settings.idle_after",
            'expected a duration like "45m", got "soon"',
            id="idle-after-not-a-duration",
        ),
        pytest.param(
            '[settings]\nidle_after = "0s"\n' + BASE,
            ":2: settings.idle_after",
            'expected a duration from 1s to 24h, got "0s"',
            id="idle-after-zero",
        ),
        pytest.param(
            '[settings]\nrespect_dnd = "yes"\n' + BASE,
            ":2: settings.respect_dnd",
            'expected true or false, got "yes"',
            id="respect-dnd-not-a-boolean",
        ),
        pytest.param(
            BASE + 'hold_limit = "2d"\n',
            ":5: reminder[1].hold_limit",
            'expected a duration like "45m", got "2d"',
            id="hold-limit-not-a-duration",
        ),
        pytest.param(
            BASE + 'hold_limit = "25h"\n',
            ":5: reminder[1].hold_limit",
            'expected a duration from 0s to 24h, got "25h"',
            id="hold-limit-too-long",
        ),
        pytest.param(
            BASE + 'idle_after = "5m"\n',
            ":5: reminder[1].idle_after",
            "'idle_after' belongs in the [settings] table, not in a [[reminder]]",
            id="idle-after-in-a-reminder",
        ),
        pytest.param(
            '[settings]\nhold_limit = "5m"\n' + BASE,
            ":2: settings.hold_limit",
            "'hold_limit' belongs in a [[reminder]] table, not in [settings]",
            id="hold-limit-in-settings",
        ),
    ],
)
def test_mistakes_are_reported_with_file_line_and_key(
    cli: Cli, tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = write(tmp_path, text)
    result = cli(["check", str(path)])
    assert result.code == 1, result
    assert f"{path}{where}: {message}" in result.stderr.splitlines()
