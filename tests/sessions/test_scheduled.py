"""The service's entry point: a session by voice (or tones) with no terminal, stoppable from
another thread, recorded in the history."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmcoach.clock import SystemClock
from calmcoach.content.patterns import make_pattern
from calmcoach.errors import CalmcoachError
from calmcoach.history import History
from calmcoach.outputs.voice import TtsSpeaker
from calmcoach.paths import Paths
from calmcoach.schedule.model import Settings, VoiceSettings
from calmcoach.sessions import stamps
from calmcoach.sessions.scheduled import run_scheduled
from tests.sessions.fakes import FakeClock

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
SETTINGS = Settings(timezone=ZoneInfo("UTC"), patterns=(make_pattern("short", 1.5, 0, 1.5),))


def sessions(paths: Paths) -> list[tuple[str, str, int, int, bool]]:
    with History.open(paths.history_db) as history:
        return [
            (r.kind, r.name, r.cycles_planned, r.cycles_done, r.completed) for r in history.sessions(LONG_AGO)
        ]


def test_a_tone_guided_stretch_runs_to_its_end_and_is_recorded(
    paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = FakeClock()
    # `true` stands in for the player: a real process that accepts the session's WAV file
    result = run_scheduled(
        "stretch", "desk-quick", settings=SETTINGS, paths=paths, clock=clock, speaker=None,
        sleep=clock.sleep, player=["true"],
    )  # fmt: skip
    assert result.completed and result.cycles_done == result.cycles_planned == 11
    assert result.problems == ()
    assert sessions(paths) == [("stretch", "desk-quick", 11, 11, True)]
    assert not stamps.safety_due(paths.state, clock.now().date())  # the line was said today
    assert capsys.readouterr() == ("", "")  # no terminal needed, nothing printed


def test_a_voiced_breathing_session_stops_from_another_thread(
    paths: Paths, alsa_capture: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stop = threading.Event()
    speaker = TtsSpeaker(VoiceSettings(), paths.cache / "voice")
    timer = threading.Timer(1.0, stop.set)
    try:
        timer.start()
        result = run_scheduled(
            "breathing",
            "short",
            settings=SETTINGS,
            paths=paths,
            clock=SystemClock(),
            speaker=speaker,
            stop=stop,
        )
    finally:
        timer.cancel()
        speaker.close()
    assert not result.completed and not result.interrupted
    assert result.cycles_done == 0 and result.elapsed_s < 5
    assert result.problems == ()
    assert alsa_capture.exists()  # the voice went to the (file) sound device
    assert sessions(paths) == [("breathing", "short", result.cycles_planned, 0, False)]
    assert capsys.readouterr() == ("", "")


def test_unknown_names_are_refused(paths: Paths) -> None:
    clock = FakeClock()
    with pytest.raises(CalmcoachError, match='unknown breathing pattern "nope"'):
        run_scheduled("breathing", "nope", settings=SETTINGS, paths=paths, clock=clock, speaker=None)
    with pytest.raises(CalmcoachError, match='unknown stretch routine "nope"'):
        run_scheduled("stretch", "nope", settings=SETTINGS, paths=paths, clock=clock, speaker=None)
