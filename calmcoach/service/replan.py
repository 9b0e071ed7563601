"""Planning again after the wall clock was set back or the system's time zone changed: pure.

APScheduler keeps each job's next run as a wall-clock instant. When the clock is set back an
hour, an `every "45m"` reminder would then say nothing for an hour and 45 minutes; a snooze
would last an hour longer. When the zone changes, `at = "09:00"` must mean 09:00 in the new one.

The rules (`replan`):
- `every`: the real time left until the next step is kept. The reminder is anchored at that
  step minus one interval (in the clock's new reckoning), so the planner gives that step again,
  or the next it allows when it falls outside the reminder's window or inside quiet hours, and
  the steps after it follow on from there. The day after, steps count from the window as usual.
- A snoozed reminder keeps the real time left of its snooze.
- `at` and `cron` keep their wall-clock times. A daily reminder that already fired today has its
  next run tomorrow, so setting the clock back cannot bring it twice; after a change of zone the
  service installs its jobs again from their last firings, which gives the same guarantee.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from calmcoach.schedule.model import Every, Reminder, Schedule, Settings

SAME_INSTANT = timedelta(seconds=1)  # a job's next run this close to its snooze is the snooze

PlannerNext = Callable[..., datetime | None]  # planner.next_firing(reminder, settings, after, anchor=)


class Anchors:
    """Where each `every` reminder counts its steps from, once the service restarted it; thread-safe.

    Set by a person's return (calmcoach.presence) and by a re-plan; asked by the scheduler's
    triggers, while APScheduler holds its job store's lock, so this lock is held by nothing else.
    """

    def __init__(self) -> None:
        self._anchors: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def set(self, anchors: Mapping[str, datetime]) -> None:
        with self._lock:
            self._anchors.update(anchors)

    def get(self, name: str) -> datetime | None:
        with self._lock:
            return self._anchors.get(name)

    def next_firing(self, reminder: Reminder, settings: Settings, after: datetime) -> datetime | None:
        """The planner's next firing, counted from the reminder's anchor where it has one."""
        from calmcoach.planner import next_firing

        return next_firing(reminder, settings, after, anchor=self.get(reminder.name))


@dataclass(frozen=True)
class Replan:
    next_runs: dict[str, datetime]  # jobs whose next run moves
    anchors: dict[str, datetime]  # `every` reminders counted from here from now on
    snoozed: dict[str, datetime]  # snoozes moved with the clock


def replan(
    schedule: Schedule,
    next_runs: Mapping[str, datetime | None],
    snoozed: Mapping[str, datetime],
    now: datetime,
    *,
    shift: timedelta,
    next_firing: PlannerNext,
) -> Replan:
    """Given the schedule, each job's next run, the snoozes, now and the clock's jump, return the moves.

    `next_runs` and `snoozed` were planned before the change; `now` is read after it; `shift` is
    how far the wall clock jumped (negative: set back; zero: only the zone changed).
    `next_firing` is the planner's (it takes `anchor=`).
    """
    moves: dict[str, datetime] = {}
    anchors: dict[str, datetime] = {}
    moved_snoozes: dict[str, datetime] = {}
    for reminder in schedule.reminders:
        planned = next_runs.get(reminder.name)
        if planned is None:
            continue  # it will never fire again, or it has no job
        until = snoozed.get(reminder.name)
        if until is not None and abs(until - planned) <= SAME_INSTANT:
            moved = max(planned + shift, now)
            moved_snoozes[reminder.name] = moved
            moves[reminder.name] = moved
            continue
        if not isinstance(reminder.trigger, Every):
            continue
        anchor = planned + shift - reminder.trigger.interval
        first = next_firing(reminder, schedule.settings, now, anchor=anchor)
        anchors[reminder.name] = anchor
        if first is not None:
            moves[reminder.name] = first
    return Replan(moves, anchors, moved_snoozes)
