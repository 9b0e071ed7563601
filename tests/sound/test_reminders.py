"""A spoken reminder from the real service, heard through a real sound server.

The installed `calmcoach run` speaks through whichever player it finds; the test gives it a PATH
holding only one, so each of pw-play (PipeWire's own protocol) and paplay (the PulseAudio
protocol, served by pipewire-pulse) is heard in turn. What reached the null sink is compared
with the clip the service synthesized (it is in its voice cache).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from calmcoach.outputs.wavtools import read_pcm
from calmcoach.paths import Paths
from tests.service.conftest import far_from_now, start_service
from tests.sound.audio import audible_span_s, voiced_fraction
from tests.sound.conftest import player_env
from tests.sound_server import CAPTURE_RATE, SoundServer

SCHEDULE = """\
[settings]
timezone = "UTC"

[[reminder]]
name = "water"
kind = "hydration"
at = ["{never}"]
say = ["voice"]
message = "Time for a glass of water."  # short: the tier stays fast, and long enough to judge
"""
# The clip and what was heard may differ in length by the resampling (22,050 Hz to 48,000 Hz)
# and the player's fades only: a few milliseconds. 50 ms still catches a cut or a doubled word.
SPAN_TOLERANCE_S = 0.05


@pytest.mark.parametrize("player", ["pw-play", "paplay"])
def test_a_spoken_reminder_is_heard_through_the_sound_server(
    player: str, server: SoundServer, paths: Paths, tmp_path: Path
) -> None:
    schedule = tmp_path / "voice.toml"
    schedule.write_text(SCHEDULE.format(never=far_from_now()), encoding="utf-8")
    env = player_env(server, player, tmp_path / "bin")
    with server.capture() as capture:
        service = start_service(paths, schedule, "--no-presence", env=env)
        try:
            assert service.cli("trigger", "water").returncode == 0
            log = service.wait_log("delivered water (hydration, triggered) via voice", timeout=30)
        finally:
            code, _ = service.stop()
        samples = capture.samples()
    assert code == 0, service.log()
    assert "voice is not working" not in log, log
    (clip,) = sorted((paths.cache / "voice").glob("*.wav"))  # the one phrase the service spoke
    clip_rate, clip_samples = read_pcm(clip)
    clip_span = audible_span_s(clip_samples, clip_rate)
    heard = audible_span_s(samples, CAPTURE_RATE)
    assert clip_span is not None and heard is not None, f"silence was captured through {player}"
    clip_s, heard_s = clip_span[1] - clip_span[0], heard[1] - heard[0]
    assert clip_s > 1.0  # a whole reminder sentence, not a syllable
    assert heard_s == pytest.approx(clip_s, abs=SPAN_TOLERANCE_S), (heard_s, clip_s)
    # Speech all along, as in the clip itself: not a click at each end of a silence.
    assert voiced_fraction(samples, CAPTURE_RATE, *heard) >= 0.9 * voiced_fraction(
        clip_samples, clip_rate, *clip_span
    )
