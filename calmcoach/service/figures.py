"""The history store as the service sees it: today's figures for the wording, and what it records.

A history that cannot be opened (an unreadable file, a newer schema) must not stop the reminders:
the service then runs without figures, says so once, and words reminders plainly. A damaged one
is moved aside, kept for recovery, and a new one started, with a warning that says where it went.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from calmcoach.errors import CalmcoachError
from calmcoach.history import History
from calmcoach.history.store import HistoryDamaged, set_aside
from calmcoach.intake.caffeine import relevant_since, report, start_of_day
from calmcoach.schedule.model import Kind, Reminder, Schedule
from calmcoach.service.dispatch import SessionOutcome

log = logging.getLogger("calmcoach.service")

# Without a water entry for this long, the person is taken not to be logging water (any more).
LOGGING_LAPSED = timedelta(days=2)


class HistoryFigures:
    def __init__(self, history: History) -> None:
        self.history = history

    @classmethod
    def open(cls, path: Path) -> HistoryFigures | None:
        """Given the database path, return figures backed by it, or None (logged) if it cannot open.

        A damaged file is moved aside (kept, never deleted) and a new history is started: the
        reminders go on, and so does recording, rather than months of nothing recorded.
        """
        try:
            return cls(History.open(path))
        except HistoryDamaged as error:
            try:
                aside = set_aside(path, datetime.now(UTC))
            except OSError as move_error:
                return cls._without(f"{error.message} It could not be moved aside either: {move_error}")
            log.warning(
                "the history database %s is damaged; moved it to %s, kept untouched for recovery "
                "(sqlite3 %s .recover), and started a new history",
                path,
                aside,
                aside,
            )
            try:
                return cls(History.open(path))
            except CalmcoachError as fresh_error:
                return cls._without(fresh_error.message)
        except CalmcoachError as error:
            return cls._without(error.message)

    @staticmethod
    def _without(reason: str) -> None:
        log.warning("running without history (no adaptive reminders, nothing recorded): %s", reason)

    def close(self) -> None:
        self.history.close()

    def context_for(self, reminder: Reminder, schedule: Schedule, now: datetime) -> dict[str, Any]:
        """Given a due reminder, return the ReminderContext fields history can fill in."""
        settings = schedule.settings
        try:
            if reminder.kind is Kind.HYDRATION:
                last = self.history.last_water_at()
                if last is None or now - last > LOGGING_LAPSED:
                    return {}  # someone who does not log water is not "behind": word it plainly
                midnight = start_of_day(now.astimezone(settings.timezone).date(), settings.timezone)
                return {"water_ml_today": self.history.water_since(midnight), "last_drink_at": last}
            if reminder.kind is Kind.CAFFEINE:
                doses = self.history.caffeine(since=relevant_since(now, settings.caffeine_half_life))
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
            self.history.record_delivery(reminder.name, str(reminder.kind), at, channel)
        except CalmcoachError as error:
            log.warning("could not record the delivery of %s in history: %s", reminder.name, error.message)

    def record_session(self, reminder: Reminder, started: datetime, outcome: SessionOutcome) -> None:
        try:
            self.history.record_session(
                str(reminder.kind), outcome.name, started, outcome.planned, outcome.done, outcome.completed
            )
        except CalmcoachError as error:
            log.warning("could not record the session of %s in history: %s", reminder.name, error.message)
