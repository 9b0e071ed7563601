"""The service's entry point: a session by voice (or tones) with no terminal, stoppable from
another thread, recorded in the history."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmcoach.clock import SystemClock
from calmcoach.content.patterns import DEFAULT_PATTERN, make_pattern
from calmcoach.content.routines import DEFAULT_ROUTINE
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
    assert result is not None
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
    assert result is not None
    assert not result.completed and not result.interrupted
    assert result.cycles_done == 0 and result.elapsed_s < 5
    assert result.problems == ()
    assert alsa_capture.exists()  # the voice went to the (file) sound device
    assert sessions(paths) == [("breathing", "short", result.cycles_planned, 0, False)]
    assert capsys.readouterr() == ("", "")


def test_an_unknown_name_plays_the_default_and_says_which_was_missing(
    paths: Paths, caplog: pytest.LogCaptureFixture
) -> None:
    # The loader refuses unknown names, so one unknown now was removed after the reminder was read
    # (a reload): the announced session still runs, with the default, and the log names the missing one.
    clock = FakeClock()
    with caplog.at_level(logging.WARNING, logger="calmcoach"):
        result = run_scheduled(
            "breathing", "gone", settings=SETTINGS, paths=paths, clock=clock, speaker=None,
            cycles=1, sleep=clock.sleep, player=["true"],
        )  # fmt: skip
    assert result is not None and result.completed
    assert 'breathing pattern "gone" is not in the schedule any more' in caplog.text
    assert f'using "{DEFAULT_PATTERN}" instead' in caplog.text
    assert sessions(paths) == [("breathing", DEFAULT_PATTERN, 1, 1, True)]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="calmcoach"):
        result = run_scheduled(
            "stretch", "gone", settings=SETTINGS, paths=paths, clock=clock, speaker=None,
            sleep=clock.sleep, player=["true"],
        )  # fmt: skip
    assert result is not None and result.completed
    assert f'stretch routine "gone" is unknown; using "{DEFAULT_ROUTINE}" instead' in caplog.text


def test_an_unknown_kind_is_refused(paths: Paths) -> None:
    with pytest.raises(CalmcoachError, match="a session is breathing or stretch, not 'tip'"):
        run_scheduled("tip", None, settings=SETTINGS, paths=paths, clock=FakeClock(), speaker=None)


def test_the_safety_line_is_noted_on_the_schedules_own_date(paths: Paths) -> None:
    # 20:00 UTC on 4 March is 09:00 on 5 March in Auckland (UTC+13): the person's day is the 5th.
    clock = FakeClock(wall_at_zero=datetime(2025, 3, 4, 20, 0, tzinfo=UTC))
    settings = Settings(timezone=ZoneInfo("Pacific/Auckland"))
    result = run_scheduled(
        "stretch", "desk-quick", settings=settings, paths=paths, clock=clock, speaker=None,
        sleep=clock.sleep, player=["true"],
    )  # fmt: skip
    assert result is not None and result.completed
    assert not stamps.safety_due(paths.state, date(2025, 3, 5))
    assert stamps.safety_due(paths.state, date(2025, 3, 4))


def test_a_stop_before_the_start_plays_and_records_nothing(paths: Paths) -> None:
    stop = threading.Event()
    stop.set()
    clock = FakeClock()
    result = run_scheduled(
        "stretch", "desk-quick", settings=SETTINGS, paths=paths, clock=clock, speaker=None,
        stop=stop, sleep=clock.sleep, player=["false"],  # `false` would fail, if it were ever started
    )  # fmt: skip
    assert result is None
    assert sessions(paths) == []
    assert stamps.safety_due(paths.state, clock.now().date())


def test_a_caller_that_records_itself_gets_no_second_record(paths: Paths) -> None:
    clock = FakeClock()
    result = run_scheduled(
        "breathing", "short", settings=SETTINGS, paths=paths, clock=clock, speaker=None,
        minutes=0.5, record=False, sleep=clock.sleep, player=["true"],
    )  # fmt: skip
    assert result is not None and result.completed
    assert result.cycles_planned == 10  # 30 s of 3 s cycles: the one minutes rule
    assert sessions(paths) == []
