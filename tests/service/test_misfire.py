"""Missed runs and restarts, on an injected clock, through APScheduler's own job and run code.

The service's jobs are built by `jobs.job_options` (what `calmcoach run` uses); APScheduler's
`Job._get_run_times` and `executors.base.run_job` decide what runs, with their "now" injected.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import apscheduler.executors.base as executor_base
import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.job import Job

from calmcoach.schedule.loader import load_text
from calmcoach.schedule.model import Schedule
from calmcoach.service.jobs import JobBook, job_options, make_scheduler
from calmcoach.service.trigger import PlannerTrigger, lookback_start

SCHEDULE = load_text(
    """
[settings]
timezone = "UTC"

[[reminder]]
name = "water"
kind = "hydration"
every = "45m"
grace = "10m"
""",
    "misfire.toml",
)
WATER = SCHEDULE.reminders[0]


def at(hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2024, 5, 6, hours, minutes, tzinfo=UTC)


class Clock:
    """The "now" APScheduler's executor reads, set by the test."""

    now = at("00:00")


class FakeDatetime(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return Clock.now.astimezone(tz) if tz is not None else Clock.now


@pytest.fixture(autouse=True)
def injected_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Clock]]:
    monkeypatch.setattr(executor_base, "datetime", FakeDatetime)
    yield Clock


def make_job(schedule: Schedule, last_fired: datetime | None, now: datetime, calls: list[str]) -> Job:
    options = job_options(schedule.reminders[0], schedule, last_fired=last_fired)
    options.pop("id")
    job = Job(None, id="water", func=calls.append, args=["water"], kwargs={}, **options)
    job.next_run_time = options["trigger"].get_next_fire_time(None, now)  # as add_job does
    return job


def run_due(job: Job, now: datetime) -> tuple[list[datetime], list[Any]]:
    """Do what the scheduler loop and the executor do at `now`; return the run times and events."""
    Clock.now = now
    run_times = job._get_run_times(now)
    run_times = run_times[-1:] if run_times and job.coalesce else run_times
    events = executor_base.run_job(job, "default", run_times, "calmcoach.test") if run_times else []
    return run_times, events


def test_options_are_set_on_purpose() -> None:
    options = job_options(WATER, SCHEDULE, last_fired=None)
    assert options["coalesce"] is True
    assert options["misfire_grace_time"] == 600
    assert options["max_instances"] == 1
    assert options["executor"] == "default"
    assert isinstance(options["trigger"], PlannerTrigger)


def test_a_firing_missed_while_stopped_is_delivered_once_within_grace() -> None:
    # Fired at 10:30, stopped, started again at 11:20: 11:15 is 5 minutes late, within 10.
    calls: list[str] = []
    job = make_job(SCHEDULE, at("10:30"), at("11:20"), calls)
    assert job.next_run_time == at("11:15")
    run_times, events = run_due(job, at("11:20"))
    assert run_times == [at("11:15")]
    assert calls == ["water"]
    assert [e.code for e in events] == [EVENT_JOB_EXECUTED]
    assert job.trigger.get_next_fire_time(at("11:15"), at("11:20")) == at("12:00")


def test_a_firing_missed_beyond_grace_is_skipped_after_a_restart() -> None:
    # Fired at 10:30, down until 12:10: 11:15 and 12:00 are both too late (10 min is the limit).
    calls: list[str] = []
    job = make_job(SCHEDULE, at("10:30"), at("12:10"), calls)
    assert job.next_run_time == at("12:45")
    assert run_due(job, at("12:10")) == ([], [])
    assert calls == []


def test_a_restart_does_not_fire_again_what_already_fired() -> None:
    calls: list[str] = []
    job = make_job(SCHEDULE, at("10:30"), at("10:30") + timedelta(seconds=20), calls)
    assert job.next_run_time == at("11:15")
    assert run_due(job, at("10:31")) == ([], [])


def test_a_reminder_never_fired_does_not_catch_up() -> None:
    calls: list[str] = []
    job = make_job(SCHEDULE, None, at("10:50"), calls)
    assert job.next_run_time == at("11:15")


def test_after_a_suspend_a_backlog_is_one_delivery_within_grace() -> None:
    calls: list[str] = []
    job = make_job(SCHEDULE, at("09:45"), at("09:50"), calls)
    assert job.next_run_time == at("10:30")
    # Suspended from 10:00 to 11:20: 10:30 and 11:15 were due; coalesced into 11:15, 5 min late.
    run_times, _ = run_due(job, at("11:20"))
    assert run_times == [at("11:15")]
    assert calls == ["water"]


def test_after_a_long_suspend_the_backlog_is_skipped_and_reported() -> None:
    calls: list[str] = []
    job = make_job(SCHEDULE, at("09:45"), at("09:50"), calls)
    # Suspended until 11:40: the latest due firing (11:15) is 25 minutes late.
    run_times, events = run_due(job, at("11:40"))
    assert run_times == [at("11:15")]
    assert calls == []
    assert [(e.code, e.scheduled_run_time) for e in events] == [(EVENT_JOB_MISSED, at("11:15"))]


@pytest.mark.parametrize(
    ("last", "now", "grace", "expected"),
    [
        pytest.param(None, "10:00", 10, "10:00", id="never-fired"),
        pytest.param("09:55", "10:00", 10, "09:55", id="recent"),
        pytest.param("08:00", "10:00", 10, "09:50", id="long-ago"),
    ],
)
def test_lookback_start(last: str | None, now: str, grace: int, expected: str) -> None:
    assert lookback_start(at(last) if last else None, at(now), timedelta(minutes=grace)) == at(expected)


def test_trigger_refuses_naive_times() -> None:
    trigger = PlannerTrigger(WATER, SCHEDULE.settings)
    with pytest.raises(ValueError, match="timezone-aware"):
        trigger.get_next_fire_time(None, datetime(2024, 5, 6, 10, 0))


def test_trigger_agrees_with_the_planner_across_a_day() -> None:
    from calmcoach.planner import agenda

    trigger = PlannerTrigger(WATER, SCHEDULE.settings)
    firings: list[datetime] = []
    moment = trigger.get_next_fire_time(None, at("00:00"))
    while moment is not None and moment < at("23:59"):
        firings.append(moment)
        moment = trigger.get_next_fire_time(moment, moment)
    assert firings == [f.at for f in agenda(SCHEDULE, at("00:00"), at("23:59"))]


def test_job_book_installs_snoozes_and_fires_now() -> None:
    scheduler = make_scheduler()
    scheduler.start(paused=True)
    try:
        book = JobBook(scheduler, lambda name, manual=False: None)
        now = datetime.now(UTC)
        until = now + timedelta(hours=3)
        book.install(SCHEDULE, {}, {"water": until}, now)
        assert book.next_runs() == {"water": until}
        book.install(SCHEDULE, {}, {}, now)  # installing again replaces, never duplicates
        assert list(book.next_runs()) == ["water"]
        book.fire_now(WATER)
        assert sorted(j.id for j in scheduler.get_jobs()) == ["now:water:1", "water"]
        book.install(SCHEDULE, {}, {}, now)  # a queued trigger survives a reload
        assert "now:water:1" in [j.id for j in scheduler.get_jobs()]
    finally:
        scheduler.shutdown(wait=False)
