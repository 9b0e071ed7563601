"""The history store as the service sees it: today's figures for the wording, and what it records.

A history that cannot be opened (an unreadable file, a newer schema) must not stop the reminders:
the service then runs without figures, says so once, and words reminders plainly. A damaged one
is moved aside, kept for recovery, and a new one started, with a warning that says where it went:
at start-up, and whenever a read or a write meets damage while the service runs.

The service keeps its connection open for days, while CLI commands may move a damaged history
aside and start a new one at the same path (calmcoach.history.recovery). A connection follows
the file, not the path, so before each use the service checks that the file at the path is still
the one it has open (one stat call) and, if not, reopens the path: otherwise it would go on
recording deliveries and sessions in the copy set aside, lost from the history the person sees.
Each check and the use that follows hold the folder's shared lock (`kept_in_place`), so no move
can come between them.

Closing the connection to a file moved aside is safe for the new one: SQLite notices on close
that the file was moved (SQLITE_FCNTL_HAS_MOVED) and then neither checkpoints nor deletes the
`-wal` and `-shm` files by name, which would now be the new history's (seen with SQLite 3.40.1,
and tested in tests/service/test_history_follow.py).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from calmcoach.errors import CalmcoachError
from calmcoach.history import History
from calmcoach.history.recovery import is_at_path, kept_in_place, set_aside_and_say
from calmcoach.history.store import HistoryDamaged
from calmcoach.intake.caffeine import relevant_since, report, start_of_day
from calmcoach.schedule.model import Kind, Reminder, Schedule
from calmcoach.service.dispatch import SessionOutcome

log = logging.getLogger("calmcoach.service")

T = TypeVar("T")

# Without a water entry for this long, the person is taken not to be logging water (any more).
LOGGING_LAPSED = timedelta(days=2)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _open_idle(path: Path) -> History:
    """Open the history at start-up, checked, then free the page cache the check filled: the
    service holds the connection idle for hours between reminders.

    Measured (benchmarks/service.py's idle service over a copy of a year of history, 1.2 MB:
    8 water entries and 15 deliveries a day): 35.1 MiB without, 33.8 with; nothing measurable
    on a new, empty history.
    """
    history = History.open(path)
    try:
        history.release_memory()
    except (CalmcoachError, sqlite3.Error) as error:  # only memory is at stake: keep the history
        log.debug("could not free the history's page cache: %s", error)
    return history


class HistoryFigures:
    """The service's history: one connection, shared by the scheduler's threads (`_lock` makes
    each use, with its check of the file and any reopening, one step)."""

    def __init__(self, history: History, *, now: Callable[[], datetime] = _utc_now) -> None:
        self.path = history.path
        self._history: History | None = history  # None after a failed reopening: tried again next use
        self._now = now  # names the copy set aside; only a label, so the wall clock is right here
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path, *, now: Callable[[], datetime] = _utc_now) -> HistoryFigures | None:
        """Given the database path, return figures backed by it, or None (logged) if it cannot open.

        A damaged file is moved aside (kept, never deleted) and a new history is started: the
        reminders go on, and so does recording, rather than months of nothing recorded.
        """
        try:
            return cls(_open_idle(path), now=now)
        except HistoryDamaged as damaged:
            try:
                _set_aside(damaged, now())
                return cls(_open_idle(path), now=now)
            except CalmcoachError as error:
                return cls._without(error.message)
        except CalmcoachError as error:
            return cls._without(error.message)

    @staticmethod
    def _without(reason: str) -> None:
        log.warning("running without history (no adaptive reminders, nothing recorded): %s", reason)

    def close(self) -> None:
        with self._lock:
            if self._history is not None:
                self._history.close()
                self._history = None

    # -- using the history ---------------------------------------------------------------------

    def _use(self, work: Callable[[History], T]) -> T:
        """Run `work` on the history at the path now, reopening it first if the file there is
        another one; raise CalmcoachError when it cannot be used.

        Damage met (in `work`, or in the file found at the path) is answered as at start-up:
        the file is moved aside, a new history started, and `work` run once more on it.
        """
        with self._lock:
            try:
                return self._attempt(work)
            except HistoryDamaged as damaged:
                self._drop()  # closed before the move: a close must not touch the moved files
                _set_aside(damaged, self._now())
            return self._attempt(work)

    def _attempt(self, work: Callable[[History], T]) -> T:
        with kept_in_place(self.path):
            return work(self._current())

    def _current(self) -> History:
        """Return the open history if its file is still the one at the path, else open that one."""
        history = self._history
        if history is not None and is_at_path(history):
            return history
        if history is not None:
            self._drop()
            # Another calmcoach process moved it aside (it found it damaged, and said so) and
            # started a new history, or someone put another file there: use the file there.
            log.info(
                "the history database %s is no longer the file the service had open (moved aside "
                "or replaced); recording in the one there from now on",
                self.path,
            )
        self._history = History.open(self.path)
        return self._history

    def _drop(self) -> None:
        if self._history is not None:
            self._history.close()
            self._history = None

    # -- what the dispatcher asks --------------------------------------------------------------

    def context_for(self, reminder: Reminder, schedule: Schedule, now: datetime) -> dict[str, Any]:
        """Given a due reminder, return the ReminderContext fields history can fill in."""
        settings = schedule.settings
        try:
            if reminder.kind is Kind.HYDRATION:
                midnight = start_of_day(now.astimezone(settings.timezone).date(), settings.timezone)
                # Both in one use: damage met in the second read must not mix two histories' figures.
                last, today = self._use(lambda h: (h.last_water_at(), h.water_since(midnight)))
                if last is None or now - last > LOGGING_LAPSED:
                    return {}  # someone who does not log water is not "behind": word it plainly
                return {"water_ml_today": today, "last_drink_at": last}
            if reminder.kind is Kind.CAFFEINE:
                # Today's total needs every dose since midnight, the level every dose still in
                # the body: a short half-life's window can start after midnight (as in views.py).
                midnight = start_of_day(now.astimezone(settings.timezone).date(), settings.timezone)
                since = min(relevant_since(now, settings.caffeine_half_life), midnight)
                doses = self._use(lambda h: h.caffeine(since=since))
                figures = report(
                    doses,
                    now,
                    tz=settings.timezone,
                    half_life=settings.caffeine_half_life,
                    limit_mg=settings.caffeine_limit_mg,
                    bedtime=settings.bedtime,
                )
                return {
                    "caffeine_mg_today": figures.total_today_mg,
                    "caffeine_mg_at_bedtime": figures.level_at_bedtime_mg,
                }
        except CalmcoachError as error:
            log.warning("history unavailable for %s, wording it plainly: %s", reminder.name, error.message)
        return {}

    def record_delivery(self, reminder: Reminder, at: datetime, channel: str) -> None:
        try:
            self._use(lambda h: h.record_delivery(reminder.name, str(reminder.kind), at, channel))
        except CalmcoachError as error:
            log.warning("could not record the delivery of %s in history: %s", reminder.name, error.message)

    def record_session(self, reminder: Reminder, started: datetime, outcome: SessionOutcome) -> None:
        try:
            self._use(
                lambda h: h.record_session(
                    str(reminder.kind),
                    outcome.name,
                    started,
                    outcome.planned,
                    outcome.done,
                    outcome.completed,
                )
            )
        except CalmcoachError as error:
            log.warning("could not record the session of %s in history: %s", reminder.name, error.message)


def _set_aside(damaged: HistoryDamaged, now: datetime) -> None:
    """Given damage found in the history, move the file aside (unless another process already
    has) and log where it went, in the words the commands use; raise CalmcoachError when it
    cannot be moved."""
    log.warning("%s", set_aside_and_say(damaged, now))
