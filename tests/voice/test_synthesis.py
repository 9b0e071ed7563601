"""Synthesis with the real engine (espeak-ng through pyttsx3): the clip's format, length,
loudness and trimming, the cache, and the engine owned by one thread."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from calmcoach.errors import DeliveryError
from calmcoach.outputs.voice import TtsSpeaker
from calmcoach.outputs.voice.cache import cache_key
from calmcoach.outputs.wavtools import read_pcm, rms, wav_duration
from calmcoach.schedule.model import VoiceSettings
from tests.voice.helpers import speech_start_s, speech_tail_s

SHORT = "Breathe in slowly."
LONG = (
    "Let your shoulders drop away from your ears, and breathe out slowly "
    "while the back of your neck grows long and soft."
)


@pytest.mark.parametrize(
    "text",
    # Soft starts ("h", "f") too, which stay quiet for their first tens of milliseconds.
    ["Breathe in slowly.", "Hold your breath.", "Four, seven, eight.", "Fine, sip some water."],
)
def test_a_short_phrase_is_a_trimmed_mono_sixteen_bit_clip_of_speech(speaker: TtsSpeaker, text: str) -> None:
    path = speaker.synthesize(text)
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
    rate, samples = read_pcm(path)
    assert 0.5 <= len(samples) / rate <= 3.0
    assert rms(samples) > 1500  # speech at volume 0.8 averages near 2700; silence is 0
    assert speech_start_s(samples, rate) <= 0.030
    assert speech_tail_s(samples, rate) <= 0.030


def test_a_longer_sentence_takes_longer_in_proportion(speaker: TtsSpeaker) -> None:
    short_s = wav_duration(speaker.synthesize(SHORT))
    long_s = wav_duration(speaker.synthesize(LONG))
    words_ratio = len(LONG.split()) / len(SHORT.split())
    assert words_ratio / 2 <= long_s / short_s <= words_ratio * 2
    rate, samples = read_pcm(speaker.synthesize(LONG))
    assert speech_start_s(samples, rate) <= 0.030


def test_the_same_phrase_and_settings_hit_the_cache(speaker: TtsSpeaker, voice_cache: Path) -> None:
    first = speaker.synthesize(SHORT)
    before = first.stat()
    again = speaker.synthesize("  Breathe in   slowly. ")  # the same words, spaced differently
    assert again == first
    after = again.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert sorted(p.name for p in voice_cache.iterdir()) == [first.name]  # no temporary files left


@pytest.mark.parametrize(
    "changed_settings",
    [
        pytest.param(VoiceSettings(voice="gmw/en-us"), id="voice"),
        pytest.param(VoiceSettings(rate=220), id="rate"),
        pytest.param(VoiceSettings(volume=0.4), id="volume"),
    ],
)
def test_changing_a_voice_setting_misses_the_cache(
    voice_cache: Path, aplay: list[str], changed_settings: VoiceSettings
) -> None:
    base = VoiceSettings()
    with (
        TtsSpeaker(base, voice_cache, player=aplay) as plain,
        TtsSpeaker(changed_settings, voice_cache, player=aplay) as changed,
    ):
        assert changed.synthesize(SHORT) != plain.synthesize(SHORT)
        assert plain.synthesize("Breathe out slowly.") != plain.synthesize(SHORT)
    assert len(list(voice_cache.glob("*.wav"))) == 3


def test_the_cache_key_covers_text_voice_rate_volume_and_format_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = VoiceSettings()
    keys = {
        cache_key(SHORT, base),
        cache_key("Breathe out.", base),
        cache_key(SHORT, replace(base, voice="gmw/en")),
        cache_key(SHORT, replace(base, rate=161)),
        cache_key(SHORT, replace(base, volume=0.81)),
    }
    monkeypatch.setattr("calmcoach.outputs.voice.cache.FORMAT_VERSION", 999)
    keys.add(cache_key(SHORT, base))
    assert len(keys) == 6


def test_the_settings_reach_the_engine(voice_cache: Path, aplay: list[str]) -> None:
    """Rate, volume and voice are set on the engine: each one changes the sound as it should."""

    def clip(settings: VoiceSettings) -> tuple[float, float, bytes]:
        with TtsSpeaker(settings, voice_cache, player=aplay) as made:
            rate, samples = read_pcm(made.synthesize(LONG))
        return len(samples) / rate, rms(samples), samples.tobytes()

    slow_s, _, _ = clip(VoiceSettings(rate=120))
    fast_s, _, _ = clip(VoiceSettings(rate=240))
    assert fast_s < 0.75 * slow_s
    _, quiet, _ = clip(VoiceSettings(volume=0.3))
    _, loud, _ = clip(VoiceSettings(volume=1.0))
    assert quiet < 0.6 * loud
    _, _, british = clip(VoiceSettings(voice="gmw/en"))
    _, _, american = clip(VoiceSettings(voice="English (America)"))  # a voice's name works as well as its id
    assert british != american


def test_an_unknown_voice_is_a_delivery_error_naming_it(voice_cache: Path, aplay: list[str]) -> None:
    with TtsSpeaker(VoiceSettings(voice="klingon-x"), voice_cache, player=aplay) as speaker:
        with pytest.raises(DeliveryError, match=r"espeak-ng has no voice 'klingon-x'.*calmcoach doctor"):
            speaker.synthesize(SHORT)
        assert not list(voice_cache.glob("*.wav"))  # the wrong-voice audio is not cached


def test_empty_text_is_a_delivery_error(speaker: TtsSpeaker) -> None:
    with pytest.raises(DeliveryError, match="nothing to say"):
        speaker.synthesize(" \n ")


def test_synthesis_prints_nothing(speaker: TtsSpeaker, capfd: pytest.CaptureFixture[str]) -> None:
    speaker.synthesize(SHORT)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_concurrent_synthesis_from_many_threads_completes(speaker: TtsSpeaker) -> None:
    phrases = [f"Sip number {n}." for n in range(12)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(speaker.synthesize, text) for text in phrases * 2]
        paths = [future.result(timeout=30) for future in futures]
    assert paths[:12] == paths[12:]
    assert len(set(paths)) == 12
    assert all(wav_duration(path) > 0.3 for path in paths)


def test_two_speakers_alive_at_once_take_turns_on_the_engine(voice_cache: Path, aplay: list[str]) -> None:
    british = TtsSpeaker(VoiceSettings(voice="gmw/en"), voice_cache / "a", player=aplay)
    american = TtsSpeaker(VoiceSettings(voice="gmw/en-us"), voice_cache / "b", player=aplay)
    results: dict[str, bytes] = {}

    def run(name: str, speaker: TtsSpeaker) -> None:
        for n in range(5):
            results[f"{name}{n}"] = read_pcm(speaker.synthesize(f"Stretch {n}."))[1].tobytes()

    threads = [threading.Thread(target=run, args=pair) for pair in (("a", british), ("b", american))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    british.close()
    american.close()
    assert len(results) == 10
    assert all(results[f"a{n}"] != results[f"b{n}"] for n in range(5))  # each kept its own voice


def test_importing_the_voice_does_not_load_pyttsx3() -> None:
    code = "import sys, calmcoach.outputs.voice; print('pyttsx3' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True, env=os.environ
    )
    assert done.stdout.strip() == "False"


def test_the_voice_the_default_schedule_suggests_exists(voice_cache: Path, aplay: list[str]) -> None:
    # A person uncommenting `voice = ...` in the default must get a voice the engine has ("en-gb",
    # suggested there once, is not one of espeak-ng's ids).
    default = Path(__file__).resolve().parents[2] / "schedules" / "default.toml"
    (line,) = [line for line in default.read_text(encoding="utf-8").splitlines() if "# voice = " in line]
    suggested = line.split('"')[1]
    with TtsSpeaker(VoiceSettings(voice=suggested), voice_cache, player=aplay) as speaker:
        _, samples = read_pcm(speaker.synthesize(SHORT))
    assert rms(samples) > 1500
