"""The session's player when its sound server goes away: said at once, once, and the session goes on.

pw-play and paplay exit with status 1 within milliseconds when PipeWire or pipewire-pulse stops
(measured; tests/sound hears it with the real programs). Here a stand-in player does just that.
"""

from __future__ import annotations

from array import array
from pathlib import Path

from calmcoach.sessions.audio import SAMPLE_RATE, RenderedSession
from calmcoach.sessions.player import SessionPlayer
from calmcoach.sessions.runner import SessionResult
from tests.voice.helpers import wait_until, write_script

LOST = "Stream error: Connection terminated"  # what paplay says when pipewire-pulse stops


def lost_server_player(folder: Path) -> list[str]:
    """A player that fails at once as a real one does when its sound server has gone."""
    return [str(write_script(folder, "lost-play", f'echo "{LOST}" >&2\nexit 1'))]


def rendered(seconds: float) -> RenderedSession:
    return RenderedSession(array("h", bytes(2 * round(seconds * SAMPLE_RATE))), SAMPLE_RATE, ())


def completed(elapsed_s: float) -> SessionResult:
    return SessionResult(cycles_planned=1, cycles_done=1, completed=True, elapsed_s=elapsed_s)


EXPECTED = f"no sound: the audio player lost-play failed (exit status 1): {LOST}"


def test_a_player_that_fails_mid_session_is_said_at_once_and_only_once(tmp_path: Path) -> None:
    told: list[str] = []
    player = SessionPlayer(
        lost_server_player(tmp_path / "bin"), rendered(30.0), tmp_path / "work", told.append
    )
    assert player.frames_per_second > 0  # the runner calls frame() between cues: that is when it looks
    player.start(0.0)

    def said() -> bool:
        player.frame(0.1)
        return bool(told)

    wait_until(said)  # while the session is still 30 s from its end
    player.frame(0.2)
    player.end(completed(30.0))
    assert told == [EXPECTED]
    assert player.problems() == []  # not said a second time after the session


def test_without_someone_to_tell_the_failure_waits_for_the_end_of_the_session(tmp_path: Path) -> None:
    player = SessionPlayer(lost_server_player(tmp_path / "bin"), rendered(30.0), tmp_path / "work")
    player.start(0.0)

    def seen() -> bool:
        player.frame(0.1)
        return player.problems() != []

    wait_until(seen)
    player.end(completed(30.0))
    assert player.problems() == [EXPECTED]


def test_a_player_that_cannot_start_is_said_at_once(tmp_path: Path) -> None:
    told: list[str] = []
    player = SessionPlayer([str(tmp_path / "no-such-player")], rendered(1.0), tmp_path / "work", told.append)
    player.start(0.0)
    assert len(told) == 1 and told[0].startswith("no sound: cannot start the audio player no-such-player")
    player.end(completed(1.0))
    assert player.problems() == []
