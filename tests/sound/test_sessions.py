"""Guided breathing sessions from the installed `calmcoach breathe`, heard through a real sound
server: every cue lands where the session's timeline puts it, and a server that goes away in the
middle of a session is said at once, while the session carries on to its end.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from calmcoach.sessions.onsets import detect_onsets, match_onsets
from tests.desktop import wait_until
from tests.service.conftest import calmcoach_argv
from tests.sound.conftest import player_env
from tests.sound_server import CAPTURE_RATE, SoundServer
from tests.voice.helpers import SPEECH_LEVEL

SCHEDULE = """\
[settings.patterns]
pace = { inhale = 1, hold = 0.5, exhale = 1, rest = 0.5, description = "Short enough for tests." }

[[reminder]]
name = "breathe-pace"
kind = "breathing"
at = "11:30"
pattern = "pace"
"""
RUN_TIMEOUT_S = (
    90.0  # a bound on a session of about 15 s, for a loaded machine; never reached when all is well
)
# Cue onsets against the plan, after the capture's own start is taken from the first onset. The
# whole session is one WAV played by one player, so the cues' spacing is the renderer's, to the
# sample (calmcoach.sessions.player); the server resamples it (22,050 to 48,000 Hz) with a fixed
# delay, which the first onset takes away. What is left is the onset finder's own error on
# resampled speech (a sample or two) and any sound the server drops or inserts. 10 ms is the
# promise the runner makes for the played audio (tests/sessions, on ALSA): the server must keep it.
CUE_TOLERANCE_S = 0.010


def write_schedule(folder: Path) -> Path:
    path = folder / "pace.toml"
    path.write_text(SCHEDULE, encoding="utf-8")
    return path


def breathe(schedule: Path, cycles: int, events: Path) -> list[str]:
    """The command line of a session guided by tones: each a clean onset to find in the audio,
    where speech starts softly and its words leave gaps; the voice is heard in test_reminders."""
    return [*calmcoach_argv(), "breathe", "pace", "--schedule", str(schedule), "--cycles", str(cycles),
            "--no-voice", "--tone", "--events", str(events)]  # fmt: skip


def read_events(path: Path) -> list[dict[str, float | int | str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def cue_errors(planned: Sequence[float], found: Sequence[float]) -> list[float | None]:
    """Given planned cue times and the onsets found in a capture, return each cue's error.

    The capture began before the player, by an amount nobody measured (wall time would not say
    it: the recorder, the player and the server each buffer): the first onset is the first cue,
    so its distance from the plan is the capture's offset, taken away from every other.
    """
    assert found, "no sound at all in the capture"
    offset = found[0] - planned[0]
    matches = match_onsets([p + offset for p in planned], found)
    return [m.error_s for m in matches]


@pytest.mark.parametrize("player", ["pw-play", "paplay"])
def test_a_breathing_session_is_heard_with_every_cue_where_planned(
    player: str, server: SoundServer, tmp_path: Path
) -> None:
    schedule, events = write_schedule(tmp_path), tmp_path / "events.jsonl"
    with server.capture() as capture:
        done = subprocess.run(
            breathe(schedule, 1, events),
            env=player_env(server, player, tmp_path / "bin"),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
        samples = capture.samples()
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # the player worked: no "no sound" warning
    given = read_events(events)
    phases = ["inhale", "hold", "exhale", "rest"]
    assert [e["phase"] for e in given] == ["opening", *phases, "closing"]
    toned = [e for e in given if e["phase"] in phases]  # the opening and closing lines are not heard
    errors = cue_errors([float(e["planned_s"]) for e in toned], detect_onsets(samples, CAPTURE_RATE))
    assert all(e is not None and abs(e) <= CUE_TOLERANCE_S for e in errors), list(
        zip(toned, errors, strict=True)
    )


@pytest.mark.parametrize(
    ("player", "going"),
    [
        pytest.param("pw-play", ("pipewire-pulse", "wireplumber", "pipewire"), id="pw-play-pipewire-stops"),
        pytest.param("paplay", ("pipewire-pulse",), id="paplay-pulse-server-stops"),
    ],
)
def test_a_server_that_goes_away_mid_session_is_said_at_once_and_the_session_goes_on(
    player: str, going: tuple[str, ...], own_server: SoundServer, tmp_path: Path
) -> None:
    schedule, events = write_schedule(tmp_path), tmp_path / "events.jsonl"
    own = own_server
    with own.capture() as capture:
        process = subprocess.Popen(
            breathe(schedule, 2, events),
            env=player_env(own, player, tmp_path / "bin"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one stream: the order of lines and warnings is kept
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            # The first tone reached the server: the player is playing through it.
            wait_until(lambda: max(map(abs, capture.so_far()), default=0) > SPEECH_LEVEL,
                       timeout=RUN_TIMEOUT_S, what="the first tone in the capture")  # fmt: skip
            own.stop(*going)
            out, _ = process.communicate(timeout=RUN_TIMEOUT_S)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(RUN_TIMEOUT_S)
    lines = out.splitlines()
    assert process.returncode == 0, out  # the session ran to its end, on the screen
    assert "Traceback" not in out
    warnings = [i for i, line in enumerate(lines) if line.startswith("calmcoach: no sound:")]
    assert len(warnings) == 1, out  # said once, not again at the end
    assert f"the audio player {player} failed" in lines[warnings[0]], out
    # Said at once: the first tone (2 s in) was heard, the server stopped, and the warning comes
    # before the next cycle's first line, 3 s after that tone (the player fails within
    # milliseconds and is looked at ten times a second), where it used to come after the end.
    (cycle_2,) = [i for i, line in enumerate(lines) if "cycle 2 of 2  Breathe in" in line]
    assert warnings[0] < cycle_2, out
    assert lines[-1].startswith("Pace breathing: 2 cycles in"), out
    assert len(read_events(events)) == 1 + 2 * 4 + 1  # every cue was given: the session went on
