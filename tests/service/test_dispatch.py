"""Dispatcher.fire: pause, skip, wording, state saved before delivering, sessions, missed runs."""

from __future__ import annotations

import itertools
import json
import logging
import random
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach.content.tips import load_tips
from calmcoach.outputs import Message
from calmcoach.schedule.loader import load_text
from calmcoach.service.dispatch import Core, Dispatcher, InFlight
from calmcoach.service.state import Pause, ServiceState, StateStore
from tests.service.fakes import FakeClock, FakeOutputs, FakeSessions

SCHEDULE = load_text(
    """
[settings]
timezone = "UTC"

[[reminder]]
name = "water"
kind = "hydration"
every = "45m"
say = ["notification", "voice"]

[[reminder]]
name = "breathe"
kind = "breathing"
at = ["15:00"]
""",
    "dispatch.toml",
)
NOON = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)


def make(tmp_path: Path, outputs: FakeOutputs, state: ServiceState | None = None, **kw: object) -> Dispatcher:
    store = StateStore(tmp_path / "service.json")
    core = Core(schedule=SCHEDULE, state=state or ServiceState(), store=store)
    return Dispatcher(core, outputs, FakeClock(NOON), load_tips(), rng=random.Random(3), **kw)  # type: ignore[arg-type]


def test_delivers_on_the_reminders_channels_and_logs_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outputs = FakeOutputs()
    dispatcher = make(tmp_path, outputs)
    with caplog.at_level(logging.INFO, logger="calmcoach"):
        dispatcher.fire("water")
    [(message, channels)] = outputs.delivered
    assert [c.value for c in channels] == ["notification", "voice"]
    assert message.title and message.body and message.speech
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("delivered")]
    assert lines == [f"delivered water (hydration) via notification+voice: {message.title}"]
    record = dispatcher.core.recent[-1]
    assert (record.name, record.channels, record.at) == ("water", ("notification", "voice"), NOON)


def test_state_is_saved_before_the_delivery(tmp_path: Path) -> None:
    # At most once: if the process died during delivery, a restart must see the firing as done.
    seen: list[dict[str, object]] = []

    def peek(message: Message) -> None:
        seen.append(json.loads((tmp_path / "service.json").read_text()))

    dispatcher = make(tmp_path, FakeOutputs(on_deliver=peek))
    dispatcher.fire("water")
    assert seen[0]["last_fired"] == {"water": NOON.isoformat()}
    assert seen[0]["last_wording"]


def test_paused_firings_are_skipped_but_remembered(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    outputs = FakeOutputs()
    dispatcher = make(tmp_path, outputs, ServiceState(pause=Pause(NOON + timedelta(minutes=30))))
    with caplog.at_level(logging.INFO, logger="calmcoach"):
        dispatcher.fire("water")
    assert outputs.delivered == []
    assert "skipped water (hydration): paused until 12:30" in caplog.text
    assert StateStore(tmp_path / "service.json").load().last_fired == {"water": NOON}
    dispatcher.fire("water", manual=True)  # `calmcoach trigger` still fires while paused
    assert len(outputs.delivered) == 1


def test_never_the_same_words_twice_in_a_row(tmp_path: Path) -> None:
    outputs = FakeOutputs()
    dispatcher = make(tmp_path, outputs)
    for _ in range(12):
        dispatcher.fire("water")
        dispatcher.clock.advance(timedelta(minutes=45))  # type: ignore[attr-defined]
    bodies = [m.body for m, _ in outputs.delivered]
    assert all(a != b for a, b in itertools.pairwise(bodies))


def test_no_channel_worked_is_an_error_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    dispatcher = make(tmp_path, FakeOutputs(works=set()))
    dispatcher.fire("water")
    assert "could not deliver water (hydration) on any channel" in caplog.text


def test_a_removed_reminder_and_a_stopping_service_deliver_nothing(tmp_path: Path) -> None:
    outputs = FakeOutputs()
    dispatcher = make(tmp_path, outputs)
    dispatcher.fire("coffee")
    dispatcher.stop.set()
    dispatcher.fire("water")
    assert outputs.delivered == []


class WatchedStop(threading.Event):
    """The dispatcher's stop flag, noting whether the firing was counted in flight when it looked."""

    def __init__(self, in_flight: InFlight) -> None:
        super().__init__()
        self.in_flight = in_flight
        self.counted: list[bool] = []

    def is_set(self) -> bool:
        self.counted.append(not self.in_flight.wait_idle(0))
        return super().is_set()


@pytest.mark.parametrize("stopping", [False, True])
def test_a_firing_is_counted_in_flight_before_it_looks_at_the_stop_flag(
    tmp_path: Path, stopping: bool
) -> None:
    # Shutdown sets the flag, then waits until nothing is in flight, then closes the history: a
    # firing that looked at the flag before being counted could slip between the two and write to
    # a closed database.
    outputs = FakeOutputs()
    dispatcher = make(tmp_path, outputs)
    stop = dispatcher.stop = WatchedStop(dispatcher.in_flight)
    if stopping:
        stop.set()
    dispatcher.fire("water")
    assert stop.counted and all(stop.counted)
    assert len(outputs.delivered) == (0 if stopping else 1)


def test_breathing_announces_then_runs_the_session(tmp_path: Path) -> None:
    outputs, sessions = FakeOutputs(), FakeSessions(seconds=125)
    dispatcher = make(tmp_path, outputs, sessions=sessions, session_lead=timedelta(0))
    dispatcher.fire("breathe")
    [(message, _)] = outputs.delivered
    assert message.body.startswith("A two-minute breathing break starts now.")
    assert sessions.runs == ["breathe"]


def test_stopping_during_the_lead_time_cancels_the_session(tmp_path: Path) -> None:
    sessions = FakeSessions()
    dispatcher = make(tmp_path, FakeOutputs(), sessions=sessions, session_lead=timedelta(seconds=30))
    dispatcher.stop.set()
    dispatcher._run_session(SCHEDULE.reminders[1], SCHEDULE)
    assert sessions.runs == []


def test_missed_firings_are_remembered_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    dispatcher = make(tmp_path, FakeOutputs())
    due = NOON - timedelta(minutes=25)
    dispatcher.missed("water", due)
    assert "skipped water (hydration) due at 2024-05-06 11:35:00: 25m00s late" in caplog.text
    assert "beyond its grace time of 10m00s" in caplog.text
    assert dispatcher.core.state.last_fired == {"water": due}


def test_the_tip_rotation_is_shared_with_the_tip_command(tmp_path: Path) -> None:
    from calmcoach.content.tips import Rotation, read_rotation, write_rotation

    path = tmp_path / "tips.json"
    hydration = [t.id for t in load_tips() if t.category == "hydration"]
    # `calmcoach tip --topic water` showed all but the last hydration tip in this round.
    write_rotation(path, Rotation({"hydration": tuple(hydration[:-1])}))
    outputs = FakeOutputs()
    dispatcher = make(
        tmp_path,
        outputs,
        load_rotation=lambda: read_rotation(path)[0],
        save_rotation=lambda r: write_rotation(path, r),
    )
    dispatcher.fire("water")
    assert dispatcher.core.state.last_wording["water"] == hydration[-1]
    assert hydration[-1] in read_rotation(path)[0].shown("hydration")
