"""When reminders fire: the next firing of one reminder, and the agenda of a whole schedule.

Pure: no clock is read; every answer depends only on the schedule and the datetimes passed in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from calmcoach.planner.cron import CronSpec, parse_cron
from calmcoach.planner.triggers import DayPlanner, PlannedTrigger
from calmcoach.planner.wallclock import ZoneClock, to_utc
from calmcoach.schedule.model import At, Every, Reminder, Schedule, Settings, Trigger

_DAY = timedelta(days=1)
# Looking for a next firing gives up after this many of the reminder's days in a row with none
# (more than a year of active days, so every daylight-saving change is tried at least once) ...
_EMPTY_DAYS = 400
# ... or after this long without a day the calendar allows: a cron on 29 February restricted to
# Mondays waits up to 40 years (2072 to 2112, as 2100 is not a leap year).
_CALENDAR_SPAN = timedelta(days=41 * 366)
# Room either side for a window that ends the next day and for the largest UTC offsets.
_FIRST_DAY = date.min + 2 * _DAY
_LAST_DAY = date.max - 2 * _DAY


@dataclass(frozen=True)
class Firing:
    """One reminder firing at one instant (`at` is aware, in the schedule's zone)."""

    at: datetime
    reminder: Reminder


def next_firing(
    reminder: Reminder, settings: Settings, after: datetime, *, anchor: datetime | None = None
) -> datetime | None:
    """Given a reminder, its settings and an aware `after`, return its first firing strictly after it.

    The answer is aware, in `settings.timezone`, or None when the reminder will never fire (no
    active days, every time inside quiet hours, a cron date that does not exist). Raise ValueError
    when `after` is naive. Compare the answers by instant (`.timestamp()` or in UTC): Python
    compares two datetimes of one zone by wall clock and ignores `fold`.

    Rules, day by day (a reminder's day is the local date its `between` window starts on, so a
    "22:00-06:00" window that starts on an active day fires until 06:00 the next morning):

    - days: `reminder.days`, else `settings.days` (0 is Monday).
    - `At(times)`: those wall-clock times, those inside `between` when there is one.
    - `Every(interval)`: window start + k * interval for k >= 1 while before the window's end
      (the end itself is outside, as for quiet hours). Without `between` the window is the whole
      local day, from midnight to the next midnight, so midnight itself never fires and an
      "every 45m" reminder fires 00:45 ... 23:15. Steps are real elapsed time, anchored each day
      on the wall-clock window start: a 23-hour spring day has one step fewer, a 25-hour autumn
      day one more, and none doubles or goes missing. `anchor`, when it falls inside that day's
      window, replaces the window start for that day only (the service uses it to count again
      from a person's return).
    - `Cron(expression)`: see `calmcoach.planner.cron`; its day fields are matched on the calendar
      date of each firing.
    - Quiet hours (`settings.quiet_hours`, which may cross midnight): nothing fires inside.
    - Daylight saving: a wall-clock time that does not exist fires once, at the first instant
      after the gap (02:30 becomes 03:00 on the spring night); a time that occurs twice fires
      once, at its first occurrence. So a daily reminder fires exactly once on both change days.
    """
    clock = ZoneClock(settings.timezone)
    found = next(
        _instants(reminder, settings, clock, to_utc(after, "after"), None, anchor=_aware(anchor)), None
    )
    return clock.local(found) if found is not None else None


def iter_firings(
    reminder: Reminder,
    settings: Settings,
    after: datetime,
    until: datetime | None = None,
    *,
    anchor: datetime | None = None,
) -> Iterator[datetime]:
    """Given a reminder and aware bounds, return its firings in (after, until] in order, lazily.

    The same rules as `next_firing`; with `until` None the firings go on until the reminder
    cannot fire again. Raise ValueError (at once, not on the first `next`) for naive bounds.
    """
    after_utc = to_utc(after, "after")
    until_utc = to_utc(until, "until") if until is not None else None
    clock = ZoneClock(settings.timezone)
    instants = _instants(reminder, settings, clock, after_utc, until_utc, anchor=_aware(anchor))
    return (clock.local(instant) for instant in instants)


def agenda(schedule: Schedule, start: datetime, end: datetime) -> list[Firing]:
    """Given a schedule and aware bounds, return every firing in (start, end], by time then name."""
    start_utc, end_utc = to_utc(start, "start"), to_utc(end, "end")
    clock = ZoneClock(schedule.settings.timezone)  # shared: each day's offset is worked out once
    found = [
        (instant, reminder)
        for reminder in schedule.reminders
        for instant in _instants(reminder, schedule.settings, clock, start_utc, end_utc)
    ]
    found.sort(key=lambda pair: (pair[0], pair[1].name))
    return [Firing(clock.local(instant), reminder) for instant, reminder in found]


def _later(day: date, span: timedelta) -> date:
    """Given a day and a span, return the day after it, or the last day we plan for."""
    return day + span if day <= _LAST_DAY - span else _LAST_DAY


def _aware(anchor: datetime | None) -> datetime | None:
    return to_utc(anchor, "anchor") if anchor is not None else None


def _prepare(trigger: Trigger) -> PlannedTrigger:
    """Given a schedule trigger, return what the day generators work from (a cron parsed once)."""
    if isinstance(trigger, Every):
        if trigger.interval <= timedelta(0):
            raise ValueError(f"an interval must be positive, got {trigger.interval}")
        return trigger
    if isinstance(trigger, At):
        return trigger
    return parse_cron(trigger.expression)


def _instants(
    reminder: Reminder,
    settings: Settings,
    clock: ZoneClock,
    after: datetime,
    until: datetime | None,
    *,
    anchor: datetime | None = None,
) -> Iterator[datetime]:
    """Yield the reminder's firings in (after, until] as UTC instants, strictly increasing."""
    quiet = settings.quiet_hours
    active = reminder.days if reminder.days is not None else settings.days
    trigger = _prepare(reminder.trigger)
    always_quiet = quiet is not None and quiet.start == quiet.end
    if not active or always_quiet or (isinstance(trigger, CronSpec) and not trigger.can_ever_fire()):
        return
    planner = DayPlanner(trigger, reminder.between, clock, quiet, anchor)
    # Start a day early: yesterday's window may cross midnight into `after`'s day.
    try:
        after_day = clock.local(after).date()
    except OverflowError:  # past the year 9999 in this zone: nothing can come after it
        return
    day = max(after_day, _FIRST_DAY + _DAY) - _DAY
    last_day = _LAST_DAY
    if until is not None and until.year < _LAST_DAY.year:
        last_day = clock.local(until).date() + _DAY
    give_up = _later(day, _CALENDAR_SPAN)
    empty_days = 0
    last = after
    while day <= last_day and day <= give_up:
        if day.weekday() in active and planner.touches(day):
            fired = False
            for instant in planner.instants(day, last):
                if instant <= last:
                    continue
                if until is not None and instant > until:
                    return
                if quiet is not None and quiet.contains(clock.local(instant).time()):
                    continue
                last, fired = instant, True
                yield instant
            empty_days = 0 if fired else empty_days + 1
            if fired:
                give_up = _later(day, _CALENDAR_SPAN)
            elif until is None and empty_days >= _EMPTY_DAYS:
                return
        day += _DAY
