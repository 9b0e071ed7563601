"""The history database is damaged or locked while calmcoach runs.

- Damaged: the service moves it aside (kept byte for byte, with its WAL, for `sqlite3 .recover`),
  says where it went, starts a new history and records in it; nothing is reset silently. The CLI
  commands do the same with one message on stderr (tests/history/test_damaged.py), except
  `export`, which refuses: an export of a new, empty history would say nothing.
- Locked by another process's exclusive transaction: writers wait; when the lock is released in
  time the write goes through, and when it is not, it fails with a message that says so, and
  everything written before is still there.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach.errors import CalmcoachError
from calmcoach.history import History
from calmcoach.history import store as history_store
from calmcoach.history.store import set_aside
from calmcoach.paths import Paths
from tests.desktop import Notifications
from tests.faults.conftest import Start
from tests.service.conftest import calmcoach_argv

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GARBAGE = b"SQLite format 3\x00" + b"\xa5" * 8000  # a header, then nothing a database could be


def test_set_aside_moves_the_file_and_its_wal_together(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    db = folder / "history.sqlite3"
    for name, data in (("", b"main"), ("-wal", b"wal"), ("-shm", b"shm")):
        (folder / f"history.sqlite3{name}").write_bytes(data)
    aside = set_aside(db, datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    assert aside.name == "history.sqlite3.damaged-20260329T013000Z"
    assert sorted(p.name for p in folder.iterdir()) == [aside.name, aside.name + "-shm", aside.name + "-wal"]
    assert [aside.read_bytes(), Path(f"{aside}-wal").read_bytes()] == [b"main", b"wal"]


def test_a_damaged_history_is_moved_aside_and_a_new_one_started(
    notifications: Notifications, start: Start, paths: Paths
) -> None:
    paths.history_db.parent.mkdir(parents=True, exist_ok=True)
    paths.history_db.write_bytes(GARBAGE)
    service = start()
    log = service.wait_log("delivered water (hydration) via notification", count=2, timeout=30)
    code, _ = service.stop(signal.SIGTERM)
    assert code == 0, log
    [aside] = paths.history_db.parent.glob("history.sqlite3.damaged-*")
    assert aside.read_bytes() == GARBAGE  # kept exactly as it was
    assert (
        f"the history database {paths.history_db} is damaged (" in log
        and f"moved it to {aside}, kept as it was" in log
    )
    assert "running without history" not in log
    with History.open(paths.history_db) as history:
        assert len(history.deliveries(since=T0)) >= 2  # the new history records again
    # The CLI uses the new history at once.
    logged = subprocess.run(
        [*calmcoach_argv(), "log", "water"], capture_output=True, text=True, timeout=30, check=False
    )
    assert logged.returncode == 0, logged.stderr


# Holds an exclusive transaction on the database until its stdin closes (or for argv[2] seconds).
LOCK_HOLDER = """\
import sqlite3, sys, select
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
select.select([sys.stdin], [], [], float(sys.argv[2]))
db.execute("ROLLBACK")
"""


def hold_lock(db: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(db), str(seconds)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_a_write_waits_for_a_lock_released_in_time(paths: Paths) -> None:
    with History.open(paths.history_db) as history:
        history.log_water(250, T0)
    holder = hold_lock(paths.history_db, 2.0)  # released on its own after 2 s
    try:
        logged = subprocess.run(
            [*calmcoach_argv(), "log", "water"], capture_output=True, text=True, timeout=60, check=False
        )
    finally:
        holder.wait(30)
    assert logged.returncode == 0, logged.stderr
    with History.open(paths.history_db) as history:
        assert history.count("water") == 2


def test_a_write_under_a_lock_that_lasts_fails_clearly_and_loses_nothing(
    paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_store, "BUSY_TIMEOUT_MS", 300)  # the real wait is 15 s
    history = History.open(paths.history_db)
    for minutes in range(3):
        history.log_water(250, T0 + timedelta(minutes=minutes))
    holder = hold_lock(paths.history_db, 60.0)
    try:
        with pytest.raises(CalmcoachError, match="stayed locked by another calmcoach process") as raised:
            history.log_water(250, T0 + timedelta(hours=1))
        assert str(paths.history_db) in raised.value.message and "try again" in raised.value.message
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(30)
    history.log_water(250, T0 + timedelta(hours=2))  # the lock is gone: writing works again
    assert [e.ml for e in history.water(T0)] == [250, 250, 250, 250]
    history.close()
    with sqlite3.connect(paths.history_db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
