"""The history store on a real SQLite file: what goes in comes out, undo, migrations, damage."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmcoach.errors import CalmcoachError
from calmcoach.history import History
from calmcoach.history.schema import LATEST_VERSION
from calmcoach.intake.records import Side

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2024, 5, 6, 9, 0, tzinfo=BERLIN)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "calmcoach" / "history.sqlite3"


@pytest.fixture
def history(db_path: Path) -> History:
    return History.open(db_path)


def test_open_creates_a_private_wal_database(db_path: Path) -> None:
    with History.open(db_path) as history:
        assert history.schema_version == LATEST_VERSION
        history.log_water(250, T0)
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION


def test_entries_come_back_aware_and_in_order(history: History) -> None:
    history.log_water(500, T0 + timedelta(hours=2))
    history.log_water(250, T0)
    history.log_caffeine(96, "brewed coffee", T0, 236.6)
    history.log_twitch(T0, where="neck", side=Side.BOTH, stress=6, note="n", new_symptom=True, weakness=True)
    water = history.water(T0 - timedelta(days=1))
    assert [(w.ml, w.at) for w in water] == [(250, T0), (500, T0 + timedelta(hours=2))]
    assert water[0].at.tzinfo is not None
    assert history.water_since(T0 + timedelta(hours=1)) == 500
    assert history.last_water_at() == T0 + timedelta(hours=2)
    (dose,) = history.caffeine(T0)
    assert (dose.mg, dose.drink, dose.volume_ml, dose.at) == (96, "brewed coffee", 236.6, T0)
    (twitch,) = history.twitches()
    assert (twitch.where, twitch.side, twitch.stress, twitch.note) == ("neck", Side.BOTH, 6, "n")
    assert twitch.new_symptom and twitch.weakness


def test_spans_are_half_open(history: History) -> None:
    history.log_water(100, T0)
    history.log_water(200, T0 + timedelta(hours=1))
    assert [w.ml for w in history.water(T0, T0 + timedelta(hours=1))] == [100]


def test_naive_times_are_refused(history: History) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        history.log_water(250, datetime(2024, 5, 6, 9))


def test_undo_removes_the_last_logged_entry_not_the_latest_time(history: History) -> None:
    history.log_water(250, T0 + timedelta(hours=3))
    history.log_caffeine(64, "espresso", T0 + timedelta(hours=1))
    history.log_twitch(T0 - timedelta(days=1), where="neck", side=Side.LEFT)  # logged last, for yesterday
    assert history.undo_last() == "a twitch (neck, left) at Sun 05 May 09:00"
    assert history.undo_last() == "64 mg of caffeine (espresso) at Mon 06 May 10:00"
    assert history.undo_last() == "250 ml of water at Mon 06 May 12:00"
    assert history.undo_last() is None
    assert [history.count(t) for t in ("water", "caffeine", "twitch", "journal")] == [0, 0, 0, 0]


def test_undo_leaves_deliveries_and_sessions_alone(history: History) -> None:
    history.log_water(250, T0)
    history.record_delivery("water", "hydration", T0 + timedelta(minutes=5), "notification")
    history.record_session("breathing", "box", T0 + timedelta(minutes=6), 4, 4, True)
    assert history.undo_last() == "250 ml of water at Mon 06 May 09:00"
    assert (history.count("delivery"), history.count("session")) == (1, 1)


def test_mark_acted_marks_the_last_delivery_of_that_name(history: History) -> None:
    assert history.mark_acted("water", T0) is False
    first = history.record_delivery("water", "hydration", T0, "notification")
    history.record_delivery("neck", "stretch", T0 + timedelta(minutes=30), "voice")
    last = history.record_delivery("water", "hydration", T0 + timedelta(minutes=45), "notification")
    assert history.mark_acted("water", T0 + timedelta(minutes=50)) is True
    assert history.mark_acted("water", T0 + timedelta(minutes=55)) is True  # keeps the first time
    acted = {d.id: d.acted_at for d in history.deliveries(T0)}
    assert acted[first] is None
    assert acted[last] == T0 + timedelta(minutes=50)
    assert history.last_delivery("neck") is not None
    assert history.last_delivery("tip") is None


def test_sessions(history: History) -> None:
    history.record_session("breathing", "4-7-8", T0, 4, 2, False)
    (session,) = history.sessions(T0 - timedelta(hours=1))
    assert (session.kind, session.name, session.cycles_planned, session.cycles_done) == (
        "breathing",
        "4-7-8",
        4,
        2,
    )
    assert session.completed is False
    assert session.started_at == T0


def test_export_rows_cover_every_table_with_local_times(history: History) -> None:
    history.log_water(250, T0)
    history.log_caffeine(96, "brewed coffee", T0 + timedelta(minutes=1))
    history.log_twitch(T0 + timedelta(minutes=2), where="neck")
    history.record_delivery("water", "hydration", T0 + timedelta(minutes=3), "notification")
    history.record_session("stretch", "neck", T0.astimezone(UTC) + timedelta(minutes=4), 6, 6, True)
    rows = history.export_rows()
    assert [r["type"] for r in rows] == ["water", "caffeine", "twitch", "delivery", "session"]
    assert rows[0]["at"] == "2024-05-06T07:00:00.000000Z"
    assert rows[0]["local"] == "2024-05-06T09:00:00+02:00"
    assert rows[2]["where"] == "neck"
    assert rows[4]["tz"] == "+00:00"
    assert rows[4]["local"] == "2024-05-06T07:04:00+00:00"


# -- migrations ---------------------------------------------------------------------------------

# The first schema exactly as version 1 shipped, written out here so the test does not depend on
# the migration list it is testing.
V1 = """
CREATE TABLE water (id INTEGER PRIMARY KEY, at TEXT NOT NULL, tz TEXT NOT NULL,
    ml REAL NOT NULL CHECK (ml > 0));
CREATE TABLE caffeine (id INTEGER PRIMARY KEY, at TEXT NOT NULL, tz TEXT NOT NULL,
    mg REAL NOT NULL CHECK (mg > 0), drink TEXT, volume_ml REAL);
CREATE TABLE twitch (id INTEGER PRIMARY KEY, at TEXT NOT NULL, tz TEXT NOT NULL, place TEXT,
    side TEXT CHECK (side IN ('left', 'right', 'both')),
    stress INTEGER CHECK (stress BETWEEN 0 AND 10), note TEXT);
CREATE TABLE delivery (id INTEGER PRIMARY KEY, reminder TEXT NOT NULL, kind TEXT NOT NULL,
    at TEXT NOT NULL, tz TEXT NOT NULL, channel TEXT NOT NULL, acted_at TEXT);
CREATE TABLE session (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,
    started_at TEXT NOT NULL, tz TEXT NOT NULL, cycles_planned INTEGER NOT NULL,
    cycles_done INTEGER NOT NULL, completed INTEGER NOT NULL);
CREATE TABLE journal (seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_type TEXT NOT NULL CHECK (entry_type IN ('water', 'caffeine', 'twitch')),
    entry_id INTEGER NOT NULL);
INSERT INTO water VALUES (1, '2024-05-06T07:00:00.000000Z', 'Europe/Berlin', 250);
INSERT INTO caffeine VALUES (1, '2024-05-06T07:30:00.000000Z', 'Europe/Berlin', 96, 'brewed coffee', 236.6);
INSERT INTO twitch VALUES (1, '2024-05-06T08:00:00.000000Z', 'Europe/Berlin', 'neck', 'left', 5, 'old entry');
INSERT INTO delivery VALUES (1, 'water', 'hydration', '2024-05-06T06:45:00.000000Z', 'Europe/Berlin',
    'notification', '2024-05-06T07:00:00.000000Z');
INSERT INTO session VALUES (1, 'breathing', 'box', '2024-05-06T09:00:00.000000Z', 'UTC', 4, 4, 1);
INSERT INTO journal (entry_type, entry_id) VALUES ('water', 1), ('caffeine', 1), ('twitch', 1);
PRAGMA user_version = 1;
"""


def test_a_version_1_database_is_migrated_with_its_data(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as raw:
        raw.executescript(V1)
    with History.open(db_path) as history:
        assert history.schema_version == LATEST_VERSION == 2
        (twitch,) = history.twitches()
        assert (twitch.where, twitch.side, twitch.note) == ("neck", Side.LEFT, "old entry")
        assert (twitch.new_symptom, twitch.weakness) == (False, False)
        assert history.water_since(T0 - timedelta(hours=1)) == 250
        assert history.caffeine(T0 - timedelta(hours=1))[0].drink == "brewed coffee"
        assert history.deliveries(T0 - timedelta(hours=1))[0].acted_at is not None
        assert history.sessions(T0 - timedelta(hours=1))[0].completed
        # The undo journal carried over: the twitch logged last goes first.
        assert history.undo_last() == "a twitch (neck, left) at Mon 06 May 10:00"
        history.log_twitch(T0, weakness=True)
        assert history.twitches()[-1].weakness
    with sqlite3.connect(db_path) as raw:
        indexes = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"water_at", "caffeine_at", "twitch_at", "delivery_reminder_at"} <= indexes


def test_opening_twice_migrates_once(db_path: Path) -> None:
    History.open(db_path).close()
    with History.open(db_path) as history:
        history.log_water(250, T0)
        assert history.schema_version == LATEST_VERSION


def test_a_database_from_a_newer_calmcoach_is_refused(db_path: Path) -> None:
    History.open(db_path).close()
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    before = db_path.read_bytes()
    with pytest.raises(CalmcoachError, match=rf"{db_path}.*newer calmcoach.*version {LATEST_VERSION + 1}"):
        History.open(db_path)
    assert db_path.read_bytes() == before


# -- damage -----------------------------------------------------------------------------------


def test_a_file_that_is_not_a_database_is_left_untouched(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    garbage = b"this is my shopping list, not a database\n" * 200
    db_path.write_bytes(garbage)
    with pytest.raises(CalmcoachError) as caught:
        History.open(db_path)
    message = caught.value.message
    assert str(db_path) in message
    assert "not a calmcoach database" in message and "file is not a database" in message
    assert "move the file aside" in message and "left it untouched" in message
    assert db_path.read_bytes() == garbage
    assert sorted(p.name for p in db_path.parent.iterdir()) == [db_path.name]


def test_a_damaged_database_fails_the_check_and_is_left_untouched(db_path: Path) -> None:
    with History.open(db_path) as history:
        for i in range(2000):
            history.log_twitch(T0 + timedelta(minutes=i), note="x" * 50)
    with sqlite3.connect(db_path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(db_path.read_bytes())
    # Scribble over a page in the middle of the twitch table (the header page stays intact).
    middle = (len(data) // page_size // 2) * page_size
    data[middle + 8 : middle + page_size] = b"\xa5" * (page_size - 8)
    db_path.write_bytes(bytes(data))
    with pytest.raises(CalmcoachError, match=rf"the history database {db_path} is damaged") as caught:
        History.open(db_path)
    assert "sqlite3" in caught.value.message and ".recover" in caught.value.message
    assert db_path.read_bytes() == bytes(data)


def test_an_unopenable_database_says_where_and_what_to_check(db_path: Path) -> None:
    # A folder where the file should be: unopenable even for root, who ignores permissions.
    db_path.mkdir(parents=True)
    with pytest.raises(CalmcoachError, match=rf"cannot open the history database {db_path}.*permissions"):
        History.open(db_path)
