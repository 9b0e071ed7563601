"""An APScheduler 3 trigger that asks the planner, so the service and `calmcoach agenda` agree.

APScheduler calls `get_next_fire_time(previous, now)`: after each run with the time that ran, and
once with None when the job is added. The planner's `next_firing(reminder, settings, after)`
answers "the first firing strictly after `after`", honouring days, windows, quiet hours, the time
zone and DST; this class only chooses `after`.

On the first call it looks back, so that a firing missed while the service was stopped is still
seen: from the reminder's last firing (kept in the state folder), but never further back than its
grace time. APScheduler then delivers that firing once (coalesce) if it is within the grace time,
and a restart never fires again what already fired.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger

from calmcoach.schedule.model import Reminder, Settings

NextFiring = Callable[[Reminder, Settings, datetime], datetime | None]


def lookback_start(last_fired: datetime | None, now: datetime, grace: timedelta) -> datetime:
    """Given the last firing (None if never), now and the grace time, return where to look from.

    Never fired: from now (a reminder new to the service has nothing to catch up). Fired before:
    from that firing, but not further back than `now - grace`, beyond which nothing may be
    delivered anyway.
    """
    if last_fired is None:
        return now
    return max(last_fired, now - grace)


def _planner_next_firing(reminder: Reminder, settings: Settings, after: datetime) -> datetime | None:
    from calmcoach.planner import next_firing

    return next_firing(reminder, settings, after)


class PlannerTrigger(BaseTrigger):  # type: ignore[misc]  # apscheduler ships no types
    """Fires a reminder when the planner says it is due."""

    # BaseTrigger declares empty __slots__; ours keeps the trigger small and copy-free as well.
    __slots__ = ("_next_firing", "last_fired", "reminder", "settings")

    def __init__(
        self,
        reminder: Reminder,
        settings: Settings,
        *,
        last_fired: datetime | None = None,
        next_firing: NextFiring | None = None,
    ) -> None:
        if last_fired is not None and last_fired.tzinfo is None:
            raise ValueError("last_fired must be timezone-aware")
        self.reminder = reminder
        self.settings = settings
        self.last_fired = last_fired
        self._next_firing: NextFiring = next_firing or _planner_next_firing

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        """Given the last run time APScheduler knows (or None) and now, return the next firing."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware (APScheduler passes the scheduler's zone)")
        if previous_fire_time is not None:
            after = previous_fire_time
        else:
            after = lookback_start(self.last_fired, now, self.reminder.grace)
        return self._next_firing(self.reminder, self.settings, after)

    def __str__(self) -> str:
        return f"planner[{self.reminder.name}]"

    def __repr__(self) -> str:
        return f"<PlannerTrigger reminder={self.reminder.name!r} last_fired={self.last_fired!r}>"
