"""The history store: one SQLite file that the service and any number of CLI processes share.

Why it is safe to share:
- WAL mode, so readers never block the writer and a crash never leaves a half-written page;
- every write is one `BEGIN IMMEDIATE` transaction, which takes the write lock up front (a deferred
  transaction that upgrades from read to write can fail at once with SQLITE_BUSY in WAL mode,
  without waiting), and `busy_timeout` makes a second writer wait for the first;
- `synchronous = NORMAL`: in WAL mode a committed transaction survives the process being killed
  (it is in the WAL file the OS holds); only a power cut can lose the last commits.

A database that cannot be read is never reset or rewritten: opening it raises a CalmcoachError
that says where it is and what to do. A damaged one raises `HistoryDamaged`, which the service
and the CLI answer by moving the file aside (`set_aside`, kept byte for byte for recovery) and
starting a new history, with a message that says where the damaged copy went.

How damage is found: `PRAGMA quick_check` reads every page, so its cost grows with the history.
`History.open` runs it by default (the service at start-up); the CLI opens with `check=False`
and relies on SQLite checking each page it reads: a file that is not a database fails at the
first read, and a damaged page fails the statement that reads it ("malformed"), which
`_guard` turns into `HistoryDamaged` like the full check does.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calmcoach.errors import CalmcoachError
from calmcoach.history.schema import LATEST_VERSION, MIGRATIONS
from calmcoach.intake.fmt import format_volume
from calmcoach.units import cut

# The entry types are imported where rows become entries: writing, as `log water` does, needs
# none of them, and building their dataclasses is a noticeable part of a quick command's start.
if TYPE_CHECKING:
    from calmcoach.intake.records import (
        CaffeineEntry,
        Delivery,
        SessionRecord,
        Side,
        TwitchEntry,
        WaterEntry,
    )

BUSY_TIMEOUT_MS = 15_000  # a writer waits this long for another one before giving up
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # for reading: strptime's %Y takes exactly four digits
# What a stored time looks like, for the queries that only compare or add up and never parse:
# a row written with another shape (an unpadded year such as "999-06-01T...", by an old version
# or a damaged file) sorts among the real ones in the wrong place and must not count.
_DIGIT = "[0-9]"  # in a GLOB pattern
_TIME_SHAPE = f"{_DIGIT * 4}-{_DIGIT * 2}-{_DIGIT * 2}T{_DIGIT * 2}:{_DIGIT * 2}:{_DIGIT * 2}.{_DIGIT * 6}Z"
_SHOWN_IDS = 10  # a warning about unreadable rows names at most this many of their ids
LOG_TABLES = ("water", "caffeine", "twitch")
ALL_TABLES = ("water", "caffeine", "twitch", "delivery", "session")
# Words in SQLite's messages for a file we cannot use, and for one that is damaged.
_UNREADABLE = ("unable to open", "disk i/o", "readonly", "read-only", "disk is full", "permission")
_CORRUPT = ("not a database", "malformed", "corrupt")

Identity = tuple[int, int]  # (st_dev, st_ino): which file a path named when it was opened
T = TypeVar("T")


def to_text(moment: datetime) -> str:
    """Given an aware datetime, return its fixed-width UTC text, which sorts in time order."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"history times must be timezone-aware, got {moment!r}")
    # isoformat, not strftime(_TIME_FORMAT): glibc's %Y writes the year 999 as "999", a text that
    # sorts after "2024"; isoformat always writes four digits. For the years 1000-9999 both give
    # the same text, so the files written before stay as they are.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_text(text: str) -> datetime:
    """Given a stored UTC time, return it as an aware datetime in UTC; raise ValueError (or
    TypeError, for a value that is not text) when it is not one."""
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)


def zone_name(moment: datetime) -> str:
    """Given an aware datetime, return a name for its zone: the IANA key, else the UTC offset."""
    key = getattr(moment.tzinfo, "key", None)
    if isinstance(key, str):
        return key
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def zone_from_name(name: str) -> tzinfo:
    """Given a stored zone name (an IANA key or "+HH:MM"), return the zone; UTC if unknown."""
    if name[:1] in "+-" and len(name) == 6:
        sign = -1 if name[0] == "-" else 1
        return timezone(sign * timedelta(hours=int(name[1:3]), minutes=int(name[4:6])))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _local(text: str, zone: str) -> datetime:
    return from_text(text).astimezone(zone_from_name(zone))


def _readable_time(text: object) -> bool:
    try:
        from_text(text)  # type: ignore[arg-type]  # a damaged row may hold any SQLite value
    except (ValueError, TypeError):
        return False
    return True


class History:
    """The history database. Open with `History.open(path)`; use as a context manager or `close()`.

    One instance may be used from several threads (the service's); a lock serializes them.
    """

    def __init__(self, path: Path, connection: sqlite3.Connection, identity: Identity | None = None) -> None:
        self.path = path
        self._db = connection
        self._lock = threading.RLock()
        # Which file this is (device, inode), so that a damaged one is moved aside only while it is
        # still the file at `path` (another process may have moved it and started a new one).
        self.identity = identity

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, check: bool = True) -> History:
        """Given the database path, open it (creating the folder and file), check it and bring its
        schema up to date; raise CalmcoachError when it is unreadable or too new, HistoryDamaged
        when it is damaged.

        `check=False` skips the full integrity check (`PRAGMA quick_check`, which reads every page):
        the header is still read before anything is written, and every later read still checks its
        pages, so damage is reported where it is met (see the module's docstring).
        """
        _create(path)
        identity = _identity(path)
        try:
            connection = sqlite3.connect(
                str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise _unreadable(path, error) from error
        history = cls(path, connection, identity)
        try:
            history._prepare(check)
        except BaseException:
            connection.close()
            raise
        return history

    def _prepare(self, check: bool) -> None:
        with self._guard():
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # Read before anything writes, so a file that is not ours stays exactly as it was.
            if check:
                problems = [row[0] for row in self._db.execute("PRAGMA quick_check")]
                if problems != ["ok"]:
                    raise _corrupt(self.path, "; ".join(str(p) for p in problems[:3]), self.identity)
            version = self._version()
            if version > LATEST_VERSION:
                raise CalmcoachError(
                    f"the history database {self.path} was written by a newer calmcoach (schema "
                    f"version {version}, this one knows up to {LATEST_VERSION}); upgrade calmcoach "
                    "to use it"
                )
            if self._db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            if version < LATEST_VERSION:
                self._migrate()

    def _version(self) -> int:
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        return version

    def _migrate(self) -> None:
        for migration in MIGRATIONS:
            with self._write() as db:
                # Read again inside the transaction: another process may have migrated meanwhile.
                if self._version() >= migration.version:
                    continue
                for statement in migration.statements:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {migration.version}")

    @property
    def schema_version(self) -> int:
        with self._guard():
            return self._version()

    def release_memory(self) -> None:
        """Free the pages this connection's cache holds now (`PRAGMA shrink_memory`); they are
        read again when needed.

        For a process that keeps the connection open and idle for hours (the service): the
        integrity check at opening reads every page into the cache, which is then kept.
        """
        with self._guard():
            self._db.execute("PRAGMA shrink_memory")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- transactions and errors ----------------------------------------------------------------

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite's errors about the file into ones a person can act on, naming the file.

        Other errors (a constraint, a bad statement) are bugs of ours and pass through.
        """
        with self._lock:
            try:
                yield
            except sqlite3.OperationalError as error:
                text = str(error).lower()
                if "locked" in text or "busy" in text:
                    raise CalmcoachError(
                        f"the history database {self.path} stayed locked by another calmcoach "
                        f"process for {BUSY_TIMEOUT_MS // 1000} s; try again"
                    ) from error
                if any(word in text for word in _UNREADABLE):
                    raise _unreadable(self.path, error) from error
                raise
            except sqlite3.DatabaseError as error:
                if any(word in str(error).lower() for word in _CORRUPT):
                    raise _corrupt(self.path, str(error), self.identity) from error
                raise

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: everything inside commits together or not at all."""
        with self._guard():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _rows(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[sqlite3.Row]:
        with self._guard():
            cursor = self._db.execute(sql, params)
            cursor.row_factory = sqlite3.Row
            return list(cursor.fetchall())

    def _journal(self, db: sqlite3.Connection, entry_type: str, entry_id: int) -> None:
        db.execute("INSERT INTO journal (entry_type, entry_id) VALUES (?, ?)", (entry_type, entry_id))

    # -- writing -------------------------------------------------------------------------------

    def log_water(self, ml: float, at: datetime) -> int:
        """Given an amount and when it was drunk, record it; return the entry's id."""
        if ml <= 0:
            raise ValueError(f"water must be more than 0 ml, got {ml}")
        with self._write() as db:
            row = db.execute(
                "INSERT INTO water (at, tz, ml) VALUES (?, ?, ?)", (to_text(at), zone_name(at), ml)
            ).lastrowid
            assert row is not None
            self._journal(db, "water", row)
        return row

    def log_caffeine(self, mg: float, drink: str | None, at: datetime, volume_ml: float | None = None) -> int:
        """Given a dose, the drink (None for a bare dose), when, and the volume if known, record it."""
        if mg <= 0:
            raise ValueError(f"caffeine must be more than 0 mg, got {mg}")
        with self._write() as db:
            row = db.execute(
                "INSERT INTO caffeine (at, tz, mg, drink, volume_ml) VALUES (?, ?, ?, ?, ?)",
                (to_text(at), zone_name(at), mg, drink, volume_ml),
            ).lastrowid
            assert row is not None
            self._journal(db, "caffeine", row)
        return row

    def log_twitch(
        self,
        at: datetime,
        *,
        where: str | None = None,
        side: Side | None = None,
        stress: int | None = None,
        note: str | None = None,
        new_symptom: bool = False,
        weakness: bool = False,
    ) -> int:
        """Given when and what of a twitch, record it in the journal; return the entry's id."""
        if stress is not None and not 0 <= stress <= 10:
            raise ValueError(f"stress is rated 0-10, got {stress}")
        with self._write() as db:
            row = db.execute(
                "INSERT INTO twitch (at, tz, place, side, stress, note, new_symptom, weakness)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    to_text(at),
                    zone_name(at),
                    where,
                    side.value if side else None,
                    stress,
                    note,
                    int(new_symptom),
                    int(weakness),
                ),
            ).lastrowid
            assert row is not None
            self._journal(db, "twitch", row)
        return row

    def record_delivery(self, reminder: str, kind: str, at: datetime, channel: str) -> int:
        """Given a reminder delivered (its name, kind, when, and on which channel), record it."""
        with self._write() as db:
            row = db.execute(
                "INSERT INTO delivery (reminder, kind, at, tz, channel) VALUES (?, ?, ?, ?, ?)",
                (reminder, kind, to_text(at), zone_name(at), channel),
            ).lastrowid
        assert row is not None
        return row

    def mark_acted(self, reminder: str, at: datetime) -> bool:
        """Given a reminder's name and when the person acted on it, mark its last delivery (at or
        before then) as acted on; return False when it was never delivered.

        A delivery already marked keeps its first time.
        """
        with self._write() as db:
            found = db.execute(
                "SELECT id FROM delivery WHERE reminder = ? AND at <= ? ORDER BY at DESC, id DESC LIMIT 1",
                (reminder, to_text(at + timedelta(minutes=1))),
            ).fetchone()
            if found is None:
                return False
            db.execute(
                "UPDATE delivery SET acted_at = ? WHERE id = ? AND acted_at IS NULL", (to_text(at), found[0])
            )
        return True

    def record_session(  # noqa: PLR0917 - the positional signature is the contract others call
        self,
        kind: str,
        name: str,
        started_at: datetime,
        cycles_planned: int,
        cycles_done: int,
        completed: bool,
    ) -> int:
        """Given a breathing or stretch session that ran, record it; return its id."""
        with self._write() as db:
            row = db.execute(
                "INSERT INTO session (kind, name, started_at, tz, cycles_planned, cycles_done, completed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    name,
                    to_text(started_at),
                    zone_name(started_at),
                    cycles_planned,
                    cycles_done,
                    int(completed),
                ),
            ).lastrowid
        assert row is not None
        return row

    def undo_last(self) -> str | None:
        """Remove the entry logged last (water, caffeine or twitch); return what it was, in words,
        or None when there is nothing left to undo."""
        with self._write() as db:
            last = db.execute(
                "SELECT seq, entry_type, entry_id FROM journal ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            if last is None:
                return None
            seq, entry_type, entry_id = last
            if entry_type not in LOG_TABLES:  # the CHECK constraint makes this impossible
                raise CalmcoachError(f"the history database {self.path} has an unknown entry {entry_type!r}")
            cursor = db.execute(f"SELECT * FROM {entry_type} WHERE id = ?", (entry_id,))  # noqa: S608
            cursor.row_factory = sqlite3.Row
            row = cursor.fetchone()
            db.execute(f"DELETE FROM {entry_type} WHERE id = ?", (entry_id,))  # noqa: S608
            db.execute("DELETE FROM journal WHERE seq = ?", (seq,))
        if row is None:
            return f"a {entry_type} entry that was already gone"
        if not _readable_time(row["at"]):
            self._warn_unreadable(entry_type, [entry_id], "removed all the same")
        return describe(entry_type, row)

    # -- reading -------------------------------------------------------------------------------

    def water(self, since: datetime, until: datetime | None = None) -> list[WaterEntry]:
        """Given a span (until: no end), return the water logged in it, oldest first."""
        from calmcoach.intake.records import WaterEntry

        rows = self._rows(
            "SELECT id, at, ml FROM water WHERE at >= ? AND at < ? ORDER BY at, id", _span(since, until)
        )
        return self._readable("water", rows, lambda r: WaterEntry(r["id"], from_text(r["at"]), r["ml"]))

    def water_since(self, since: datetime) -> float:
        """Given an instant, return the millilitres of water logged from then on."""
        # Added up in SQL (the quick path of `log water` parses no times), leaving out the rows
        # whose time has another shape: their text says nothing about when they were.
        rows = self._rows(
            "SELECT COALESCE(SUM(CASE WHEN at GLOB :shape THEN ml END), 0) AS ml,"
            " group_concat(CASE WHEN at GLOB :shape THEN NULL ELSE id END) AS bad"
            " FROM water WHERE at >= :since",
            {"shape": _TIME_SHAPE, "since": to_text(since)},
        )
        if rows[0]["bad"] is not None:
            self._warn_unreadable("water", [int(i) for i in str(rows[0]["bad"]).split(",")])
        return float(rows[0]["ml"])

    def last_water_at(self) -> datetime | None:
        """Return when water was last drunk (by the time it was logged for), or None."""
        return self._first_readable("SELECT id, at FROM water ORDER BY at DESC, id DESC", (), "water", _at)

    def caffeine(self, since: datetime, until: datetime | None = None) -> list[CaffeineEntry]:
        """Given a span, return the caffeine doses logged in it, oldest first."""
        from calmcoach.intake.records import CaffeineEntry

        rows = self._rows(
            "SELECT id, at, mg, drink, volume_ml FROM caffeine WHERE at >= ? AND at < ? ORDER BY at, id",
            _span(since, until),
        )
        return self._readable(
            "caffeine",
            rows,
            lambda r: CaffeineEntry(r["id"], from_text(r["at"]), r["mg"], r["drink"], r["volume_ml"]),
        )

    def twitches(self, since: datetime | None = None, until: datetime | None = None) -> list[TwitchEntry]:
        """Given a span (since None: from the first entry), return the twitch journal, oldest first."""
        from calmcoach.intake.records import Side, TwitchEntry

        rows = self._rows(
            "SELECT id, at, place, side, stress, note, new_symptom, weakness FROM twitch"
            " WHERE at >= ? AND at < ? ORDER BY at, id",
            _span(since, until),
        )
        return self._readable(
            "twitch",
            rows,
            lambda r: TwitchEntry(
                r["id"],
                from_text(r["at"]),
                r["place"],
                Side(r["side"]) if r["side"] else None,
                r["stress"],
                r["note"],
                bool(r["new_symptom"]),
                bool(r["weakness"]),
            ),
        )

    def deliveries(self, since: datetime, until: datetime | None = None) -> list[Delivery]:
        """Given a span, return the reminders delivered in it, oldest first."""
        rows = self._rows(
            "SELECT id, reminder, kind, at, channel, acted_at FROM delivery WHERE at >= ? AND at < ?"
            " ORDER BY at, id",
            _span(since, until),
        )
        return self._readable("delivery", rows, _delivery)

    def last_delivery(self, reminder: str) -> Delivery | None:
        """Given a reminder's name, return its most recent delivery, or None."""
        return self._first_readable(
            "SELECT id, reminder, kind, at, channel, acted_at FROM delivery WHERE reminder = ?"
            " ORDER BY at DESC, id DESC",
            (reminder,),
            "delivery",
            _delivery,
        )

    def sessions(self, since: datetime, until: datetime | None = None) -> list[SessionRecord]:
        """Given a span, return the sessions started in it, oldest first."""
        from calmcoach.intake.records import SessionRecord

        rows = self._rows(
            "SELECT id, kind, name, started_at, cycles_planned, cycles_done, completed FROM session"
            " WHERE started_at >= ? AND started_at < ? ORDER BY started_at, id",
            _span(since, until),
        )
        return self._readable(
            "session",
            rows,
            lambda r: SessionRecord(
                r["id"],
                r["kind"],
                r["name"],
                from_text(r["started_at"]),
                r["cycles_planned"],
                r["cycles_done"],
                bool(r["completed"]),
            ),
        )

    def export_rows(self) -> list[dict[str, Any]]:
        """Return every entry of every table as a dict with a `type` key, oldest first.

        `at` is UTC; `local` is the same instant in the zone it was logged in (`tz`). A row whose
        time cannot be read is left out, with a warning.
        """
        rows: list[dict[str, Any]] = []
        for table in ALL_TABLES:
            at_column = "started_at" if table == "session" else "at"
            found = self._rows(f"SELECT * FROM {table} ORDER BY {at_column}, id")  # noqa: S608
            rows += self._readable(table, found, _exporter(table, at_column))
        rows.sort(key=lambda e: (e["at"], ALL_TABLES.index(e["type"]), e["id"]))
        return rows

    def _readable(
        self, table: str, rows: Iterable[sqlite3.Row], build: Callable[[sqlite3.Row], T]
    ) -> list[T]:
        """Given a table's name, rows read from it and how to make each a value, return the values
        of the rows that could be read; warn once about the others (a time that is not one)."""
        values: list[T] = []
        bad: list[int] = []
        for row in rows:
            try:
                values.append(build(row))
            except (ValueError, TypeError):
                bad.append(row["id"])
        if bad:
            self._warn_unreadable(table, bad)
        return values

    def _first_readable(
        self, sql: str, params: Sequence[Any], table: str, build: Callable[[sqlite3.Row], T]
    ) -> T | None:
        """Given a query, its parameters, the table it reads and how to make a row a value, return
        the value of the first row that can be read, or None; warn once about those skipped.

        Rows are fetched one at a time: the first is nearly always readable, and a table's worth of
        rows is not read for one value.
        """
        bad: list[int] = []
        try:
            with self._guard():
                cursor = self._db.execute(sql, params)
                cursor.row_factory = sqlite3.Row
                for row in cursor:
                    try:
                        return build(row)
                    except (ValueError, TypeError):
                        bad.append(row["id"])
                return None
        finally:
            if bad:
                self._warn_unreadable(table, bad)

    def _warn_unreadable(self, table: str, ids: Sequence[int], done: str = "left out") -> None:
        """Given a table, the ids of rows in it whose time cannot be read and what became of them,
        say so in one warning."""
        import logging  # here: a command that meets no such row never needs logging

        shown = ", ".join(str(i) for i in ids[:_SHOWN_IDS]) + (", ..." if len(ids) > _SHOWN_IDS else "")
        rows, them = ("row", "it") if len(ids) == 1 else ("rows", "them")
        logging.getLogger(__name__).warning(
            "the history database %s has %d %s %s with a time that cannot be read (id %s): %s "
            "(an older calmcoach or a damaged file wrote %s)",
            self.path,
            len(ids),
            table,
            rows,
            shown,
            done,
            them,
        )

    def count(self, table: str) -> int:
        """Given a table name, return how many rows it holds (for checks and tests)."""
        if table not in (*ALL_TABLES, "journal"):
            raise ValueError(f"no table {table!r}")
        return int(self._rows(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])  # noqa: S608


def describe(entry_type: str, row: sqlite3.Row) -> str:
    """Given a log table's name and one of its rows, return the entry in a few words."""
    try:
        when = _local(row["at"], row["tz"]).strftime("%a %d %b %H:%M")
    except (ValueError, TypeError):  # the row is still worth naming: `log undo` removed it
        when = f"an unreadable time ({cut(str(row['at']))!r})"
    if entry_type == "water":
        return f"{format_volume(row['ml'])} of water at {when}"
    if entry_type == "caffeine":
        what = f" ({row['drink']})" if row["drink"] else ""
        return f"{row['mg']:.0f} mg of caffeine{what} at {when}"
    details = ", ".join(str(v) for v in (row["place"], row["side"]) if v)
    return f"a twitch{f' ({details})' if details else ''} at {when}"


def _span(since: datetime | None, until: datetime | None) -> tuple[str, str]:
    low = to_text(since) if since is not None else ""
    high = to_text(until) if until is not None else "9999"
    return low, high


def _at(r: sqlite3.Row) -> datetime:
    return from_text(r["at"])


def _exporter(table: str, at_column: str) -> Callable[[sqlite3.Row], dict[str, Any]]:
    """Given a table and the column of its time, return what makes one of its rows an export row."""

    def exported(row: sqlite3.Row) -> dict[str, Any]:
        entry = dict(row)
        at = entry.pop(at_column)
        entry = {"type": table, "id": entry.pop("id"), "at": at, **entry}
        entry["local"] = _local(at, entry["tz"]).isoformat(timespec="seconds")
        if table == "twitch":
            entry["where"] = entry.pop("place")
        return entry

    return exported


def _delivery(r: sqlite3.Row) -> Delivery:
    from calmcoach.intake.records import Delivery

    acted = from_text(r["acted_at"]) if r["acted_at"] else None
    return Delivery(r["id"], r["reminder"], r["kind"], from_text(r["at"]), r["channel"], acted)


def _create(path: Path) -> None:
    """Create the folder (private) and an empty private file, so the WAL files inherit 0600."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as error:
        raise CalmcoachError(
            f"cannot create the history database {path}: {error.strerror or error}; check that the "
            "folder is writable, or set XDG_STATE_HOME to one that is"
        ) from error


def _unreadable(path: Path, error: sqlite3.Error) -> CalmcoachError:
    return CalmcoachError(
        f"cannot open the history database {path}: {error}. Check the file's permissions and that "
        "the disk is not full; calmcoach has not changed the file."
    )


def _identity(path: Path) -> Identity | None:
    try:
        info = path.stat()
    except OSError:
        return None  # connecting will say what is wrong
    return (info.st_dev, info.st_ino)


class HistoryDamaged(CalmcoachError):
    """The history file is damaged or is not a calmcoach database; it was left untouched.

    `path` is where it is, `identity` which file it was when opened (None if unknown), `detail`
    what SQLite said.
    """

    def __init__(self, message: str, path: Path, detail: str, identity: Identity | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.detail = detail
        self.identity = identity


def set_aside(path: Path, moment: datetime) -> Path:
    """Given a damaged history file and the time now, rename it (with its -wal and -shm files, so
    that SQLite still reads them together) to `<name>.damaged-<UTC time>`; return the new path.

    Nothing is deleted or rewritten: the damaged file stays next to the new one for recovery. A
    name already taken (two set asides in one second) gets a number, so no copy replaces another.
    """
    with _folder_locked(path.parent):
        return _move_aside(path, moment)


def set_aside_if_same(path: Path, identity: Identity | None, moment: datetime) -> Path | None:
    """Given a damaged history file, which file it was when opened, and the time now, set it aside
    as `set_aside` does and return the new path; return None, moving nothing, when the file at
    `path` is another one by now (another process moved the damaged one aside and started anew).
    """
    with _folder_locked(path.parent):
        if identity is not None and _identity(path) != identity:
            return None
        return _move_aside(path, moment)


def _move_aside(path: Path, moment: datetime) -> Path:
    base = f"{path.name}.damaged-{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    aside = path.with_name(base)
    number = 1
    while any(aside.with_name(aside.name + suffix).exists() for suffix in ("", "-wal", "-shm")):
        number += 1
        aside = path.with_name(f"{base}-{number}")
    for suffix in ("-wal", "-shm"):  # the sidecars first: the main file marks the set as moved
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            sidecar.replace(aside.with_name(aside.name + suffix))
    path.replace(aside)
    return aside


@contextmanager
def _folder_locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the folder (an flock on the folder itself: no lock file to leave
    behind), so that two calmcoach processes never move the same file, or each other's, at once."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _corrupt(path: Path, detail: str, identity: Identity | None = None) -> HistoryDamaged:
    return HistoryDamaged(
        f"the history database {path} is damaged or is not a calmcoach database ({detail}). "
        "calmcoach has left it untouched. To keep your history, try `sqlite3 "
        f"{path} .recover > recovered.sql`; to start afresh, move the file aside "
        f"(for example: mv {path} {path}.broken) and run the command again.",
        path,
        detail,
        identity,
    )
