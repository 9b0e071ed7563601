"""The outputs are loaded a few seconds before the first reminder that needs each, and only once.

`WarmUp.plan` is pure; `JobBook.look_ahead` is driven here with an injected "now" over a real
APScheduler scheduler (started paused, so nothing runs on its own): it shortens the scheduler's
sleep to wake for the warm-up, then adds the warm-up as a one-off job on the output's executor.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from calmcoach.schedule.loader import load_text
from calmcoach.schedule.model import Channel
from calmcoach.service.jobs import (
    DEFAULT_EXECUTOR,
    SPEECH_EXECUTOR,
    WARM_LEAD,
    JobBook,
    WarmUp,
    make_scheduler,
    outputs_needed,
)

TEXT = """
[settings]
timezone = "UTC"

[[reminder]]
name = "water"
kind = "hydration"
every = "45m"
say = ["notification"]

[[reminder]]
name = "talk"
kind = "tip"
{talk}
say = ["voice", "terminal"]

[[reminder]]
name = "plain"
kind = "tip"
every = "10m"
say = ["terminal"]
"""
# talk: every two hours for the pure tests; for the scheduler's, at a time of day 6 hours from now
# (after water's first firing, which is within 45 minutes, whatever the time).
SCHEDULE = load_text(TEXT.format(talk='every = "2h"'), "warm.toml")
T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
NEEDS = {r.name: outputs_needed(r) for r in SCHEDULE.reminders}


def test_each_reminder_needs_the_outputs_it_delivers_on() -> None:
    assert {
        "water": {Channel.NOTIFICATION},
        "talk": {Channel.VOICE},
        "plain": set(),
    } == NEEDS


def test_a_breathing_or_stretch_session_needs_the_voice_whatever_announces_it() -> None:
    sessions = load_text(
        """
[[reminder]]
name = "breathe"
kind = "breathing"
every = "2h"
say = ["notification"]

[[reminder]]
name = "stretch"
kind = "stretch"
every = "1h"
say = ["terminal"]
""",
        "sessions.toml",
    )
    needs = [outputs_needed(r) for r in sessions.reminders]
    assert needs == [{Channel.NOTIFICATION, Channel.VOICE}, {Channel.VOICE}]


def test_plan_warms_each_output_lead_before_its_first_firing_and_once() -> None:
    warm = WarmUp()
    runs: dict[str, datetime | None] = {
        "water": T0 + timedelta(minutes=45),
        "talk": T0 + timedelta(hours=2),
        "plain": T0 + timedelta(minutes=10),
    }
    assert warm.plan(runs, NEEDS, T0) == ([], T0 + timedelta(minutes=45) - WARM_LEAD)
    just_before = T0 + timedelta(minutes=45) - WARM_LEAD - timedelta(microseconds=1)
    assert warm.plan(runs, NEEDS, just_before)[0] == []
    at_lead = T0 + timedelta(minutes=45) - WARM_LEAD
    assert warm.plan(runs, NEEDS, at_lead) == ([Channel.NOTIFICATION], T0 + timedelta(hours=2) - WARM_LEAD)
    # Once started, never again: not at the firing, nor at the next one.
    runs["water"] = T0 + timedelta(minutes=90)
    assert warm.plan(runs, NEEDS, T0 + timedelta(minutes=89, seconds=55))[0] == []
    assert warm.plan(runs, NEEDS, T0 + timedelta(hours=2)) == ([Channel.VOICE], None)
    assert warm.plan(runs, NEEDS, T0 + timedelta(hours=4)) == ([], None)


def test_plan_follows_a_firing_moved_earlier_and_ignores_reminders_that_never_fire() -> None:
    warm = WarmUp()
    runs: dict[str, datetime | None] = {"water": T0 + timedelta(hours=1), "talk": None}
    assert warm.plan(runs, NEEDS, T0) == ([], T0 + timedelta(hours=1) - WARM_LEAD)
    runs["water"] = T0 + timedelta(minutes=5)  # a re-plan (a return, the clock set back) moved it
    assert warm.plan(runs, NEEDS, T0) == ([], T0 + timedelta(minutes=5) - WARM_LEAD)
    # A firing already due (the service started just before it): warmed at once.
    assert warm.plan(runs, NEEDS, T0 + timedelta(minutes=5)) == ([Channel.NOTIFICATION], None)


class Now:
    """The "now" the job book reads, set by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def scheduler() -> Iterator[Any]:
    made = make_scheduler()
    made.start(paused=True)  # jobs get their next run times; nothing runs, the loop stays asleep
    try:
        yield made
    finally:
        made.shutdown(wait=False)


def warm_jobs(scheduler: Any) -> dict[str, tuple[str, Any]]:
    return {j.id: (j.executor, j.func) for j in scheduler.get_jobs() if j.id.startswith("warm:")}


def test_the_scheduler_wakes_for_the_warm_up_before_the_first_firing_and_warms_once(scheduler: Any) -> None:
    def load_notifications() -> None: ...
    def load_voice() -> None: ...

    start = datetime.now(UTC)
    schedule = load_text(TEXT.format(talk=f'at = ["{start + timedelta(hours=6):%H:%M}"]'), "warm.toml")
    now = Now(start)
    book = JobBook(
        scheduler,
        lambda name, manual=False: None,
        warm={Channel.NOTIFICATION: load_notifications, Channel.VOICE: load_voice},
        now=now,
    )
    book.install(schedule, {}, {}, start)
    firsts = book.next_runs()
    water, talk = firsts["water"], firsts["talk"]
    assert water is not None and talk is not None and water < talk

    # The scheduler would sleep an hour: it is woken at water's first firing less the lead instead.
    wait = book.look_ahead(3600.0)
    assert wait is not None
    assert wait == pytest.approx((water - WARM_LEAD - start).total_seconds())
    assert warm_jobs(scheduler) == {}

    now.at = start + timedelta(seconds=wait)  # the scheduler wakes then
    wait = book.look_ahead(60.0)
    assert warm_jobs(scheduler) == {"warm:notification": (DEFAULT_EXECUTOR, load_notifications)}
    assert now.at < water  # ahead of the firing that needs it, by the lead
    assert (water - now.at) == WARM_LEAD
    assert wait == 60.0  # the voice's turn is further away than the scheduler's own wake-up

    # Later wake-ups, up to and past water's firing, add no second warm-up of notifications.
    scheduler.remove_job("warm:notification")  # as when it has run
    for seconds in (1, 8, 20, 45 * 60):  # all over 4 hours before talk's voice needs warming
        now.at = water - WARM_LEAD + timedelta(seconds=seconds)
        book.look_ahead(3600.0)
    assert warm_jobs(scheduler) == {}

    now.at = talk - WARM_LEAD
    assert book.look_ahead(3600.0) == 3600.0
    assert warm_jobs(scheduler) == {"warm:voice": (SPEECH_EXECUTOR, load_voice)}

    # Everything is warm: the sleep is left alone and nothing more is added, reload or not.
    scheduler.remove_job("warm:voice")
    book.install(schedule, {}, {}, now.at)
    now.at = talk + timedelta(hours=5)
    assert book.look_ahead(3600.0) == 3600.0
    assert book.look_ahead(None) is None
    assert warm_jobs(scheduler) == {}


def test_a_reload_keeps_a_pending_warm_up_and_its_job_is_not_a_reminder(scheduler: Any) -> None:
    start = datetime.now(UTC)
    now = Now(start)
    book = JobBook(
        scheduler, lambda name, manual=False: None, warm={Channel.NOTIFICATION: lambda: None}, now=now
    )
    book.install(SCHEDULE, {}, {}, start)
    water = book.next_runs()["water"]
    assert water is not None
    now.at = water - WARM_LEAD
    book.look_ahead(None)
    assert list(warm_jobs(scheduler)) == ["warm:notification"]
    book.install(SCHEDULE, {}, {}, now.at)  # a reload replaces the reminders' jobs only
    assert list(warm_jobs(scheduler)) == ["warm:notification"]
    assert set(book.next_runs()) == {"water", "talk", "plain"}


def test_outputs_without_a_warm_up_are_never_planned(scheduler: Any) -> None:
    start = datetime.now(UTC)
    now = Now(start)
    book = JobBook(scheduler, lambda name, manual=False: None, now=now)  # the test fakes' outputs
    book.install(SCHEDULE, {}, {}, start)
    now.at = start + timedelta(hours=3)
    assert book.look_ahead(10.0) == 10.0
    assert warm_jobs(scheduler) == {}


def test_the_scheduler_loop_sleeps_what_look_ahead_says() -> None:
    heard: list[float | None] = []
    seen: list[float | None] = []

    def look_ahead(wait: float | None) -> float | None:
        seen.append(wait)
        return 5.0

    made = make_scheduler(on_wait=heard.append, look_ahead=look_ahead)
    made.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=30)
        while len(heard) < 1 and datetime.now(UTC) < deadline:  # the loop's first pass, at start
            time.sleep(0.01)
        running = list(heard)
    finally:
        made.shutdown(wait=False)  # its last pass, stopped, no longer looks ahead
    assert seen[0] is None  # no job: the scheduler alone would sleep until woken
    assert running[0] == 5.0  # it sleeps what look_ahead said, and the wall timer hears that too
