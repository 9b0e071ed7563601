"""Hydration: the day's drinking window, and what a hydration reminder should do given the pace.

The daily goal comes from the settings (2 l of drinks by default: EFSA 2010 sets adequate total
water at 2.0 l a day for women and 2.5 l for men, about 80% of it from drinks). The goal is spread
evenly across the day's active window, so the pace is a straight line from 0 at the window's start
to the goal at its end (calmcoach.intake.pace).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Literal

from calmcoach.intake.pace import expected_ml, pace_words, window_fraction
from calmcoach.schedule.model import Kind, Schedule, TimeWindow

# The pace itself lives in calmcoach.intake.pace (it needs no schedule model); these names stay
# importable from here, where the service and the tests look for them.
__all__ = [
    "DEFAULT_WINDOW",
    "GLASS_ML",
    "Decision",
    "drinking_window",
    "expected_ml",
    "hydration_decision",
    "pace_words",
    "window_fraction",
]

# When no hydration reminder says `between`, people drink across a waking day like this one.
DEFAULT_WINDOW = TimeWindow(time(8, 0), time(20, 0))

# Further behind the pace than one glass, a reminder is worded firmly. The glass is the same
# 250 ml that `calmcoach log water` logs by default.
GLASS_ML = 250.0

Decision = Literal["skip", "normal", "firm"]


def drinking_window(schedule: Schedule) -> TimeWindow:
    """Given the schedule, return the day's drinking window: the first hydration reminder's
    `between`, else DEFAULT_WINDOW."""
    for reminder in schedule.reminders:
        if reminder.kind is Kind.HYDRATION and reminder.between is not None:
            return reminder.between
    return DEFAULT_WINDOW


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
