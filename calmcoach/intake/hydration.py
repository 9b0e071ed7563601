"""Hydration pace: how much a person should have drunk by now, and what a reminder should do.

The daily goal comes from the settings (2 l of drinks by default: EFSA 2010 sets adequate total
water at 2.0 l a day for women and 2.5 l for men, about 80% of it from drinks). The goal is spread
evenly across the day's active window, so the pace is a straight line from 0 at the window's start
to the goal at its end.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Literal

from calmcoach.intake.fmt import format_volume
from calmcoach.schedule.model import TimeWindow

# When no hydration reminder says `between`, people drink across a waking day like this one.
DEFAULT_WINDOW = TimeWindow(time(8, 0), time(20, 0))

# Further behind the pace than one glass, a reminder is worded firmly. The glass is the same
# 250 ml that `calmcoach log water` logs by default.
GLASS_ML = 250.0

Decision = Literal["skip", "normal", "firm"]

_DAY = timedelta(days=1)


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def window_fraction(window: TimeWindow, now: datetime) -> float:
    """Given the active window and now (its wall clock read in now's zone), return how much of
    the window has passed: 0.0 before it starts, 1.0 once it has ended.

    A window that crosses midnight ("20:00-02:00") is read as starting the evening before when
    now is in its early-morning part.
    """
    start, end = _minutes(window.start), _minutes(window.end)
    length = (end - start) % (24 * 60) or 24 * 60
    current = now.hour * 60 + now.minute + now.second / 60
    passed = (current - start) % (24 * 60)
    if passed >= length:
        # Outside the window: after its end the day's goal is due in full, before its start none
        # of it is. For a window that does not cross midnight, "before" means earlier on the clock.
        return 0.0 if not window.crosses_midnight and current < start else 1.0
    return passed / length


def expected_ml(goal_ml: float, window: TimeWindow, now: datetime) -> float:
    """Given the daily goal, the active window and now, return what should have been drunk by now."""
    return goal_ml * window_fraction(window, now)


def hydration_decision(  # noqa: PLR0917 - the service calls it positionally, as agreed
    goal_ml: float,
    drunk_ml: float,
    window: TimeWindow,
    now: datetime,
    last_drink_at: datetime | None,
    interval: timedelta,
) -> Decision:
    """Given the goal, what was drunk today, the window, now, the last drink and the reminder's
    interval, return what a hydration reminder due now should do.

    - "firm": more than a glass behind the pace;
    - "skip": on pace (or ahead) and the person drank within the last interval, so a reminder
      would only nag;
    - "normal": anything else.
    """
    behind = expected_ml(goal_ml, window, now) - drunk_ml
    if behind > GLASS_ML:
        return "firm"
    # In UTC: subtracting two datetimes that share a ZoneInfo ignores a DST change between them.
    since_drink = now.astimezone(UTC) - last_drink_at.astimezone(UTC) if last_drink_at else None
    drank_recently = since_drink is not None and timedelta(0) <= since_drink < interval
    if behind <= 0 and drank_recently:
        return "skip"
    return "normal"


def pace_words(goal_ml: float, drunk_ml: float, window: TimeWindow, now: datetime) -> str:
    """Given the goal, what was drunk, the window and now, return a short phrase about the pace."""
    if drunk_ml >= goal_ml:
        return "goal reached"
    behind = expected_ml(goal_ml, window, now) - drunk_ml
    if behind <= 0:
        return "on pace"
    return f"{format_volume(behind)} behind the pace"
