"""A scheduled session never plays over a session the person started in a terminal."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from calmcoach.paths import Paths
from calmcoach.schedule.model import (
    Every,
    Kind,
    Reminder,
    Schedule,
    Settings,
    Source,
    TimeWindow,
    VoiceSettings,
)
from calmcoach.service.sessions import VoiceSessions
from calmcoach.sessions.slot import session_slot
from tests.service.fakes import FakeClock, ToneOnlySpeaker


def test_a_scheduled_session_is_skipped_while_another_plays(
    paths: Paths, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(timezone=ZoneInfo("UTC"), voice=VoiceSettings(enabled=False))
    reminder = Reminder(
        name="breathe",
        kind=Kind.BREATHING,
        trigger=Every(timedelta(hours=1)),
        source=Source(Path("s.toml"), 1, 1),
        between=TimeWindow(time(8, 0), time(20, 0)),
        cycles=1,
    )
    schedule = Schedule(settings, (reminder,), ())
    clock = FakeClock(datetime(2099, 5, 6, 10, 0, tzinfo=UTC))
    sessions = VoiceSessions(lambda: cast(Any, ToneOnlySpeaker()), paths, clock)
    with caplog.at_level(logging.INFO, logger="calmcoach"), session_slot(paths.runtime):
        assert sessions.run(reminder, schedule, threading.Event()) is None
    assert "session for breathe skipped: another calmcoach session is playing" in caplog.text


def test_a_stretch_stopped_before_its_first_cue_leaves_the_safety_line_due(
    paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calmcoach.sessions import guided, stamps
    from calmcoach.sessions.runner import SessionResult

    # A stop that lands between preparing and the first cue: nothing was said.
    def stopped_at_once(prepared: object, **_: object) -> SessionResult:
        return SessionResult(cycles_planned=11, cycles_done=0, completed=False, elapsed_s=0.0)

    monkeypatch.setattr(guided, "play", stopped_at_once)
    settings = Settings(timezone=ZoneInfo("UTC"), voice=VoiceSettings(enabled=False))
    reminder = Reminder(
        name="stretch",
        kind=Kind.STRETCH,
        trigger=Every(timedelta(hours=1)),
        source=Source(Path("s.toml"), 1, 1),
        routine="desk-quick",
    )
    clock = FakeClock(datetime(2099, 5, 6, 10, 0, tzinfo=UTC))
    sessions = VoiceSessions(lambda: cast(Any, ToneOnlySpeaker()), paths, clock)
    outcome = sessions.run(reminder, Schedule(settings, (reminder,), ()), threading.Event())
    assert outcome is not None and outcome.done == 0
    assert stamps.safety_due(paths.state, clock.now().date())  # still to be said next time
