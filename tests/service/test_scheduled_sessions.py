"""The service's sessions are `run_scheduled`'s: the shared closing tip, the schedule's own date for
the safety line, a warning for a pattern that is gone, and one record (the dispatcher's)."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from calmcoach.content.patterns import DEFAULT_PATTERN, built_in_pattern, make_pattern
from calmcoach.history import History
from calmcoach.paths import Paths
from calmcoach.schedule.model import Every, Kind, Reminder, Schedule, Settings, Source, VoiceSettings
from calmcoach.service.sessions import VoiceSessions
from calmcoach.sessions import closing, guided, stamps
from calmcoach.sessions.guided import Prepared
from calmcoach.sessions.runner import Issued, SessionResult
from tests.service.fakes import FakeClock, ToneOnlySpeaker

# 20:00 UTC on 4 March is 09:00 on 5 March in Auckland (UTC+13).
NOW = datetime(2025, 3, 4, 20, 0, tzinfo=UTC)
SETTINGS = Settings(
    timezone=ZoneInfo("Pacific/Auckland"),
    voice=VoiceSettings(enabled=False),
    patterns=(make_pattern("mine", 2, 0, 2),),
)


def reminder(kind: Kind, **keys: Any) -> Reminder:
    return Reminder(
        name=str(kind),
        kind=kind,
        trigger=Every(timedelta(hours=1)),
        source=Source(Path("s.toml"), 1, 1),
        **keys,
    )


@pytest.fixture
def played(monkeypatch: pytest.MonkeyPatch) -> list[Prepared]:
    """Replace playing with an instant, complete run that gave every cue; collect what was played."""
    seen: list[Prepared] = []

    def play(prepared: Prepared, **_: object) -> SessionResult:
        seen.append(prepared)
        timeline = prepared.timeline
        issued = tuple(Issued(cue, cue.at_s) for cue in timeline.cues)
        return SessionResult(timeline.cycles, timeline.cycles, True, timeline.duration_s, issued=issued)

    monkeypatch.setattr(guided, "play", play)
    return seen


def sessions(paths: Paths) -> VoiceSessions:
    return VoiceSessions(lambda: cast(Any, ToneOnlySpeaker()), paths, FakeClock(NOW))


def test_a_service_session_closes_with_the_shared_tip_rotation(paths: Paths, played: list[Prepared]) -> None:
    tip = {"id": "test-tip", "text": "Unclench your jaw."}
    paths.state.mkdir(parents=True, exist_ok=True)
    (paths.state / closing.NEXT_TIPS_FILE).write_text(json.dumps({"breathing": tip}), encoding="utf-8")
    outcome = sessions(paths).run(
        reminder(Kind.BREATHING, cycles=2), Schedule(SETTINGS, (), ()), threading.Event()
    )
    assert outcome is not None and (outcome.planned, outcome.done, outcome.name) == (2, 2, DEFAULT_PATTERN)
    (prepared,) = played
    assert prepared.timeline.lines["closing"] == closing.closing_for("breathing", tip["text"])


def test_the_safety_line_date_is_the_schedules_own(paths: Paths, played: list[Prepared]) -> None:
    outcome = sessions(paths).run(
        reminder(Kind.STRETCH, routine="desk-quick"), Schedule(SETTINGS, (), ()), threading.Event()
    )
    assert outcome is not None and outcome.completed
    assert not stamps.safety_due(paths.state, date(2025, 3, 5))  # Auckland's day, not UTC's 4th


def test_a_pattern_gone_since_loading_plays_the_default_with_a_warning(
    paths: Paths, played: list[Prepared], caplog: pytest.LogCaptureFixture
) -> None:
    gone = reminder(Kind.BREATHING, pattern="removed-by-reload")
    with caplog.at_level(logging.WARNING, logger="calmcoach"):
        outcome = sessions(paths).run(gone, Schedule(SETTINGS, (), ()), threading.Event())
    assert outcome is not None and outcome.name == DEFAULT_PATTERN
    assert 'breathing pattern "removed-by-reload" is not in the schedule any more' in caplog.text
    assert played[0].timeline.name == DEFAULT_PATTERN


def test_the_service_session_is_recorded_once_by_the_dispatcher_not_here(
    paths: Paths, played: list[Prepared]
) -> None:
    sessions(paths).run(
        reminder(Kind.BREATHING, pattern="mine"), Schedule(SETTINGS, (), ()), threading.Event()
    )
    with History.open(paths.history_db) as history:
        assert history.sessions(datetime(2000, 1, 1, tzinfo=UTC)) == []


def test_the_announced_length_follows_the_one_cycles_rule(paths: Paths) -> None:
    runner, schedule = sessions(paths), Schedule(SETTINGS, (), ())
    coherent = built_in_pattern(DEFAULT_PATTERN)
    assert coherent is not None
    assert runner.length(reminder(Kind.BREATHING, pattern="mine", minutes=1.0), schedule) == timedelta(
        seconds=60
    )
    assert runner.length(reminder(Kind.BREATHING, cycles=3), schedule) == timedelta(
        seconds=3 * coherent.cycle_seconds
    )
    assert runner.length(reminder(Kind.TIP), schedule) is None
