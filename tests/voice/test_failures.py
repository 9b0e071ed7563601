"""What the voice says when it cannot work: no libespeak-ng, no player, a player that hangs.
Each case is bounded in time and ends in a DeliveryError (or a check) that says what to do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from calmcoach.errors import DeliveryError
from calmcoach.outputs.voice import NO_PLAYER, TtsSpeaker, available_voices, probe_tts, tts_check
from calmcoach.outputs.voice.engine import NO_LIBRARY, RENDER_ATTEMPTS
from calmcoach.outputs.wavtools import wav_duration
from calmcoach.schedule.model import VoiceSettings
from tests.voice.helpers import process_gone, wait_until, write_script

# Loaded by every Python process started with this folder on PYTHONPATH: it makes the dynamic
# loader's answer for libespeak-ng the one it gives when the package is not installed, so that
# pyttsx3's own loading code fails the way it does on such a machine (and the probe's child
# process, which inherits PYTHONPATH, fails too). "hang" makes loading it never return instead.
SITECUSTOMIZE = """\
import ctypes, os, time

_real_dlopen = ctypes._dlopen

def _dlopen(name, *args):
    if name and "espeak" in os.fsdecode(name):
        if os.environ.get("HIDE_ESPEAK") == "hang":
            time.sleep(3600)
        raise OSError(f"{name}: cannot open shared object file: No such file or directory")
    return _real_dlopen(name, *args)

ctypes._dlopen = _dlopen
"""

# Run in the child: what the speaker and the probe say without the library.
CHILD = """\
import json, sys
from pathlib import Path
from calmcoach.errors import DeliveryError
from calmcoach.outputs.voice import TtsSpeaker, tts_check, available_voices
from calmcoach.schedule.model import VoiceSettings

speaker = TtsSpeaker(VoiceSettings(), Path(sys.argv[1]), player=["true"])
report = {"check": speaker.check(), "tts_check": tts_check(), "voices": available_voices()}
for name, call in (("synthesize", speaker.synthesize), ("speak_and_wait", speaker.speak_and_wait)):
    try:
        call("Breathe in.")
    except DeliveryError as error:
        report[name] = error.message
print(json.dumps(report))
"""


def hidden_espeak_env(tmp_path: Path, mode: str = "missing") -> dict[str, str]:
    site = tmp_path / "hide-espeak"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return {**os.environ, "PYTHONPATH": str(site), "HIDE_ESPEAK": mode}


def test_without_libespeak_ng_every_entry_point_says_what_to_install(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "cache")],
        env=hidden_espeak_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(done.stdout)
    assert NO_LIBRARY == "libespeak-ng1 is not installed: apt-get install libespeak-ng1"
    assert report == {
        "check": NO_LIBRARY,
        "tts_check": NO_LIBRARY,
        "voices": [],
        "synthesize": NO_LIBRARY,
        "speak_and_wait": NO_LIBRARY,
    }


def test_the_probe_gives_up_on_an_engine_that_hangs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in hidden_espeak_env(tmp_path, "hang").items():
        monkeypatch.setenv(name, value)
    started = time.monotonic()
    assert tts_check(timeout_s=2) == "the speech engine did not answer within 2 s"
    assert time.monotonic() - started < 20


def test_with_the_real_engine_the_probe_finds_it_and_its_voices() -> None:
    probe = probe_tts()
    assert probe.problem is None
    assert "gmw/en" in probe.voices and "gmw/en-us" in probe.voices
    assert list(probe.voices) == sorted(probe.voices)


def test_tts_check_and_available_voices_answer_from_the_probe() -> None:
    assert tts_check() is None
    assert "gmw/en" in available_voices()


def test_without_a_player_speaking_fails_but_synthesis_still_works(
    voice_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with TtsSpeaker(VoiceSettings(), voice_cache) as speaker:
        assert speaker.player is None
        assert speaker.check() == NO_PLAYER
        assert "apt-get install alsa-utils" in NO_PLAYER
        with pytest.raises(DeliveryError) as raised:
            speaker.speak_and_wait("Breathe out.", timeout_s=20)
        assert raised.value.message == NO_PLAYER
        assert wav_duration(speaker.synthesize("Breathe out.")) > 0.3  # sessions can still save WAVs


def test_a_player_that_hangs_is_killed_after_the_clip_and_a_margin(
    voice_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = tmp_path / "sleep.pid"
    fake = tmp_path / "fake-bin"
    # Named aplay and found on PATH, like the real one; its child sleeps too, in its process group.
    # Alone on PATH: pw-play and paplay, where installed, would be tried first.
    sleep = shutil.which("sleep")
    write_script(fake, "aplay", f'{sleep} 1000 &\necho $! > "{pid_file}"\nwait')
    monkeypatch.setenv("PATH", str(fake))
    with TtsSpeaker(VoiceSettings(), voice_cache, margin_s=0.5) as speaker:
        assert speaker.player == [str(fake / "aplay"), "-q"]
        clip_s = wav_duration(speaker.synthesize("Shoulders down."))
        started = time.monotonic()
        with pytest.raises(
            DeliveryError, match=r"the audio player aplay ran past \d+\.\d s playing a .* and was killed"
        ):
            speaker.speak_and_wait("Shoulders down.")
        waited = time.monotonic() - started
    assert clip_s + 0.5 <= waited < clip_s + 0.5 + 5
    wait_until(lambda: process_gone(int(pid_file.read_text())))


# Run in the child: an engine whose synthesis never finishes (the callback from espeak-ng's thread
# never returns), as a wedged espeak-ng would look.
WEDGED_CHILD = """\
import json, sys, time
from pathlib import Path
import pyttsx3.drivers.espeak
from calmcoach.errors import DeliveryError
from calmcoach.outputs.voice import TtsSpeaker
from calmcoach.schedule.model import VoiceSettings

pyttsx3.drivers.espeak.EspeakDriver._onSynth = lambda self, wav, numsamples, events: time.sleep(3600)
speaker = TtsSpeaker(VoiceSettings(), Path(sys.argv[1]), player=["true"], synth_timeout_s=1)
report = {}
for attempt in ("first", "second"):
    started = time.monotonic()
    try:
        speaker.synthesize("Breathe in.")
    except DeliveryError as error:
        report[attempt] = [error.message, time.monotonic() - started]
report["check"] = speaker.check()
print(json.dumps(report))
"""


def test_a_wedged_engine_fails_within_the_timeout_and_then_at_once(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WEDGED_CHILD, str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(done.stdout)
    message = "espeak-ng stopped answering: synthesis took longer than 1.11 s"
    assert report["first"][0] == message
    assert 1.11 <= report["first"][1] < 10
    assert report["second"][0] == message
    assert report["second"][1] < 0.5  # does not queue behind the stuck phrase
    assert report["check"] == message


# Run in the child: on chosen runs (numbered from 1, one per runAndWait), the phrase ends the way
# pyttsx3 ends a phrase it cancels because espeak-ng looked busy as it started: no file written,
# "finished-utterance" with completed=False. (Forcing the real cancel is not deterministic:
# espeak-ng sometimes finishes a short phrase before pyttsx3 gets round to cancelling it.)
CANCELLING_CHILD = """\
import json, sys
from pathlib import Path
import pyttsx3.drivers.espeak
from calmcoach.errors import DeliveryError
from calmcoach.outputs.voice import TtsSpeaker
from calmcoach.outputs.wavtools import wav_duration
from calmcoach.schedule.model import VoiceSettings

Driver = pyttsx3.drivers.espeak.EspeakDriver
cancel_on = json.loads(sys.argv[2])
runs = []
start_synthesis = Driver._start_synthesis

def cancelled_or_real(self, text):
    runs.append(len(runs) + 1)
    if cancel_on != "all" and runs[-1] not in cancel_on:
        return start_synthesis(self, text)
    self._proxy.notify("finished-utterance", completed=False)  # what iterate() does on a cancel
    self._proxy.setBusy(False)
    self.endLoop()

Driver._start_synthesis = cancelled_or_real
speaker = TtsSpeaker(VoiceSettings(), Path(sys.argv[1]), player=["true"])
report = {}
for text in ("Breathe in.", "Hold your breath for seven."):
    try:
        report[text] = wav_duration(speaker.synthesize(text))
    except DeliveryError as error:
        report[text] = error.message
report["runs"] = len(runs)
print(json.dumps(report))
"""
GAVE_UP = f"espeak-ng cancelled the phrase {RENDER_ATTEMPTS} times in a row"


@pytest.mark.parametrize(
    ("cancel_on", "gives_up", "runs"),
    [
        pytest.param([1], False, 3, id="first-phrase-cancelled-once"),
        pytest.param([2, 3], False, 4, id="second-phrase-cancelled-twice"),
        pytest.param("all", True, 2 * RENDER_ATTEMPTS, id="always-cancelled"),
    ],
)
def test_a_phrase_pyttsx3_cancels_is_synthesized_again(
    tmp_path: Path, cancel_on: object, gives_up: bool, runs: int
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CANCELLING_CHILD, str(tmp_path / "cache"), json.dumps(cancel_on)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(done.stdout)
    if gives_up:
        assert report["Breathe in."] == report["Hold your breath for seven."] == GAVE_UP
        assert report["runs"] == runs
    else:
        assert 0.4 < report["Breathe in."] < 2.0
        assert 1.0 < report["Hold your breath for seven."] < 4.0  # the whole phrase
        # On a loaded machine espeak-ng may also cancel a phrase for real (the race the retry
        # exists for), which adds a run on top of the ones this test forces; the retries left
        # (two forced cancels leave RENDER_ATTEMPTS - 2 for the second phrase) absorb those.
        assert runs <= report["runs"] <= runs + RENDER_ATTEMPTS - 2


# Run in the child: a phrase at rate 80 whose first try pyttsx3 cancels. A real cancel empties
# espeak-ng's queue, settings included; the forced one here stands for that by putting espeak-ng
# back at its default rate before it ends the try.
LOST_SETTINGS_CHILD = """\
import json, sys
from pathlib import Path
import pyttsx3.drivers.espeak
from pyttsx3.drivers import _espeak
from calmcoach.outputs.voice import TtsSpeaker
from calmcoach.outputs.wavtools import wav_duration
from calmcoach.schedule.model import VoiceSettings

Driver = pyttsx3.drivers.espeak.EspeakDriver
runs = []
start_synthesis = Driver._start_synthesis

def cancel_the_first(self, text):
    runs.append(text)
    if len(runs) != 1:
        return start_synthesis(self, text)
    _espeak.SetParameter(_espeak.RATE, 175, 0)  # the queued rate, lost with the cancel
    self._proxy.notify("finished-utterance", completed=False)
    self._proxy.setBusy(False)
    self.endLoop()

Driver._start_synthesis = cancel_the_first
speaker = TtsSpeaker(VoiceSettings(rate=80), Path(sys.argv[1]), player=["true"])
retried = wav_duration(speaker.synthesize("Let your shoulders drop."))
speaker = TtsSpeaker(VoiceSettings(rate=80), Path(sys.argv[2]), player=["true"])
plain = wav_duration(speaker.synthesize("Let your shoulders drop."))
print(json.dumps({"retried": retried, "plain": plain, "runs": len(runs)}))
"""


def test_a_retried_phrase_keeps_its_rate(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOST_SETTINGS_CHILD, str(tmp_path / "a"), str(tmp_path / "b")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(done.stdout)
    assert report["runs"] >= 3  # the cancelled try, its retry, and the plain phrase
    # Spoken at 80 words a minute both times, not at espeak-ng's default 175 after the retry.
    assert report["retried"] == pytest.approx(report["plain"], rel=0.1)


# Run in the child: espeak-ng with a slow thread of its own. A setting waits in espeak-ng's
# queue (IsPlaying() says busy) until the second look at IsPlaying() after it was queued, or until
# a phrase is queued behind it; Cancel() drops what still waits, as espeak-ng's fifo_stop() does.
# The phrase is the first of a new engine, as in `calmcoach doctor --test`, and the engine starts
# on pyttsx3's own rate (200).
SLOW_QUEUE_CHILD = """\
import json, sys
from pathlib import Path
from pyttsx3.drivers import _espeak
from calmcoach.outputs.voice import TtsSpeaker
from calmcoach.outputs.wavtools import wav_duration
from calmcoach.schedule.model import VoiceSettings

queued = []  # [setting's arguments, looks at IsPlaying() since it was queued]
real = {name: getattr(_espeak, name) for name in ("SetParameter", "IsPlaying", "Cancel", "Synth")}
dropped = []

def run_queued():
    while queued:
        real["SetParameter"](*queued.pop(0)[0])

def set_parameter(*args):
    queued.append([args, 0])
    return 0

def is_playing():
    for setting in queued:
        setting[1] += 1
    if queued and queued[0][1] >= 2:
        run_queued()
    return bool(queued) or real["IsPlaying"]()

def cancel():
    dropped.extend(setting[0] for setting in queued)
    queued.clear()
    return real["Cancel"]()

def synth(*args, **kwargs):
    run_queued()  # espeak-ng takes its commands in order: the settings, then the phrase
    return real["Synth"](*args, **kwargs)

_espeak.SetParameter, _espeak.IsPlaying, _espeak.Cancel, _espeak.Synth = (
    set_parameter, is_playing, cancel, synth
)
first = TtsSpeaker(VoiceSettings(rate=80), Path(sys.argv[1]), player=["true"])
slow_first = wav_duration(first.synthesize("Let your shoulders drop."))
again = TtsSpeaker(VoiceSettings(rate=80), Path(sys.argv[2]), player=["true"])
slow_again = wav_duration(again.synthesize("Let your shoulders drop."))
print(json.dumps({"first": slow_first, "again": slow_again, "dropped": dropped}))
"""


def test_a_new_engines_first_phrase_keeps_its_rate(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SLOW_QUEUE_CHILD, str(tmp_path / "a"), str(tmp_path / "b")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(done.stdout)
    # Spoken at 80 words a minute both times, not at pyttsx3's 200 the first time (seen under load
    # in the doctor test, whose only phrase is its engine's first).
    assert report["first"] == pytest.approx(report["again"], rel=0.1), report["dropped"]
