"""The service's history when the file changes under it (calmcoach/service/figures.py).

- A CLI command that meets damage moves the history aside and starts a new one at the same path;
  the service, whose connection follows the file and not the path, must notice and record in the
  new one, not in the copy set aside where nobody would see it.
- Damage the service meets itself while running is answered as at start-up: the file is moved
  aside (once, whoever finds it first), a new history started, one warning logged with where the
  copy went and how to recover it, and the entry recorded in the new history.

Real SQLite throughout; the end-to-end tests run the installed `calmcoach run` on the private bus
with the recording notification server, and the installed `calmcoach` for the CLI side.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmcoach.history import History
from calmcoach.history import recovery as recovery_module
from calmcoach.history import store as history_store
from calmcoach.history.recovery import with_history
from calmcoach.history.store import set_aside
from calmcoach.paths import Paths
from calmcoach.schedule.model import Every, Kind, Reminder, Schedule, Settings, Source
from calmcoach.service import figures as figures_module
from calmcoach.service.dispatch import SessionOutcome
from calmcoach.service.figures import HistoryFigures
from tests.desktop import Notifications, dead_bus_address
from tests.service.conftest import Running, start_service, wait_for

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MOVED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # the figures' clock: names the copy set aside
ASIDE_NAME = "history.sqlite3.damaged-20260302T093000Z"
Start = Callable[[], Running]
WAIT_S = 60.0  # every wait for progress; a loaded machine is slow, and a lost entry never arrives
FOLLOWED = "is no longer the file the service had open"


def reminder(name: str, kind: Kind = Kind.TIP) -> Reminder:
    return Reminder(name, kind, Every(timedelta(minutes=45)), Source(Path("s.toml"), 1, 1))


def deliveries(db: Path) -> list[str]:
    """Return the reminders delivered in the history at `db`, read in another process: what a
    fresh reader sees on disk, without this process's SQLite sharing any state with the service's."""
    found = read_deliveries(db)
    assert not isinstance(found, str), found
    return found


def read_deliveries(db: Path) -> list[str] | str:
    """`deliveries`, or what the reader said when it could not read (the file being moved, or
    still the damaged one), so that a wait can look again."""
    script = (
        "import sqlite3, sys\n"
        "db = sqlite3.connect(f'file:{sys.argv[1]}?mode=ro', uri=True)\n"
        "print(' '.join(r for (r,) in db.execute('SELECT reminder FROM delivery ORDER BY id')))\n"
    )
    read = subprocess.run(
        [sys.executable, "-c", script, str(db)], capture_output=True, text=True, timeout=WAIT_S, check=False
    )
    return read.stdout.split() if read.returncode == 0 else read.stderr


def wait_for_deliveries(db: Path, expected: list[str]) -> None:
    """Wait until the history at `db` holds exactly the `expected` deliveries."""
    seen: list[list[str] | str] = []

    def arrived() -> bool:
        seen.append(read_deliveries(db))
        return seen[-1] == expected

    try:
        wait_for(arrived, timeout=WAIT_S, what=f"the deliveries {expected} in {db}")
    except AssertionError as error:
        raise AssertionError(f"{error}; last read: {seen[-1]!r}") from None


def figures_at(db: Path) -> HistoryFigures:
    figures = HistoryFigures.open(db, now=lambda: MOVED_AT)
    assert figures is not None
    return figures


def root_page_offset(db: Path, table: str) -> tuple[int, int]:
    """Return where a table's root page starts in the file, and the page size."""
    with contextlib.closing(sqlite3.connect(db)) as raw:
        page_size = int(raw.execute("PRAGMA page_size").fetchone()[0])
        (root,) = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    return (int(root) - 1) * page_size, page_size


def scribble(db: Path, offset: int, size: int) -> bytes:
    """Overwrite `size` bytes at `offset` in place (the same file, as a failing disk would), and
    return the file's bytes after."""
    with db.open("r+b") as file:
        file.seek(offset)
        file.write(b"\xa5" * size)
    return db.read_bytes()


def healthy_history(db: Path, twitches: int = 0) -> None:
    """Create a history (with `twitches` entries, to give it many pages) and close it, so that
    everything is in the main file and no -wal is left."""
    with History.open(db) as history:
        for i in range(twitches):
            history.log_twitch(T0 - timedelta(days=30, minutes=i), note="x" * 50)
    assert not Path(f"{db}-wal").exists()


def damage_deliveries_under(figures: HistoryFigures, db: Path) -> bytes:
    """Damage the delivery table's root page in place while `figures` has the history open, and
    have another connection write, so that the figures' connection reads its pages afresh (SQLite
    keeps its page cache while nobody else has written). Return the damaged page."""
    offset, size = root_page_offset(db, "delivery")
    scribble(db, offset, size)
    with History.open(db, check=False) as other:
        other.log_water(250, T0)
    return b"\xa5" * size


# -- in process, real SQLite --------------------------------------------------------------------


def test_the_service_follows_a_history_another_process_moved_aside(
    paths: Paths, caplog: pytest.LogCaptureFixture
) -> None:
    db = paths.history_db
    figures = figures_at(db)
    figures.record_delivery(reminder("before"), T0, "notification")
    # What a CLI command does on meeting damage: move the file aside, start anew, write there.
    aside = set_aside(db, MOVED_AT)
    new = History.open(db, check=False)
    try:
        new.log_water(250, T0)  # left open and not checkpointed: its entry is only in the -wal
        with caplog.at_level(logging.INFO, logger="calmcoach.service"):
            figures.record_delivery(reminder("after"), T0 + timedelta(minutes=1), "notification")
            figures.record_session(reminder("breathe"), T0, SessionOutcome(4, 4, True, "box"))
        assert [r.getMessage() for r in caplog.records if FOLLOWED in r.getMessage()] == [
            f"the history database {db} {FOLLOWED} (moved aside or replaced); recording in the one "
            "there from now on"
        ]
        # Closing the connection to the moved file left the new history's -wal alone.
        assert Path(f"{db}-wal").exists()
        assert deliveries(db) == ["after"]
        assert deliveries(aside) == ["before"]
        assert new.count("water") == 1 and new.count("session") == 1
    finally:
        new.close()
    figures.close()
    with History.open(db) as history:  # sound, and everything in it
        assert (history.count("water"), history.count("delivery"), history.count("session")) == (1, 1, 1)


def test_a_history_moved_away_with_nothing_new_in_its_place_is_started_anew(paths: Paths) -> None:
    db = paths.history_db
    figures = figures_at(db)
    figures.record_delivery(reminder("before"), T0, "notification")
    aside = set_aside(db, MOVED_AT)
    figures.record_delivery(reminder("after"), T0, "notification")
    figures.close()
    assert (deliveries(db), deliveries(aside)) == (["after"], ["before"])


def test_damage_met_while_running_is_moved_aside_and_the_entry_recorded_anew(
    paths: Paths, caplog: pytest.LogCaptureFixture
) -> None:
    db = paths.history_db
    healthy_history(db)
    figures = figures_at(db)
    damaged_page = damage_deliveries_under(figures, db)
    with caplog.at_level(logging.INFO, logger="calmcoach.service"):
        figures.record_delivery(reminder("water-break"), T0, "notification")
    aside = db.with_name(ASIDE_NAME)
    assert [r.getMessage() for r in caplog.records] == [
        f"the history database {db} is damaged (database disk image is malformed); moved it to "
        f"{aside}, kept as it was for recovery (sqlite3 {aside} .recover > recovered.sql), and "
        "started a new history"
    ]
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert deliveries(db) == ["water-break"]
    # The copy kept: the other connection's entry is there, and so is the damage, for recovery.
    with contextlib.closing(sqlite3.connect(f"file:{aside}?mode=ro", uri=True)) as raw:
        assert raw.execute("SELECT COUNT(*) FROM water").fetchone() == (1,)
        with pytest.raises(sqlite3.DatabaseError, match="malformed"):
            raw.execute("SELECT * FROM delivery").fetchall()
    assert damaged_page in aside.read_bytes()
    # The next entry goes to the new history without a word.
    caplog.clear()
    figures.record_delivery(reminder("next"), T0, "notification")
    figures.close()
    assert caplog.records == []
    assert deliveries(db) == ["water-break", "next"]
    assert [p.name for p in db.parent.glob("*.damaged-*[0-9Z]")] == [ASIDE_NAME]


def test_damage_met_in_a_read_is_moved_aside_and_the_reminder_worded_plainly(
    paths: Paths, caplog: pytest.LogCaptureFixture
) -> None:
    db = paths.history_db
    healthy_history(db)
    with History.open(db) as history:
        history.log_water(250, T0 - timedelta(hours=1))
    figures = figures_at(db)
    offset, size = root_page_offset(db, "water")
    scribble(db, offset, size)
    with History.open(db, check=False) as other:  # a write elsewhere: the service reads afresh
        other.record_delivery("elsewhere", "tip", T0, "notification")
    water = reminder("water", Kind.HYDRATION)
    schedule = Schedule(Settings(timezone=ZoneInfo("UTC")), (water,), (Path("s.toml"),))
    with caplog.at_level(logging.INFO, logger="calmcoach.service"):
        assert figures.context_for(water, schedule, T0) == {}  # the new history knows no water
    figures.close()
    assert [r.getMessage().split(";")[0] for r in caplog.records] == [
        f"the history database {db} is damaged (database disk image is malformed)"
    ]
    assert "history unavailable" not in caplog.text
    assert db.with_name(ASIDE_NAME).exists()
    with History.open(db) as history:
        assert (history.count("water"), history.count("delivery")) == (0, 0)


def test_damage_another_process_moved_first_is_not_moved_twice(
    paths: Paths, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = paths.history_db
    healthy_history(db)
    figures = figures_at(db)
    damage_deliveries_under(figures, db)
    real = recovery_module.set_aside_and_say
    cli_messages: list[str] = []

    def cli_first(damaged: history_store.HistoryDamaged, moment: datetime) -> str:
        # A CLI command met the same damage a moment earlier, moved it and started anew.
        with_history(
            damaged.path,
            lambda h: h.record_delivery("cli", "tip", T0, "notification"),
            now=T0,
            warn=cli_messages.append,
        )
        return real(damaged, moment)

    monkeypatch.setattr(figures_module, "set_aside_and_say", cli_first)
    with caplog.at_level(logging.INFO, logger="calmcoach.service"):
        figures.record_delivery(reminder("water-break"), T0, "notification")
    figures.close()
    assert len(cli_messages) == 1 and "moved it to" in cli_messages[0]
    assert [r.getMessage() for r in caplog.records] == [
        f"the history database {db} was damaged (database disk image is malformed); another calmcoach "
        "process has moved it aside (as history.sqlite3.damaged-<time>, next to it) and started a new "
        "one"
    ]
    assert len(list(db.parent.glob("history.sqlite3.damaged-*[0-9Z]"))) == 1  # moved once, by the CLI
    assert deliveries(db) == ["cli", "water-break"]


def test_damage_that_cannot_be_moved_aside_is_logged_and_the_service_goes_on(
    paths: Paths, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = paths.history_db
    healthy_history(db)
    figures = figures_at(db)
    damage_deliveries_under(figures, db)

    def read_only(path: Path, moment: datetime) -> Path:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(history_store, "_move_aside", read_only)
    with caplog.at_level(logging.INFO, logger="calmcoach.service"):
        figures.record_delivery(reminder("water-break"), T0, "notification")  # no exception
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(
        f"could not record the delivery of water-break in history: the history database {db} is damaged"
    )
    assert record.getMessage().endswith("It could not be moved aside either: Read-only file system")
    monkeypatch.undo()  # the disk is writable again: the next entry moves it and is recorded
    figures.record_delivery(reminder("next"), T0, "notification")
    figures.close()
    assert deliveries(db) == ["next"]


# -- the real service ---------------------------------------------------------------------------


@pytest.fixture
def no_system_bus(paths: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    """A system bus where nothing listens: the service's presence checks never reach logind."""
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", dead_bus_address(paths.runtime.parent))


@pytest.fixture
def tip_service(paths: Paths, tmp_path: Path, no_system_bus: None) -> Iterator[Start]:
    """Start the real service with one tip reminder that fires only when triggered."""
    started: list[Running] = []

    def start() -> Running:
        never = f"{datetime.now(UTC) + timedelta(hours=12):%H:%M}"  # nothing fires on its own
        schedule = tmp_path / "tip.toml"
        schedule.write_text(
            '[settings]\ntimezone = "UTC"\n\n[[reminder]]\nname = "tip"\nkind = "tip"\n'
            f'at = ["{never}"]\nsay = ["notification"]\nmessage = "Follow the history."\n',
            encoding="utf-8",
        )
        service = start_service(paths, schedule)
        started.append(service)
        return service

    yield start
    for service in started:
        if service.process.poll() is None:
            service.process.kill()
            service.process.wait(30)


def trigger_tip(service: Running, notifications: Notifications) -> str:
    fired = service.cli("trigger", "tip", timeout=WAIT_S)
    assert fired.returncode == 0, fired.stderr
    notifications.wait_for(1, timeout=WAIT_S)
    return service.wait_log("delivered tip (tip, triggered) via notification", timeout=WAIT_S)


def stop(service: Running) -> str:
    code, _ = service.stop()
    log = service.log()
    assert code == 0, log
    return log


def test_the_real_service_records_in_the_history_a_cli_command_started_anew(
    paths: Paths, tip_service: Start, notifications: Notifications
) -> None:
    db = paths.history_db
    healthy_history(db, twitches=2000)
    service = tip_service()  # its start-up check finds the history sound
    # Damage a page in the middle of the twitches, in place: the service's file, as a disk would.
    with contextlib.closing(sqlite3.connect(db)) as raw:
        page_size = int(raw.execute("PRAGMA page_size").fetchone()[0])
    middle = (db.stat().st_size // page_size // 2) * page_size
    damaged = scribble(db, middle + 8, page_size - 8)
    # `today` reads the whole journal, meets the damage, moves the file aside and starts anew.
    today = service.cli("today", timeout=WAIT_S)
    assert today.returncode == 0, today.stderr
    assert f"the history database {db} is damaged (database disk image is malformed); moved it to" in (
        today.stderr
    )
    [aside] = db.parent.glob("history.sqlite3.damaged-*[0-9Z]")
    assert aside.read_bytes() == damaged
    log = trigger_tip(service, notifications)
    # Recorded in the new history, where `calmcoach today` and `stats` look.
    wait_for_deliveries(db, ["tip"])
    log = stop(service)
    assert log.count(FOLLOWED) == 1, log
    assert "could not record" not in log and "running without history" not in log
    assert deliveries(aside) == []  # nothing went into the copy set aside
    assert aside.read_bytes() == damaged  # which is still exactly as it was
    with History.open(db) as history:
        assert history.count("delivery") == 1 and history.count("twitch") == 0


def test_the_real_service_moves_aside_damage_it_meets_and_records_anew(
    paths: Paths, tip_service: Start, notifications: Notifications
) -> None:
    db = paths.history_db
    healthy_history(db)
    service = tip_service()
    offset, size = root_page_offset(db, "delivery")
    scribble(db, offset, size)  # recording a delivery reads this page
    # A CLI write that reads no delivery page: it works, and the service reads the file afresh.
    logged = service.cli("log", "water", timeout=WAIT_S)
    assert logged.returncode == 0, logged.stderr
    trigger_tip(service, notifications)
    wait_for_deliveries(db, ["tip"])
    assert service.request("status")["ok"]  # the job did not take the service down
    log = stop(service)
    [aside] = db.parent.glob("history.sqlite3.damaged-*[0-9Z]")
    expected = (
        f"the history database {db} is damaged (database disk image is malformed); moved it to "
        f"{aside}, kept as it was for recovery (sqlite3 {aside} .recover > recovered.sql), and "
        "started a new history"
    )
    assert log.count(expected) == 1, log
    assert log.count("is damaged") == 1 and FOLLOWED not in log
    assert "could not record" not in log
    with contextlib.closing(sqlite3.connect(f"file:{aside}?mode=ro", uri=True)) as raw:
        assert raw.execute("SELECT COUNT(*) FROM water").fetchone() == (1,)  # the CLI's entry, kept
    assert aside.read_bytes()[offset : offset + size] == b"\xa5" * size  # the damage, kept for recovery
