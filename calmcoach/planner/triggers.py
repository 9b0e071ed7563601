"""One day of one trigger: the instants an `Every`, `At` or cron trigger names for a given day.

A reminder's day is the local date its `between` window starts on; a window that crosses midnight
("22:00-06:00") reaches into the next date but still belongs to the day it started. Instants come
out in UTC, in non-decreasing order (several wall-clock times that fall into the same
daylight-saving gap all name the same instant; the caller drops the repeats).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from calmcoach.planner.cron import CronSpec
from calmcoach.planner.wallclock import ZoneClock
from calmcoach.schedule.model import At, Every, TimeWindow

_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)
_DAY_SECONDS = 24 * 3600

PlannedTrigger = Every | At | CronSpec


@dataclass(frozen=True)
class Segment:
    """A stretch of one calendar date's wall clock: seconds since midnight, start in, end out."""

    day: date
    start: int
    end: int

    def contains(self, wall: time) -> bool:
        return self.start <= _seconds(wall) < self.end


def _seconds(wall: time) -> int:
    return wall.hour * 3600 + wall.minute * 60 + wall.second


def segments(day: date, window: TimeWindow | None) -> tuple[Segment, ...]:
    """Given a reminder's day and its window, return the wall-clock stretches that day covers."""
    if window is None:
        return (Segment(day, 0, _DAY_SECONDS),)
    start, end = _seconds(window.start), _seconds(window.end)
    if not window.crosses_midnight:
        return (Segment(day, start, end),)
    return (Segment(day, start, _DAY_SECONDS), Segment(day + _DAY, 0, end))


@dataclass(frozen=True)
class DayPlanner:
    """One reminder's trigger with what shapes its days: window, zone, quiet hours and anchor.

    `anchor` (UTC), when it falls inside a day's window, replaces that day's window start for
    `Every` triggers.
    """

    trigger: PlannedTrigger
    window: TimeWindow | None
    clock: ZoneClock
    quiet: TimeWindow | None = None
    anchor: datetime | None = None

    def touches(self, day: date) -> bool:
        """Given a reminder's day, return whether the calendar lets the trigger fire that day at all."""
        if isinstance(self.trigger, CronSpec):
            return any(self.trigger.matches_day(segment.day) for segment in segments(day, self.window))
        return True

    def instants(self, day: date, after: datetime) -> Iterator[datetime]:
        """Given one of the reminder's days, yield that day's instants in UTC, in order.

        Instants at or before `after` may be yielded (the caller drops them); each trigger skips
        most of them cheaply. Quiet hours are only used by `Every` to jump over them; the caller
        still checks every instant against them.
        """
        if isinstance(self.trigger, Every):
            return self._every(self.trigger.interval, day, after)
        if isinstance(self.trigger, At):
            return self._at(self.trigger.times, day)
        return self._cron(self.trigger, day, after)

    def _window_bounds(self, day: date) -> tuple[datetime, datetime]:
        """Given a day, return its window's start and end instants (no window: the whole day)."""
        window, clock = self.window, self.clock
        if window is None:
            return clock.instant(day, _MIDNIGHT), clock.instant(day + _DAY, _MIDNIGHT)
        end_day = day + _DAY if window.crosses_midnight else day
        return clock.instant(day, window.start), clock.instant(end_day, window.end)

    def _every(self, interval: timedelta, day: date, after: datetime) -> Iterator[datetime]:
        """Yield start + k * interval (k >= 1) before the window's end, stepping in elapsed time."""
        start, end = self._window_bounds(day)
        if self.anchor is not None and start <= self.anchor < end:
            start = self.anchor  # the service counts again from here, e.g. a person's return
        step = max(1, (after - start) // interval + 1)  # the first step past `after`, without walking
        moment = start + step * interval
        while moment < end:
            if self.quiet is not None and self.quiet.contains(self.clock.local(moment).time()):
                step = max(step + 1, self._first_step_after_quiet(moment, start, interval, self.quiet))
            else:
                yield moment
                step += 1
            moment = start + step * interval

    def _first_step_after_quiet(
        self, moment: datetime, start: datetime, interval: timedelta, quiet: TimeWindow
    ) -> int:
        """Given a moment in quiet hours, return the first step that may fall after them (0: next)."""
        clock = self.clock
        local_day = clock.local(moment).date()
        quiet_end = clock.instant(local_day, quiet.end)
        if quiet_end <= moment:
            # Falling back inside the quiet hours shows their end a second time the same day
            # (00:00-02:15 in Berlin on the autumn night): that second showing ends them.
            again = clock.second_showing(local_day, quiet.end)
            if again is not None and again > moment:
                quiet_end = again
            else:
                quiet_end = clock.instant(local_day + _DAY, quiet.end)
        if clock.local(quiet_end).utcoffset() != clock.local(moment).utcoffset():
            # The clocks change before the quiet hours end, which can move the wall clock out of
            # them early (falling back out of "01:30-06:00"): walk step by step instead of jumping.
            return 0
        return -((start - quiet_end) // interval)  # the ceiling of (quiet_end - start) / interval

    def _at(self, times: tuple[time, ...], day: date) -> Iterator[datetime]:
        """Yield the day's `at` times that lie in the window, in wall-clock order."""
        for segment in segments(day, self.window):
            for wall in sorted(times):
                if segment.contains(wall):
                    yield self.clock.instant(segment.day, wall)

    def _cron(self, spec: CronSpec, day: date, after: datetime) -> Iterator[datetime]:
        """Yield the cron's times on the day's matching dates, starting near `after` by bisection."""
        for segment in segments(day, self.window):
            if not spec.matches_day(segment.day):
                continue
            whole_day = segment.start == 0 and segment.end == _DAY_SECONDS
            for hour in spec.hours[self._first_hour(spec, segment.day, after) :]:
                for minute in spec.minutes:
                    wall = time(hour, minute)
                    if whole_day or segment.contains(wall):
                        yield self.clock.instant(segment.day, wall)

    def _first_hour(self, spec: CronSpec, day: date, after: datetime) -> int:
        """Given a date, return the index of the first cron hour whose last minute is past `after`.

        Wall clock to instant never runs backwards within a date, so the hours before it can all
        be skipped at once.
        """
        last_minute = spec.minutes[-1]

        def last_instant(hour: int) -> datetime:
            return self.clock.instant(day, time(hour, last_minute))

        return bisect_right(spec.hours, after, key=last_instant)
