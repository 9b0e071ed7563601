"""The service's presence gate with a stepped clock and observations the test chooses."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from calmcoach.outputs import Message
from calmcoach.presence.gate import Gate
from calmcoach.presence.monitor import Backends
from calmcoach.presence.policy import Action, Held, Observation, Return
from calmcoach.schedule.model import At, Every, Kind, Reminder, Settings, Source
from tests.desktop import wait_until
from tests.service.fakes import FakeClock

UTC = ZoneInfo("UTC")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SETTINGS = Settings(timezone=UTC, idle_after=timedelta(minutes=5))
WATER = Reminder("water", Kind.HYDRATION, Every(timedelta(minutes=45)), Source(Path("s.toml"), 1, 1))
CUTOFF = Reminder("cutoff", Kind.CAFFEINE, At((T0.time(),)), Source(Path("s.toml"), 2, 2))


class Desk:
    """What the desktop says now; the gate asks it through `observe`."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {"idle": timedelta(seconds=1)}
        self.asked_dnd: list[bool] = []

    def observe(self, now: datetime, dnd: bool) -> Observation:
        self.asked_dnd.append(dnd)
        return Observation(at=now, **self.state)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def desk() -> Desk:
    return Desk()


@pytest.fixture
def gate(clock: FakeClock, desk: Desk) -> Gate:
    gate = Gate(clock, SETTINGS.idle_after)
    gate.use(desk.observe)
    return gate


def test_without_a_backend_everything_comes(clock: FakeClock) -> None:
    gate = Gate(clock, SETTINGS.idle_after)
    gate.use(None)
    assert gate.decide(WATER, SETTINGS, T0, manual=False).action is Action.DELIVER
    assert gate.describe()["state"] == "unknown"


def test_away_then_back_restarts_timers_and_skips_the_firing_that_saw_the_return(
    gate: Gate, clock: FakeClock, desk: Desk
) -> None:
    returns: list[Return] = []

    def on_return(back: Return) -> None:
        returns.append(back)
        gate.set_anchors({"water": back.back_at})

    gate.on_return = on_return
    desk.state = {"idle": timedelta(minutes=7)}
    assert gate.decide(WATER, SETTINGS, T0, manual=False).action is Action.SKIP
    assert gate.decide(CUTOFF, SETTINGS, T0, manual=False).action is Action.HOLD
    assert gate.describe()["state"] == "away"
    assert gate.decide(WATER, SETTINGS, T0, manual=True).action is Action.DELIVER
    clock.advance(timedelta(minutes=30))
    desk.state = {"idle": timedelta(seconds=2)}
    decision = gate.decide(WATER, SETTINGS, clock.current, manual=False)
    assert (decision.action, decision.reason) == (
        Action.SKIP,
        "back just now; it counts again from the return",
    )
    [back] = returns
    assert back.away_since == T0 - timedelta(minutes=7)
    assert back.back_at == clock.current - timedelta(seconds=2)
    first = gate.next_firing(WATER, SETTINGS, back.back_at)
    assert first == back.back_at + timedelta(minutes=45)
    assert gate.decide(WATER, SETTINGS, clock.current, manual=False).action is Action.DELIVER


def test_what_waits_is_released_when_free_and_dropped_after_its_limit(
    gate: Gate, clock: FakeClock, desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    released: list[list[Held]] = []
    gate.on_release = released.append
    desk.state = {"dnd": True}
    gate.tick()
    assert desk.asked_dnd == [False]  # nothing waits: do-not-disturb is not asked by the watch
    message = Message("t", "b", "s")
    gate.hold(Held("water", Kind.HYDRATION, message, (), T0, T0 + timedelta(minutes=10)))
    gate.hold(Held("tip", Kind.TIP, message, (), T0, T0 + timedelta(minutes=40)))
    clock.advance(timedelta(minutes=20))
    with caplog.at_level(logging.INFO, logger="calmcoach.presence"):
        gate.tick()
    assert released == []
    assert desk.asked_dnd[-1] is True
    assert "dropped water (hydration): waited since 10:00:00, longer than it may" in caplog.text
    assert gate.describe()["waiting"] == ["tip"]
    desk.state = {}
    gate.tick()
    assert [[h.name for h in batch] for batch in released] == [["tip"]]
    assert gate.describe()["waiting"] == []


def test_where_no_backend_works_it_says_so_once(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    missing = Backends(missing=["idle time: none", "lock and sleep: none"])
    gate = Gate(clock, SETTINGS.idle_after, choose=lambda: missing, poll_s=0.01)
    with caplog.at_level(logging.INFO, logger="calmcoach.presence"):
        gate.start()
        assert gate.wait_chosen(10)
        gate.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "presence: cannot tell here whether you are away, locked or busy "
        "(idle time: none; lock and sleep: none); reminders come regardless"
    ]
    assert gate.decide(WATER, SETTINGS, T0, manual=False).action is Action.DELIVER
    assert gate.describe()["backends"] == {"idle": None, "lock": None, "dnd": []}


def test_an_observation_that_breaks_never_costs_a_reminder(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(now: datetime, dnd: bool) -> Observation:
        raise ValueError("a reply jeepney could not parse")

    gate = Gate(clock, SETTINGS.idle_after)
    gate.use(broken)
    assert gate.decide(WATER, SETTINGS, T0, manual=False).action is Action.DELIVER
    assert "presence: could not observe; delivering water regardless" in caplog.text


def test_the_watch_looks_only_as_often_as_an_answer_can_matter(
    gate: Gate, clock: FakeClock, desk: Desk
) -> None:
    assert gate.next_look_s(T0) == gate.poll_s  # nothing seen yet: look soon
    desk.state = {"idle": timedelta(minutes=1)}
    gate.tick()
    # Here, idle for 1 of the 5 minutes: away 4 minutes from now at the earliest (input only
    # makes it later), so the watch need not look before then.
    assert gate.next_look_s(T0) == 240
    assert gate.next_look_s(T0 + timedelta(minutes=3)) == 60
    assert gate.next_look_s(T0 + timedelta(minutes=10)) == gate.poll_s  # never less than poll_s
    desk.state = {}  # no idle time known (lock and do-not-disturb sources only)
    gate.tick()
    assert gate.next_look_s(T0) == 300
    desk.state = {"idle": timedelta(minutes=6)}  # away: watch for the return
    gate.tick()
    assert gate.next_look_s(T0) == gate.poll_s
    desk.state = {"idle": timedelta(seconds=0)}  # back
    gate.tick()
    assert gate.next_look_s(T0) == 300
    gate.hold(Held("tip", Kind.TIP, Message("t", "b", "s"), (), T0, T0 + timedelta(minutes=40)))
    assert gate.next_look_s(T0) == gate.poll_s  # something waits: watch for its release
    desk.state = {"locked": True}
    gate.drop(["tip"])
    gate.tick()
    assert gate.next_look_s(T0) == gate.poll_s


def test_with_nothing_to_observe_the_watch_never_looks(clock: FakeClock) -> None:
    gate = Gate(clock, SETTINGS.idle_after)
    gate.use(None)
    assert gate.next_look_s(T0) is None


def test_a_held_reminder_wakes_the_watch_at_once(clock: FakeClock, desk: Desk) -> None:
    """While the person is here the watch sleeps for minutes; a hold makes it look now."""
    gate = Gate(clock, timedelta(hours=1), poll_s=0.01)
    gate.use(desk.observe)
    gate.start()
    try:
        wait_until(lambda: gate.describe()["state"] == "here", timeout=10, what="the first look")
        assert gate.next_look_s(T0) == 3599  # idle 1 s of an hour: nothing to look for soon
        gate.hold(Held("tip", Kind.TIP, Message("t", "b", "s"), (), T0, T0 + timedelta(minutes=40)))
        # A look that asks do-not-disturb: only made for what waits.
        wait_until(lambda: True in desk.asked_dnd, timeout=10, what="a look after the hold")
    finally:
        gate.close()


def test_while_locked_the_watch_waits_for_loginds_signal(gate: Gate, clock: FakeClock, desk: Desk) -> None:
    desk.state = {"locked": True}
    gate.tick()
    assert gate.next_look_s(T0) == gate.poll_s  # no source that signals the unlock: poll
    gate.use(desk.observe, lock_signals=True)
    assert gate.next_look_s(T0) == 60  # the unlock wakes it; a look a minute all the same
    message = Message("t", "b", "s")
    gate.hold(Held("cutoff", Kind.CAFFEINE, message, (), T0, T0 + timedelta(seconds=30)))
    assert gate.next_look_s(T0) == 30  # to drop it when its limit comes, not later
    desk.state = {"asleep": True}
    gate.tick()
    assert gate.next_look_s(T0) == gate.poll_s  # after a resume, "asleep" is said once: look again


def test_a_hold_made_while_the_watch_looks_without_dnd_waits_for_a_look_that_asks(
    gate: Gate, desk: Desk
) -> None:
    """A delivery may put a reminder on hold (do-not-disturb) while the watch is looking without
    asking do-not-disturb (nothing waited when it began): that look must not release it."""
    released: list[list[Held]] = []
    gate.on_release = released.append
    desk.state = {"dnd": True}

    def observe(now: datetime, dnd: bool) -> Observation:
        if not dnd and not gate.describe()["waiting"]:
            gate.hold(Held("tip", Kind.TIP, Message("t", "b", "s"), (), T0, T0 + timedelta(minutes=40)))
        seen = desk.observe(now, dnd)
        return replace(seen, dnd=seen.dnd and dnd)  # as the monitor: not asked, not busy

    gate.use(observe)
    gate.tick()
    assert released == []
    gate.tick()  # this one asks: still busy
    assert released == []
    assert gate.describe()["waiting"] == ["tip"]
    desk.state = {}
    gate.tick()
    assert [[h.name for h in batch] for batch in released] == [["tip"]]
