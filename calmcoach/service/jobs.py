"""APScheduler jobs built from the validated schedule: one job per reminder, on purpose-set options.

- Each job's trigger is a `PlannerTrigger`, so the service fires exactly what `calmcoach agenda` lists.
- coalesce=True: after a suspend or a stop, a backlog of missed firings becomes one run.
- misfire_grace_time = the reminder's `grace`: a firing later than that is skipped (and logged by
  the service's listener), never delivered hours late.
- max_instances=1: a reminder never runs twice at once (a long session cannot pile up).
- Reminders that speak (voice, or a breathing or stretch session) run on the single-worker
  "speech" executor, so two voices never overlap; the others on the default pool, so a
  notification is never held up behind a two-minute session.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from calmcoach.schedule.model import Channel, Kind, Reminder, Schedule
from calmcoach.service.trigger import NextFiring, PlannerTrigger

log = logging.getLogger("calmcoach.service")

DEFAULT_EXECUTOR = "default"
SPEECH_EXECUTOR = "speech"
MANUAL_PREFIX = "now:"  # ids of one-off jobs started by `calmcoach trigger`
SESSION_KINDS = frozenset({Kind.BREATHING, Kind.STRETCH})
DEFAULT_POOL = 4

Fire = Callable[..., None]
OnWait = Callable[[float | None], None]  # the scheduler's next sleep, in seconds (None: until woken)


def executor_for(reminder: Reminder) -> str:
    """Given a reminder, return the executor it runs on: speech if it speaks at all."""
    speaks = Channel.VOICE in reminder.say or reminder.kind in SESSION_KINDS
    return SPEECH_EXECUTOR if speaks else DEFAULT_EXECUTOR


def grace_seconds(grace: timedelta) -> int:
    """Given a reminder's grace time, return APScheduler's misfire_grace_time (a positive int)."""
    return max(1, int(grace.total_seconds()))


def job_options(
    reminder: Reminder,
    schedule: Schedule,
    *,
    last_fired: datetime | None,
    next_firing: NextFiring | None = None,
) -> dict[str, Any]:
    """Given a reminder, its schedule and its last firing, return the keyword arguments of add_job."""
    return {
        "id": reminder.name,
        "name": reminder.name,
        "trigger": PlannerTrigger(
            reminder, schedule.settings, last_fired=last_fired, next_firing=next_firing
        ),
        "executor": executor_for(reminder),
        "coalesce": True,
        "misfire_grace_time": grace_seconds(reminder.grace),
        "max_instances": 1,
    }


def make_scheduler(pool_size: int = DEFAULT_POOL, on_wait: OnWait | None = None) -> Any:
    """Return a BackgroundScheduler (not started) with the default pool and the speech executor.

    It runs in UTC: every trigger answers with aware datetimes, and UTC has no DST of its own to
    confuse APScheduler's "now". Times are shown in the schedule's zone.

    `on_wait`, when given, hears how long the scheduler is about to sleep each time it has looked
    for due jobs: it sleeps on the monotonic clock, which stands still during a suspend, so the
    service arms a wall-clock timer for the same instant (see `calmcoach.service.clockwatch`).
    """
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    class Scheduler(BackgroundScheduler):  # type: ignore[misc]  # apscheduler ships no types
        def _process_jobs(self) -> float | None:
            wait: float | None = super()._process_jobs()
            if on_wait is not None:
                try:
                    on_wait(wait)
                except Exception:  # the scheduler's loop must go on whatever the hook does
                    log.exception("could not follow the scheduler's next wake-up")
            return wait

    return Scheduler(
        timezone=UTC,
        executors={
            DEFAULT_EXECUTOR: ThreadPoolExecutor(pool_size),
            SPEECH_EXECUTOR: ThreadPoolExecutor(1),
        },
        job_defaults={"coalesce": True, "max_instances": 1},
    )


class JobBook:
    """Adds, replaces and lists the reminder jobs of one scheduler."""

    def __init__(self, scheduler: Any, fire: Fire, next_firing: NextFiring | None = None) -> None:
        self.scheduler = scheduler
        self.fire = fire
        self.next_firing = next_firing
        self._manual = itertools.count(1)

    def install(
        self,
        schedule: Schedule,
        last_fired: Mapping[str, datetime],
        snoozed: Mapping[str, datetime],
        now: datetime,
        first_runs: Mapping[str, datetime] | None = None,
    ) -> None:
        """Given a schedule, replace every reminder job with jobs for its reminders.

        One-off `trigger` jobs already queued are left alone. A snooze still in the future
        becomes the job's first run time; so does a time in `first_runs` (a re-plan's).
        """
        for job in self.scheduler.get_jobs():
            if not job.id.startswith(MANUAL_PREFIX):
                job.remove()
        for reminder in schedule.reminders:
            options = job_options(
                reminder, schedule, last_fired=last_fired.get(reminder.name), next_firing=self.next_firing
            )
            until = snoozed.get(reminder.name)
            if until is not None and until > now:
                options["next_run_time"] = until
            first = (first_runs or {}).get(reminder.name)
            if first is not None:
                options["next_run_time"] = first
            self.scheduler.add_job(self.fire, args=[reminder.name], replace_existing=True, **options)

    def snooze(self, name: str, until: datetime) -> None:
        self.scheduler.modify_job(name, next_run_time=until)

    def fire_now(self, reminder: Reminder) -> None:
        """Given a reminder, run it once at once on its executor, outside its schedule."""
        self.scheduler.add_job(
            self.fire,
            args=[reminder.name],
            kwargs={"manual": True},
            id=f"{MANUAL_PREFIX}{reminder.name}:{next(self._manual)}",
            name=f"{reminder.name} (triggered)",
            executor=executor_for(reminder),
            misfire_grace_time=60,
        )

    def next_runs(self) -> dict[str, datetime | None]:
        """Return each reminder job's next run time (None when it will never fire again)."""
        return {
            job.id: job.next_run_time.astimezone(UTC) if job.next_run_time else None
            for job in self.scheduler.get_jobs()
            if not job.id.startswith(MANUAL_PREFIX)
        }
