"""Clock jumps, on an injected clock, through the service's jobs and APScheduler's own run code.

A small stand-in for BackgroundScheduler's loop (`Loop`) does what `_process_jobs` does at each
wake-up: ask the job for its due run times, coalesce them, run them through
`executors.base.run_job` (which applies the grace time, reading the injected "now"), and ask the
trigger for the next run after the last one. The loop wakes at each job's next run time and
every 5 s, on a wall clock the test moves: forward (suspend and resume), backward (the clock
set back, after which the service re-plans as `Service.look_at_clock` does, through
`calmcoach.service.replan`), across DST, and with the schedule reloaded in another zone.
tests/service/test_clock_changes.py shows the service itself noticing the jumps and the zone.

tests/service/test_misfire.py shows single misfires and restarts; tests/planner/test_dst.py shows
the planner's answers across DST. Here whole days run through the scheduler with the jumps in.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import apscheduler.executors.base as executor_base
import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.job import Job

from calmcoach.planner import next_firing
from calmcoach.schedule.loader import load_text
from calmcoach.schedule.model import Schedule
from calmcoach.service.jobs import job_options
from calmcoach.service.replan import Anchors, replan

TICK = timedelta(seconds=5)
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


class Now:
    value = datetime(2026, 1, 1, tzinfo=UTC)


class FakeDatetime(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return Now.value.astimezone(tz) if tz is not None else Now.value


@pytest.fixture(autouse=True)
def injected_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(executor_base, "datetime", FakeDatetime)
    yield


def schedule(zone: str, body: str) -> Schedule:
    return load_text(f'[settings]\ntimezone = "{zone}"\n{body}', "jumps.toml")


class Loop:
    """The scheduler's loop over the service's jobs, on a wall clock the test sets."""

    def __init__(self, plan: Schedule, now: datetime, last_fired: dict[str, datetime] | None = None) -> None:
        self.fired: list[tuple[str, datetime]] = []  # (reminder, scheduled instant) delivered
        self.real: list[tuple[str, datetime]] = []  # the same, on the real clock (not set back)
        self.missed: list[tuple[str, datetime]] = []
        self.jobs: list[Job] = []
        self.anchors = Anchors()  # the service's: `every` reminders re-planned count from these
        self.offset = timedelta(0)  # the wall clock minus the real one: changed by set_back
        self.plan = plan
        self.install(plan, now, last_fired or {})

    def install(self, plan: Schedule, now: datetime, last_fired: dict[str, datetime]) -> None:
        """What the service does at start and on reload: one job per reminder, from its last firing."""
        self.jobs = []
        self.plan = plan
        for reminder in plan.reminders:
            options = job_options(
                reminder,
                plan,
                last_fired=last_fired.get(reminder.name),
                next_firing=self.anchors.next_firing,
            )
            job = Job(None, func=lambda: None, args=[], kwargs={}, **options)
            job.next_run_time = options["trigger"].get_next_fire_time(None, now)
            self.jobs.append(job)

    def last_fired(self) -> dict[str, datetime]:
        return dict(self.fired)

    def set_back(self, by: timedelta, at: datetime) -> datetime:
        """At wall time `at`, set the clock back by `by` and re-plan as the service does; return now."""
        now = at - by
        self.offset -= by
        Now.value = now
        runs = {job.id: job.next_run_time for job in self.jobs}
        moved = replan(self.plan, runs, {}, now, shift=-by, next_firing=next_firing)
        self.anchors.set(moved.anchors)
        for job in self.jobs:
            if job.id in moved.next_runs:
                job.next_run_time = moved.next_runs[job.id]
        return now

    def wake(self, now: datetime) -> None:
        Now.value = now
        for job in self.jobs:
            if job.next_run_time is None or job.next_run_time > now:
                continue
            run_times = job._get_run_times(now)[-1:]  # coalesce=True
            for event in executor_base.run_job(job, "default", run_times, "calmcoach.test"):
                kind = self.fired if event.code == EVENT_JOB_EXECUTED else self.missed
                assert event.code in {EVENT_JOB_EXECUTED, EVENT_JOB_MISSED}
                kind.append((job.id, event.scheduled_run_time.astimezone(UTC)))
                if event.code == EVENT_JOB_EXECUTED:
                    self.real.append((job.id, event.scheduled_run_time.astimezone(UTC) - self.offset))
            job.next_run_time = job.trigger.get_next_fire_time(run_times[-1], now) if run_times else None

    def run(self, start: datetime, end: datetime) -> None:
        """Let the wall clock run from `start` to `end`, waking as the real loop would."""
        now = start
        while now < end:
            self.wake(now)
            due = [j.next_run_time for j in self.jobs if j.next_run_time is not None]
            now = min([now + TICK, *[d for d in due if d > now]])
        self.wake(end)

    def count(self, name: str) -> int:
        return sum(1 for n, _ in self.fired if n == name)


OFFICE = """
[[reminder]]
name = "tip"
kind = "tip"
at = "10:30"

[[reminder]]
name = "water"
kind = "hydration"
every = "45m"
between = "09:00-18:00"
"""


def local(zone: ZoneInfo, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


def assert_no_duplicates(loop: Loop) -> None:
    assert len(set(loop.real)) == len(loop.real), loop.real
    for name in {n for n, _ in loop.real}:
        times = [at for n, at in loop.real if n == name]
        assert times == sorted(times), f"{name} went back in (real) time: {times}"


def test_suspend_and_resume_gives_one_late_delivery_and_no_burst() -> None:
    plan = schedule("Europe/Berlin", OFFICE)
    start = local(BERLIN, "2026-03-02 08:00")
    loop = Loop(plan, start)
    loop.run(start, local(BERLIN, "2026-03-02 11:00"))  # tip at 10:30; water at 09:45 and 10:30
    assert (loop.count("tip"), loop.count("water")) == (1, 2)
    # The lid closes at 11:00 and opens at 14:05: water's 11:15 ... 13:30 were due. They coalesce
    # into 13:30, 35 minutes late, beyond the 10 minutes of grace: reported missed once, not
    # delivered four times; the series goes on at 14:15.
    loop.run(local(BERLIN, "2026-03-02 14:05"), local(BERLIN, "2026-03-03 18:00"))
    assert_no_duplicates(loop)
    water_day1 = [at for n, at in loop.fired if n == "water" and at < local(BERLIN, "2026-03-03 00:00")]
    assert local(BERLIN, "2026-03-02 14:15") in water_day1
    assert len(loop.missed) == 1 and loop.missed[0][0] == "water"
    assert loop.count("tip") == 2  # one a day, the next day's too
    # A resume within the grace time delivers the missed firing once, late.
    loop2 = Loop(plan, start)
    loop2.run(start, local(BERLIN, "2026-03-02 10:00"))
    loop2.run(local(BERLIN, "2026-03-02 10:38"), local(BERLIN, "2026-03-02 10:40"))
    assert [(n, at) for n, at in loop2.fired if n == "tip"] == [("tip", local(BERLIN, "2026-03-02 10:30"))]


def test_the_clock_set_back_fires_nothing_twice_and_misses_no_daily() -> None:
    plan = schedule("Europe/Berlin", OFFICE)
    start = local(BERLIN, "2026-03-02 08:00")
    loop = Loop(plan, start)
    loop.run(start, local(BERLIN, "2026-03-02 10:35"))
    assert loop.count("tip") == 1
    # Set back 50 minutes (a wrong NTP answer, a hand-set clock): 09:45 and 10:30 come round
    # again on the wall clock, and the service re-plans.
    now = loop.set_back(timedelta(minutes=50), local(BERLIN, "2026-03-02 10:35"))
    loop.run(now, local(BERLIN, "2026-03-04 11:00"))
    assert_no_duplicates(loop)
    assert loop.count("tip") == 3  # Monday, Tuesday, Wednesday: once each, 10:30 not twice
    assert loop.missed == []
    water = [at for n, at in loop.fired if n == "water"]
    # 40 real minutes were left until 11:15: water comes at 10:25 on the clock set back, not
    # at 11:15 (an hour and 35 minutes after the last one), and steps on from there.
    expected = ("09:45", "10:30", "10:25", "11:10", "11:55")
    assert water[:5] == [local(BERLIN, f"2026-03-02 {t}") for t in expected]
    monday = [at for n, at in loop.real if n == "water" and at < local(BERLIN, "2026-03-03 00:00")]
    assert {b - a for a, b in itertools.pairwise(monday)} == {timedelta(minutes=45)}  # real time
    last = max(at for at in water if at < local(BERLIN, "2026-03-03 00:00")).astimezone(BERLIN)
    assert f"{last:%H:%M}" == "17:55"  # inside the window to its end: 09:40 + 11 x 45 minutes


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        pytest.param("2026-03-29", 23, id="spring-forward"),
        pytest.param("2026-10-25", 25, id="fall-back"),
    ],
)
def test_dst_changes_give_each_daily_once_and_every_steps_in_real_time(day: str, hours: int) -> None:
    plan = schedule(
        "Europe/Berlin",
        """
[[reminder]]
name = "night"
kind = "tip"
at = "02:30"

[[reminder]]
name = "tip"
kind = "tip"
at = "10:30"

[[reminder]]
name = "water"
kind = "hydration"
every = "30m"
""",
    )
    start = local(BERLIN, f"{day} 00:00") - timedelta(minutes=1)
    end = local(BERLIN, f"{day} 00:00") + timedelta(hours=hours) - timedelta(minutes=1)
    assert end - start == timedelta(hours=hours)  # the day really is 23 or 25 hours long
    loop = Loop(plan, start)
    loop.run(start, end)
    assert_no_duplicates(loop)
    assert (loop.count("night"), loop.count("tip")) == (1, 1)
    assert [at.astimezone(BERLIN).strftime("%H:%M") for n, at in loop.fired if n == "tip"] == ["10:30"]
    water = [at for n, at in loop.fired if n == "water"]
    assert len(water) == hours * 2 - 1  # 00:30 to 23:30 local: steps anchored on the day's start
    assert {b - a for a, b in itertools.pairwise(water)} == {timedelta(minutes=30)}
    assert loop.missed == []


def test_a_change_of_time_zone_neither_repeats_nor_drops_the_daily_reminder() -> None:
    daily = '\n[[reminder]]\nname = "tip"\nkind = "tip"\nat = "10:30"\n'
    start = local(BERLIN, "2026-03-02 08:00")
    loop = Loop(schedule("Europe/Berlin", daily), start)
    loop.run(start, local(BERLIN, "2026-03-02 12:00"))
    assert loop.fired == [("tip", local(BERLIN, "2026-03-02 10:30"))]
    # Flying west: at 12:00 in Berlin (06:00 in New York) the schedule is reloaded in New York's
    # zone. No catch-up burst; the next one is 10:30 in New York that day.
    moved = local(BERLIN, "2026-03-02 12:00")
    loop.install(schedule("America/New_York", daily), moved, loop.last_fired())
    loop.run(moved, local(NEW_YORK, "2026-03-03 12:00"))
    assert loop.fired[1:] == [
        ("tip", local(NEW_YORK, "2026-03-02 10:30")),
        ("tip", local(NEW_YORK, "2026-03-03 10:30")),
    ]
    # Flying east: reloaded in Berlin at 17:00 there, after its 10:30: nothing until tomorrow's.
    back = local(BERLIN, "2026-03-04 17:00")
    loop.run(local(NEW_YORK, "2026-03-03 12:00"), back)
    count = len(loop.fired)
    loop.install(schedule("Europe/Berlin", daily), back, loop.last_fired())
    loop.run(back, local(BERLIN, "2026-03-05 11:00"))
    assert loop.fired[count:] == [("tip", local(BERLIN, "2026-03-05 10:30"))]
    assert_no_duplicates(loop)
