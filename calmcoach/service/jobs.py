"""APScheduler jobs built from the validated schedule: one job per reminder, on purpose-set options.

- Each job's trigger is a `PlannerTrigger`, so the service fires exactly what `calmcoach agenda` lists.
- coalesce=True: after a suspend or a stop, a backlog of missed firings becomes one run.
- misfire_grace_time = the reminder's `grace`: a firing later than that is skipped (and logged by
  the service's listener), never delivered hours late.
- max_instances=1: a reminder never runs twice at once (a long session cannot pile up).
- Reminders that speak (voice, or a breathing or stretch session) run on the single-worker
  "speech" executor, so two voices never overlap; the others on the default pool, so a
  notification is never held up behind a two-minute session.
- Warm-up: the service loads an output (plyer's dbus backend and the bus connection; espeak-ng)
  only for the first reminder that needs it, to keep the idle service small. Loading it at the
  firing's instant made the first notification of a run 60-110 ms late, so `WarmUp` loads
  each output `WARM_LEAD` before the first firing that needs it, once: the scheduler's loop
  wakes for it (`look_ahead`) and runs it as a one-off job on that output's executor.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from calmcoach.schedule.model import Channel, Kind, Reminder, Schedule
from calmcoach.service.trigger import NextFiring, PlannerTrigger

log = logging.getLogger("calmcoach.service")

DEFAULT_EXECUTOR = "default"
SPEECH_EXECUTOR = "speech"
MANUAL_PREFIX = "now:"  # ids of one-off jobs started by `calmcoach trigger`
WARM_PREFIX = "warm:"  # ids of the one-off jobs that load an output ahead of its first use
# How long before the first firing that needs an output it is loaded: plyer's backend and the
# bus take ~0.1 s, the speech engine 20 ms warm and a few hundred ms from a cold disk or on a
# loaded machine; loading it much earlier would only keep it in memory longer before it is used.
WARM_LEAD = timedelta(seconds=8)
SESSION_KINDS = frozenset({Kind.BREATHING, Kind.STRETCH})
DEFAULT_POOL = 4

Fire = Callable[..., None]
OnWait = Callable[[float | None], None]  # the scheduler's next sleep, in seconds (None: until woken)
LookAhead = Callable[[float | None], float | None]  # given the next sleep, return it (maybe shorter)


def executor_for(reminder: Reminder) -> str:
    """Given a reminder, return the executor it runs on: speech if it speaks at all."""
    speaks = Channel.VOICE in reminder.say or reminder.kind in SESSION_KINDS
    return SPEECH_EXECUTOR if speaks else DEFAULT_EXECUTOR


def outputs_needed(reminder: Reminder) -> frozenset[Channel]:
    """Given a reminder, return the outputs its firing loads: a notification, the voice, or both.

    A breathing or stretch session speaks whatever its `say` names; the terminal needs nothing.
    """
    needed = {channel for channel in reminder.say if channel is not Channel.TERMINAL}
    if reminder.kind in SESSION_KINDS:
        needed.add(Channel.VOICE)
    return frozenset(needed)


def warm_executor(channel: Channel) -> str:
    """Given an output, return the executor its warm-up runs on (the voice's on the speech thread)."""
    return SPEECH_EXECUTOR if channel is Channel.VOICE else DEFAULT_EXECUTOR


@dataclass
class WarmUp:
    """When to load each output ahead of the first firing that needs it; each only once.

    Pure: `plan` is given the jobs' next run times and "now", and says which outputs to load now
    and when to look again. Once an output has been started it stays loaded for good (plyer and
    dbus-python keep their connection, espeak-ng its engine thread), so it is never planned again.
    """

    lead: timedelta = WARM_LEAD
    started: set[Channel] = field(default_factory=set)

    def plan(
        self,
        runs: Mapping[str, datetime | None],
        needs: Mapping[str, frozenset[Channel]],
        now: datetime,
    ) -> tuple[list[Channel], datetime | None]:
        """Given each job's next run and the outputs it needs, return the outputs to load now (now
        marked started) and the instant to look again (None: nothing is left to plan for)."""
        first: dict[Channel, datetime] = {}
        for name, at in runs.items():
            if at is None:
                continue
            for channel in needs.get(name, frozenset()) - self.started:
                if channel not in first or at < first[channel]:
                    first[channel] = at
        due = sorted((c for c, at in first.items() if at - self.lead <= now), key=str)
        self.started.update(due)
        later = [at - self.lead for c, at in first.items() if c not in due]
        return due, min(later) if later else None


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


def make_scheduler(
    pool_size: int = DEFAULT_POOL, on_wait: OnWait | None = None, look_ahead: LookAhead | None = None
) -> Any:
    """Return a BackgroundScheduler (not started) with the default pool and the speech executor.

    It runs in UTC: every trigger answers with aware datetimes, and UTC has no DST of its own to
    confuse APScheduler's "now". Times are shown in the schedule's zone.

    `on_wait`, when given, hears how long the scheduler is about to sleep each time it has looked
    for due jobs: it sleeps on the monotonic clock, which stands still during a suspend, so the
    service arms a wall-clock timer for the same instant (see `calmcoach.service.clockwatch`).
    `look_ahead`, when given, sees that sleep first and may shorten it (`JobBook.look_ahead`: to
    wake for a warm-up); `on_wait` then hears the shortened one.
    """
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.base import STATE_RUNNING

    class Scheduler(BackgroundScheduler):  # type: ignore[misc]  # apscheduler ships no types
        def _process_jobs(self) -> float | None:
            wait: float | None = super()._process_jobs()
            if look_ahead is not None and self.state == STATE_RUNNING:  # not while paused
                try:
                    wait = look_ahead(wait)
                except Exception:  # a warm-up is an optimisation: never let it stop the loop
                    log.exception("could not plan the outputs' warm-up")
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

    def __init__(
        self,
        scheduler: Any,
        fire: Fire,
        next_firing: NextFiring | None = None,
        *,
        warm: Mapping[Channel, Callable[[], object]] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.fire = fire
        self.next_firing = next_firing
        self.warm = dict(warm or {})  # what loads each output; outputs left out are never warmed
        self.warm_up = WarmUp()
        # The clock APScheduler itself reads, so that "now" and the jobs' next run times agree.
        self.now = now or (lambda: datetime.now(UTC))
        self._needs: dict[str, frozenset[Channel]] = {}
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
            if not job.id.startswith((MANUAL_PREFIX, WARM_PREFIX)):
                job.remove()
        self._needs = {r.name: outputs_needed(r) for r in schedule.reminders}
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
            if not job.id.startswith((MANUAL_PREFIX, WARM_PREFIX))
        }

    def look_ahead(self, wait: float | None) -> float | None:
        """Given the scheduler's next sleep (s), start the warm-ups now due; return the sleep,
        shortened to end at the next warm-up's instant (the scheduler's loop calls this)."""
        needs = {name: outputs.intersection(self.warm) for name, outputs in self._needs.items()}
        if all(outputs <= self.warm_up.started for outputs in needs.values()):  # all warm already
            return wait
        now = self.now()
        due, later = self.warm_up.plan(self.next_runs(), needs, now)
        for channel in due:
            self.start_warm_up(channel)
        if later is None:
            return wait
        until = max(0.0, (later - now).total_seconds())
        return until if wait is None else min(wait, until)

    def start_warm_up(self, channel: Channel) -> None:
        """Given an output, load it now, as a one-off job on its executor."""
        log.debug("loading %s ahead of its first reminder", channel)
        self.scheduler.add_job(
            self.warm[channel],
            id=f"{WARM_PREFIX}{channel}",
            name=f"warm-up of {channel}",
            executor=warm_executor(channel),
            misfire_grace_time=None,  # behind a session on the speech thread: late is still useful
            replace_existing=True,
        )
