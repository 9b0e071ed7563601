"""One guided session at a time across processes: `calmcoach breathe` and the service's sessions."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmcoach.history import History
from calmcoach.paths import Paths
from calmcoach.schedule.model import Settings
from calmcoach.sessions.scheduled import run_scheduled
from calmcoach.sessions.slot import SessionBusy, session_slot
from tests.sessions.fakes import FakeClock
from tests.support import Cli

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def test_the_slot_is_held_once_and_freed_after(paths: Paths) -> None:
    with (
        session_slot(paths.runtime),
        pytest.raises(SessionBusy, match="another calmcoach session is playing"),
        session_slot(paths.runtime),
    ):
        pass
    with session_slot(paths.runtime):  # free again
        pass


def _hold(
    runtime: str, held: multiprocessing.synchronize.Event, done: multiprocessing.synchronize.Event
) -> None:
    with session_slot(Path(runtime)):
        held.set()
        done.wait(30)


def test_another_process_holding_the_slot_keeps_a_terminal_session_from_starting(
    cli: Cli, paths: Paths, tiny_schedule: Path
) -> None:
    tiny = ["breathe", "tiny", "--schedule", str(tiny_schedule), "--cycles", "1", "--quiet"]
    context = multiprocessing.get_context("spawn")
    held, done = context.Event(), context.Event()
    other = context.Process(target=_hold, args=(str(paths.runtime), held, done))
    other.start()
    try:
        assert held.wait(30), "the other process never took the slot"
        result = cli(tiny)
        assert result.code == 1
        assert "another calmcoach session is playing" in result.stderr
        assert "Breathe in" not in result.stdout
        # Saving to a file plays nothing, so it is allowed meanwhile.
        saved = cli(
            ["breathe", "box", "--cycles", "1", "--no-voice", "--tone", "--save", str(paths.cache / "b.wav")]
        )
        assert saved.code == 0, saved.stderr
    finally:
        done.set()
        other.join(30)
    with History.open(paths.history_db) as history:
        assert history.sessions(LONG_AGO) == []
    assert cli(tiny).code == 0  # free once the other ends


def test_a_scheduled_session_does_not_start_over_another(paths: Paths) -> None:
    clock = FakeClock()
    settings = Settings(timezone=ZoneInfo("UTC"))
    with session_slot(paths.runtime), pytest.raises(SessionBusy):
        run_scheduled(
            "stretch", "desk-quick", settings=settings, paths=paths, clock=clock, speaker=None,
            sleep=clock.sleep, player=["true"],
        )  # fmt: skip
