"""The pure presence policy: observations at chosen instants, no clock read, no desktop."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from calmcoach.outputs import Message
from calmcoach.planner import next_firing
from calmcoach.presence.policy import (
    Action,
    Held,
    Observation,
    Return,
    State,
    Tracker,
    Waiting,
    combine,
    counts_as_break,
    decide,
    restart_times,
)
from calmcoach.schedule.model import (
    At,
    Channel,
    Every,
    Kind,
    Reminder,
    Schedule,
    Settings,
    Source,
    TimeWindow,
)

UTC = ZoneInfo("UTC")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
SETTINGS = Settings(timezone=UTC, idle_after=timedelta(minutes=5))
SOURCE = Source(Path("s.toml"), 1, 1)


def reminder(
    name: str = "water", *, every: str | None = "45m", kind: Kind = Kind.HYDRATION, **extra: object
) -> Reminder:
    trigger = Every(timedelta(minutes=int(every[:-1]))) if every else At((T0.time(),))
    return Reminder(name=name, kind=kind, trigger=trigger, source=SOURCE, **extra)  # type: ignore[arg-type]


def seen(minutes: float = 0, **state: Any) -> Observation:
    return Observation(at=T0 + timedelta(minutes=minutes), **state)


@pytest.mark.parametrize(
    ("observation", "state"),
    [
        pytest.param(seen(idle=timedelta(minutes=1)), State.HERE, id="active"),
        pytest.param(seen(idle=timedelta(minutes=5)), State.AWAY, id="idle-at-threshold"),
        pytest.param(seen(locked=True, idle=timedelta(0)), State.LOCKED, id="locked"),
        pytest.param(seen(asleep=True, locked=True), State.ASLEEP, id="asleep-wins"),
        pytest.param(seen(dnd=True), State.BUSY, id="dnd"),
        pytest.param(seen(fullscreen=True), State.BUSY, id="fullscreen"),
        pytest.param(seen(dnd=True, idle=timedelta(hours=1)), State.AWAY, id="away-beats-busy"),
        pytest.param(seen(), State.HERE, id="nothing-known"),
    ],
)
def test_state_of_an_observation(observation: Observation, state: State) -> None:
    assert observation.state(timedelta(minutes=5)) is state


@pytest.mark.parametrize("absent", [{"idle": timedelta(minutes=9)}, {"locked": True}, {"asleep": True}])
def test_nothing_fires_while_away_locked_or_asleep(absent: dict[str, Any]) -> None:
    every = decide(reminder(), SETTINGS, seen(**absent), T0)
    assert every.action is Action.SKIP
    at = decide(reminder("cutoff", every=None, kind=Kind.CAFFEINE), SETTINGS, seen(**absent), T0)
    assert at.action is Action.HOLD
    assert at.until == T0 + timedelta(minutes=10)  # the reminder's grace time


def test_a_person_who_is_here_gets_it_and_a_trigger_always_comes() -> None:
    assert decide(reminder(), SETTINGS, seen(idle=timedelta(seconds=3)), T0).action is Action.DELIVER
    assert decide(reminder(), SETTINGS, seen(locked=True), T0, manual=True).action is Action.DELIVER


def test_dnd_defers_up_to_the_hold_limit_unless_not_respected() -> None:
    waits = decide(reminder(hold_limit=timedelta(minutes=20)), SETTINGS, seen(dnd=True), T0)
    assert (waits.action, waits.reason, waits.until) == (
        Action.DEFER,
        "do not disturb",
        T0 + timedelta(minutes=20),
    )
    full = decide(reminder(), SETTINGS, seen(fullscreen=True), T0)
    assert (full.action, full.reason) == (Action.DEFER, "full screen")
    assert decide(reminder(respect_dnd=False), SETTINGS, seen(dnd=True), T0).action is Action.DELIVER
    ignoring = Settings(timezone=UTC, respect_dnd=False)
    assert decide(reminder(), ignoring, seen(dnd=True), T0).action is Action.DELIVER
    assert decide(reminder(respect_dnd=True), ignoring, seen(dnd=True), T0).action is Action.DEFER


def held(
    name: str, minutes: float, limit: float = 30, channels: tuple[Channel, ...] = (Channel.NOTIFICATION,)
) -> Held:
    since = T0 + timedelta(minutes=minutes)
    message = Message(f"{name} title", f"{name} body", f"{name} speech")
    return Held(name, Kind.HYDRATION, message, channels, since, since + timedelta(minutes=limit))


def test_what_waited_during_dnd_comes_as_one_when_it_ends() -> None:
    waiting = Waiting()
    waiting.add(held("water", 0))
    waiting.add(held("tip", 5, channels=(Channel.VOICE,)))
    waiting.add(held("water", 10))  # the newest water replaces the older: no pile
    assert waiting.release(State.BUSY, T0 + timedelta(minutes=11)) == ([], [])
    ready, expired = waiting.release(State.HERE, T0 + timedelta(minutes=12))
    assert expired == []
    assert [h.name for h in ready] == ["tip", "water"]
    assert ready[1].since == T0 + timedelta(minutes=10)
    message, channels = combine(ready)
    assert message.title == "2 reminders while you were busy"
    assert message.body == "tip title: tip body\nwater title: water body"
    assert channels == (Channel.VOICE, Channel.NOTIFICATION)
    assert len(waiting) == 0
    single, _ = combine(ready[:1])
    assert single == ready[0].message


def test_a_reminder_that_waits_past_its_hold_limit_is_dropped() -> None:
    waiting = Waiting()
    waiting.add(held("water", 0, limit=20))
    waiting.add(held("tip", 0, limit=60))
    ready, expired = waiting.release(State.BUSY, T0 + timedelta(minutes=21))
    assert (ready, [h.name for h in expired]) == ([], ["water"])
    assert waiting.names() == ["tip"]
    with pytest.raises(ValueError, match="nothing"):
        combine([])


def test_the_tracker_notices_a_return_from_the_first_input() -> None:
    tracker = Tracker(timedelta(minutes=5))
    assert tracker.observe(seen(0, idle=timedelta(minutes=1))) is None
    assert tracker.observe(seen(10, idle=timedelta(minutes=8))) is None
    assert tracker.state is State.AWAY
    assert tracker.away_since == T0 + timedelta(minutes=2)  # the last input, not when it was seen
    assert tracker.observe(seen(30, idle=timedelta(minutes=28))) is None
    back = tracker.observe(seen(41, idle=timedelta(seconds=30)))
    assert back == Return(T0 + timedelta(minutes=2), T0 + timedelta(minutes=40, seconds=30), State.AWAY)
    assert back is not None and back.absence == timedelta(minutes=38, seconds=30)
    assert tracker.observe(seen(42, idle=timedelta(seconds=1))) is None


def test_lock_and_sleep_end_in_a_return_too() -> None:
    tracker = Tracker(timedelta(minutes=5))
    tracker.observe(seen(0, locked=True, idle=timedelta(0)))
    tracker.observe(seen(3, asleep=True, locked=True))
    back = tracker.observe(seen(60, idle=timedelta(0)))
    assert back is not None
    assert (back.away_since, back.back_at, back.reason) == (T0, T0 + timedelta(minutes=60), State.LOCKED)


def test_a_suspend_seen_only_after_the_resume_counts_from_when_it_began() -> None:
    tracker = Tracker(timedelta(minutes=5))
    tracker.observe(seen(0, idle=timedelta(seconds=5)))
    tracker.observe(seen(50, asleep=True, asleep_since=T0 + timedelta(minutes=1)))
    back = tracker.observe(seen(50.1, idle=timedelta(0)))
    assert back is not None and back.reason is State.ASLEEP
    assert back.away_since == T0 + timedelta(minutes=1)
    assert counts_as_break(reminder("neck", kind=Kind.STRETCH), back, timedelta(minutes=5))


def test_timers_restart_from_the_return_with_no_pile() -> None:
    water = reminder(
        "water", every="45m", between=TimeWindow(T0.time().replace(hour=9), T0.time().replace(hour=18))
    )
    cutoff = reminder("cutoff", every=None, kind=Kind.CAFFEINE)
    schedule = Schedule(SETTINGS, (water, cutoff), ())
    back = Return(T0, T0 + timedelta(hours=2, minutes=7), State.AWAY)  # back at 12:07
    restarted = restart_times(schedule, back, next_firing)
    assert set(restarted) == {"water"}  # `at` keeps its time of day
    anchor, first = restarted["water"]
    assert anchor == back.back_at
    assert first == back.back_at + timedelta(minutes=45)  # 12:52, not 12:45 at once
    after = next_firing(water, SETTINGS, first, anchor=anchor)
    assert after == first + timedelta(minutes=45)


def test_an_absence_as_long_as_a_stretch_break_counts_as_that_break() -> None:
    stretch = reminder("neck", kind=Kind.STRETCH)
    short = Return(T0, T0 + timedelta(minutes=4), State.AWAY)
    long = Return(T0, T0 + timedelta(minutes=6), State.LOCKED)
    assert not counts_as_break(stretch, short, timedelta(minutes=5))
    assert counts_as_break(stretch, long, timedelta(minutes=5))
    assert not counts_as_break(reminder(), long, timedelta(minutes=5))
