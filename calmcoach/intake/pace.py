"""The drinking pace across the day's window: how much should have been drunk by now.

Kept apart from `hydration` (which also decides what a reminder does) and written against any
object with a `start` and an `end`, so that `calmcoach log water` can work out the pace without
importing the schedule's model: the window may be the schedule's `TimeWindow`, or a `ClockWindow`
read back from the cache of validated schedules (calmcoach.intake.log_settings).
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from typing import TYPE_CHECKING, NamedTuple

from calmcoach.intake.fmt import format_volume

if TYPE_CHECKING:  # only annotations use it
    from typing import Protocol

    class Window(Protocol):
        """A daily window of wall-clock time; when `end <= start` it crosses midnight."""

        @property
        def start(self) -> time: ...

        @property
        def end(self) -> time: ...


_DAY_MINUTES = 24 * 60


class ClockWindow(NamedTuple):
    start: time
    end: time


def start_of_day(day: date, tz: tzinfo) -> datetime:
    """Given a calendar date and a zone, return the instant that day begins there."""
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def window_fraction(window: Window, now: datetime) -> float:
    """Given the active window and now (its wall clock read in now's zone), return how much of
    the window has passed: 0.0 before it starts, 1.0 once it has ended.

    A window that crosses midnight ("20:00-02:00") is read as starting the evening before when
    now is in its early-morning part.
    """
    start, end = _minutes(window.start), _minutes(window.end)
    length = (end - start) % _DAY_MINUTES or _DAY_MINUTES
    current = now.hour * 60 + now.minute + now.second / 60
    passed = (current - start) % _DAY_MINUTES
    if passed >= length:
        # Outside the window: after its end the day's goal is due in full, before its start none
        # of it is. For a window that does not cross midnight (TimeWindow.crosses_midnight is
        # `end <= start`), "before" means earlier on the clock.
        crosses_midnight = window.end <= window.start
        return 0.0 if not crosses_midnight and current < start else 1.0
    return passed / length


def expected_ml(goal_ml: float, window: Window, now: datetime) -> float:
    """Given the daily goal, the active window and now, return what should have been drunk by now."""
    return goal_ml * window_fraction(window, now)


def pace_words(goal_ml: float, drunk_ml: float, window: Window, now: datetime) -> str:
    """Given the goal, what was drunk, the window and now, return a short phrase about the pace."""
    if drunk_ml >= goal_ml:
        return "goal reached"
    behind = expected_ml(goal_ml, window, now) - drunk_ml
    if behind <= 0:
        return "on pace"
    return f"{format_volume(behind)} behind the pace"
