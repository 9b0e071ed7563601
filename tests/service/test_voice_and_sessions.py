"""The real service speaks (real espeak-ng, real aplay into an ALSA capture file) and runs a
breathing session by voice that SIGTERM ends within 2 seconds."""

from __future__ import annotations

import signal
import wave
from pathlib import Path

import pytest

from calmcoach.paths import Paths
from tests.desktop import Notifications
from tests.service.conftest import far_from_now, start_service, wait_for

# Both reminders fire only when triggered: `never` is 12 hours away (far_from_now).
SCHEDULE = """\
[settings]
timezone = "UTC"
voice = { rate = 220 }
patterns = { slow = { inhale = 20, exhale = 20 } }

[[reminder]]
name = "breathe"
kind = "breathing"
at = ["{never}"]
pattern = "slow"
cycles = 3

[[reminder]]
name = "water"
kind = "hydration"
at = ["{never}"]
say = ["voice"]
"""

ASOUNDRC = """\
pcm.!default {{
    type file
    slave.pcm "null"
    file "{capture}"
    format "wav"
}}
"""


@pytest.fixture
def capture(xdg_home: Path) -> Path:
    """ALSA's default device writes to this file (through $HOME/.asoundrc, which aplay reads)."""
    path = xdg_home / "captured.wav"
    (xdg_home / ".asoundrc").write_text(ASOUNDRC.format(capture=path))
    return path


def frames(path: Path) -> int:
    try:
        with wave.open(str(path)) as wav:
            return int(wav.getnframes())
    except (OSError, EOFError, wave.Error):
        return 0


@pytest.mark.slow
def test_voice_reminder_and_a_session_stopped_by_sigterm(
    paths: Paths, tmp_path: Path, capture: Path, notifications: Notifications
) -> None:
    schedule = tmp_path / "voice.toml"
    schedule.write_text(SCHEDULE.replace("{never}", far_from_now()))
    service = start_service(paths, schedule, "--session-lead", "0s")
    try:
        assert service.cli("trigger", "water").returncode == 0
        service.wait_log("delivered water (hydration, triggered) via voice", timeout=30)
        assert frames(capture) > 0  # aplay wrote what it played
        spoken = capture.stat().st_size
        assert spoken > 10_000

        assert service.cli("trigger", "breathe").returncode == 0
        announced = notifications.wait_for(1, timeout=15)
        assert announced[-1].summary in {"Breathing break", "A few slow breaths", "Time to breathe slowly"}
        assert announced[-1].body.startswith("A two-minute breathing break starts now.")
        service.wait_log("session for breathe (breathing) starting", timeout=30)
        # The session is heard: the capture grows beyond the spoken reminder.
        wait_for(lambda: capture.stat().st_size > spoken, timeout=15, what="the session's audio")
        status = service.request("status")["result"]
        assert status["channels"]["voice"]["ok"] is True

        code, took = service.stop(signal.SIGTERM)
        assert code == 0
        assert took < 2.0
        log = service.log()
        assert "session for breathe (breathing) stopped: 0 of 3 done" in log
    finally:
        if service.process.poll() is None:
            service.process.kill()
            service.process.wait(10)
