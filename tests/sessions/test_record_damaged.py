"""A session finished over a damaged history is recorded in a new one, the damaged file moved aside
with the same one-line message the other history commands give (calmcoach.history.recovery):
never refused, never reset silently. Real SQLite, the real command through the `cli` fixture."""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmcoach.content.patterns import make_pattern
from calmcoach.history import History
from calmcoach.paths import Paths
from calmcoach.schedule.model import Settings
from calmcoach.sessions.scheduled import run_scheduled
from tests.sessions.fakes import FakeClock
from tests.support import Cli

GARBAGE = bytes(range(256)) * 64  # no SQLite header at all
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def breathe(cli: Cli, schedule: Path) -> tuple[int, str, str]:
    result = cli(["breathe", "tiny", "--schedule", str(schedule), "--cycles", "1", "--quiet"])
    return result.code, result.stdout, result.stderr


def moved_aside(paths: Paths, detail: str) -> re.Pattern[str]:
    """The one line every history command prints on moving a damaged history aside."""
    db = re.escape(str(paths.history_db))
    return re.compile(
        rf"calmcoach: the history database {db} is damaged \({re.escape(detail)}\); moved it to "
        rf"({db}\.damaged-\d{{8}}T\d{{6}}Z), kept as it was for recovery \(sqlite3 \1 \.recover > "
        r"recovered\.sql\), and started a new history\n"
    )


def sessions(db: Path) -> list[tuple[str, str, int, int, bool]]:
    with History.open(db) as history:  # the full check: the new history is sound
        return [
            (r.kind, r.name, r.cycles_planned, r.cycles_done, r.completed) for r in history.sessions(LONG_AGO)
        ]


def test_a_session_over_a_file_that_is_not_a_database_is_recorded_in_a_new_history(
    cli: Cli, paths: Paths, tiny_schedule: Path
) -> None:
    paths.history_db.parent.mkdir(parents=True, exist_ok=True)
    paths.history_db.write_bytes(GARBAGE)
    code, out, err = breathe(cli, tiny_schedule)
    assert code == 0, err
    found = moved_aside(paths, "file is not a database").fullmatch(err)
    assert found, err
    assert "Tiny breathing: 1 cycle in" in out  # the session ran and said so, as usual
    assert Path(found[1]).read_bytes() == GARBAGE  # kept exactly as it was
    assert sessions(paths.history_db) == [("breathing", "tiny", 1, 1, True)]
    # The next session goes to the new history without a word.
    assert breathe(cli, tiny_schedule)[::2] == (0, "")
    assert len(sessions(paths.history_db)) == 2


def test_damage_met_while_recording_is_moved_aside_and_the_session_recorded(
    cli: Cli, paths: Paths, tiny_schedule: Path
) -> None:
    db = paths.history_db
    with History.open(db) as history:
        history.log_water(250, datetime(2024, 5, 6, 8, 0, tzinfo=UTC))
    with contextlib.closing(sqlite3.connect(db)) as raw:  # closed: no -wal is left behind
        page_size = int(raw.execute("PRAGMA page_size").fetchone()[0])
        (root,) = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = 'session'").fetchone()
    data = bytearray(db.read_bytes())
    start = (int(root) - 1) * page_size
    data[start : start + page_size] = b"\xa5" * page_size  # the page a new session is written to
    db.write_bytes(bytes(data))
    code, _, err = breathe(cli, tiny_schedule)
    assert code == 0, err
    found = moved_aside(paths, "database disk image is malformed").fullmatch(err)
    assert found, err
    assert Path(found[1]).read_bytes() == bytes(data)
    assert sessions(db) == [("breathing", "tiny", 1, 1, True)]
    with History.open(db) as history:
        assert history.count("water") == 0  # a new history, not a reset of the old: that one is aside


def test_a_scheduled_session_logs_the_move_and_is_recorded(
    paths: Paths, caplog: pytest.LogCaptureFixture
) -> None:
    """run_scheduled (record=True) has no terminal: the message goes to the log instead."""
    paths.history_db.parent.mkdir(parents=True, exist_ok=True)
    paths.history_db.write_bytes(GARBAGE)
    clock = FakeClock()
    settings = Settings(timezone=ZoneInfo("UTC"), patterns=(make_pattern("short", 1.5, 0, 1.5),))
    with caplog.at_level(logging.INFO, logger="calmcoach.sessions"):
        result = run_scheduled(
            "breathing", "short", settings=settings, paths=paths, clock=clock, speaker=None,
            cycles=1, sleep=clock.sleep, player=["true"],
        )  # fmt: skip
    assert result is not None and result.problems == ()
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert moved_aside(paths, "file is not a database").fullmatch(f"calmcoach: {record.getMessage()}\n")
    assert sessions(paths.history_db) == [("breathing", "short", 1, 1, True)]
