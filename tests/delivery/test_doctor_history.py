"""`calmcoach doctor` checks the whole history database, read-only, and says what to do about it."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calmcoach.diagnostics.history import history_check
from calmcoach.history import History
from calmcoach.history.schema import LATEST_VERSION
from calmcoach.paths import Paths

NOON = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)


def fill(db: Path, twitches: int = 3) -> None:
    with History.open(db) as history:
        history.log_water(250, NOON)
        for i in range(twitches):
            history.log_twitch(NOON - timedelta(minutes=i), note="x" * 50)
        history.record_delivery("water", "hydration", NOON, "notification")  # not a logged entry
    with contextlib.closing(sqlite3.connect(db)) as raw:  # one file, no -wal, for byte comparisons
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def scribble_over_a_middle_page(db: Path) -> None:
    """Leave the header page intact (the file opens) and damage one page in the middle."""
    with contextlib.closing(sqlite3.connect(db)) as raw:
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(db.read_bytes())
    middle = (len(data) // page_size // 2) * page_size
    data[middle + 8 : middle + page_size] = b"\xa5" * (page_size - 8)
    db.write_bytes(bytes(data))


def test_no_history_yet_is_fine_and_nothing_is_created(tmp_path: Path) -> None:
    db = tmp_path / "state" / "history.sqlite3"
    check, facts = history_check(db)
    assert (check.ok, check.detail) == (True, f"none yet: {db} starts with the first entry")
    assert facts == {"path": str(db), "schema": None, "entries": None}
    assert not db.parent.exists()


def test_a_sound_history_is_counted_and_left_exactly_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    fill(db)
    before = db.read_bytes()
    check, facts = history_check(db)
    assert check.ok, check.detail
    assert check.detail == f"{db}: 4 entries logged, every page checked"
    assert facts == {"path": str(db), "schema": LATEST_VERSION, "entries": 4}
    assert db.read_bytes() == before
    assert (
        not db.with_name("history.sqlite3-wal").exists()
        or db.with_name("history.sqlite3-wal").stat().st_size == 0
    )


def test_a_file_that_is_not_a_database_is_reported_damaged_and_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    garbage = bytes(range(256)) * 64
    db.write_bytes(garbage)
    check, _ = history_check(db)
    assert not check.ok
    assert check.detail == f"{db} is damaged: file is not a database"
    assert check.fix is not None and f"sqlite3 {db} .recover > recovered.sql" in check.fix
    assert db.read_bytes() == garbage


def test_a_damaged_page_no_command_has_read_yet_is_found(tmp_path: Path) -> None:
    # Commands check only the pages they read; the doctor reads every one.
    db = tmp_path / "history.sqlite3"
    fill(db, twitches=2000)
    scribble_over_a_middle_page(db)
    damaged = db.read_bytes()
    with History.open(db, check=False) as history:  # what a command opens: no complaint here
        assert history.last_water_at() == NOON
    check, _ = history_check(db)
    assert not check.ok
    assert check.detail.startswith(f"{db} is damaged: ")
    assert db.read_bytes() == damaged


def test_a_history_from_a_newer_calmcoach_says_upgrade(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    fill(db)
    with contextlib.closing(sqlite3.connect(db)) as raw:
        raw.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    check, facts = history_check(db)
    assert not check.ok
    assert "written by a newer calmcoach" in check.detail
    assert check.fix == "upgrade calmcoach"
    assert facts["schema"] == LATEST_VERSION + 1


def test_the_installed_doctor_reports_the_history_without_failing_on_it(paths: Paths, tmp_path: Path) -> None:
    paths.history_db.parent.mkdir(parents=True, exist_ok=True)
    paths.history_db.write_bytes(b"not a database" * 100)
    command = Path(sys.executable).with_name("calmcoach")
    done = subprocess.run(
        [str(command), "doctor", "--json"], capture_output=True, text=True, timeout=120, check=False
    )
    report = json.loads(done.stdout)
    [check] = [c for c in report["checks"] if c["key"] == "history"]
    assert (check["ok"], check["needed_for"]) == (False, None)  # worth knowing; reminders still work
    assert check["detail"] == f"{paths.history_db} is damaged: file is not a database"
    assert report["history"]["path"] == str(paths.history_db)
    assert paths.history_db.read_bytes() == b"not a database" * 100  # the doctor only looks
