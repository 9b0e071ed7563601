"""Session audio: tones, mixing, WAV files, and cue onsets found by analysing the rendered audio
itself (energy-based onset detection), never by trusting the renderer's own bookkeeping."""

from __future__ import annotations

import gc
import itertools
import math
import sys
import wave
from array import array
from pathlib import Path

import pytest

from calmcoach.content.patterns import PhaseKind, built_in_pattern, make_pattern
from calmcoach.errors import CalmcoachError
from calmcoach.outputs.voice import TtsSpeaker
from calmcoach.paths import Paths
from calmcoach.schedule.model import VoiceSettings
from calmcoach.sessions import guided
from calmcoach.sessions.audio import (
    SAMPLE_RATE,
    TONES,
    Clip,
    Mixer,
    ToneBank,
    read_wav,
    render,
    resample,
    synth_tone,
    write_wav,
)
from calmcoach.sessions.onsets import detect_onsets, match_onsets
from calmcoach.sessions.timeline import CueStyle, Timeline, Tone, breathing_timeline

TOLERANCE_S = 0.010  # the target: every cue within 10 ms of its plan


def zero_crossings(samples: array[int]) -> int:
    return sum(1 for a, b in itertools.pairwise(samples) if (a < 0) != (b < 0))


def assert_onsets_on_plan(timeline: Timeline, samples: array[int], rate: int = SAMPLE_RATE) -> list[float]:
    """Find the onsets in the audio, and check that every audible cue has one within 10 ms."""
    planned = [c.at_s for c in timeline.cues if c.audible]
    found = detect_onsets(samples, rate)
    matches = match_onsets(planned, found)
    missing = [m.planned_s for m in matches if m.found_s is None]
    assert not missing, f"no sound found near the cues planned at {missing}"
    errors = [m.error_s for m in matches if m.error_s is not None]
    assert max(abs(e) for e in errors) <= TOLERANCE_S, errors
    return errors


def test_a_tone_fades_in_and_out_and_rises_in_pitch() -> None:
    spec = TONES[Tone.RISE]
    samples = synth_tone(spec)
    assert len(samples) == round(spec.seconds * SAMPLE_RATE)
    peak = max(abs(s) for s in samples)
    assert peak == pytest.approx(spec.amplitude * 32767, rel=0.02)
    assert abs(samples[0]) < 50 and abs(samples[-1]) < 50  # no click at either end
    half = len(samples) // 2
    # more zero crossings in the second half: the pitch rises
    assert zero_crossings(samples[half:]) > zero_crossings(samples[:half]) * 1.2
    falling = synth_tone(TONES[Tone.FALL])
    assert zero_crossings(falling[half:]) < zero_crossings(falling[:half])


def test_tones_are_cached_on_disk_and_read_back_identical(tmp_path: Path) -> None:
    made = ToneBank(cache_dir=tmp_path)(Tone.HOLD)
    assert list(tmp_path.glob("tone-hold-*.wav"))
    again = ToneBank(cache_dir=tmp_path)(Tone.HOLD)
    assert again == made


def test_mixer_pastes_into_silence_and_sums_overlaps_with_clipping() -> None:
    mixer = Mixer(10)
    mixer.add(2, array("h", [100, 200, 300]))
    assert list(mixer.buffer) == [0, 0, 100, 200, 300, 0, 0, 0, 0, 0]
    mixer.add(4, array("h", [1, 1, 1]))
    assert list(mixer.buffer) == [0, 0, 100, 200, 301, 1, 1, 0, 0, 0]
    mixer.add(8, array("h", [30000, 30000, 5]))  # past the end: the buffer grows
    mixer.add(8, array("h", [30000, -5]))
    assert list(mixer.buffer[8:]) == [32767, 29995, 5]


def test_wav_files_round_trip_and_foreign_rates_are_resampled(tmp_path: Path) -> None:
    samples = array("h", (round(8000 * math.sin(i / 7)) for i in range(4410)))
    path = tmp_path / "x.wav"
    write_wav(path, samples)
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, SAMPLE_RATE)
    assert read_wav(path) == samples
    write_wav(path, samples, 44100)
    halved = read_wav(path)  # read at 22050 Hz: half as many samples
    assert len(halved) == 2205
    assert halved[100] == pytest.approx(samples[200], abs=2)
    assert len(resample(samples, 22050, 16000)) == 3200


def tone_only(pattern_name: str, cycles: int, counts: bool = False) -> Timeline:
    pattern = built_in_pattern(pattern_name)
    assert pattern is not None
    return breathing_timeline(
        pattern,
        cycles,
        opening="Begin.",
        closing="Done.",
        default_style=CueStyle(voice=False, tone=True),
        counts=counts,
        speech_s=lambda text: 0.0,
    )


@pytest.mark.parametrize(("name", "counts"), [("box", False), ("4-7-8", True), ("cyclic-sigh", False)])
def test_tone_onsets_in_the_rendered_audio_are_on_plan(name: str, counts: bool) -> None:
    timeline = tone_only(name, 3, counts)
    rendered = render(timeline, None)
    errors = assert_onsets_on_plan(timeline, rendered.samples)
    assert len(errors) == sum(1 for c in timeline.cues if c.audible)
    # no drift: the last cue is as close to its plan as the first
    assert abs(errors[-1] - errors[0]) <= 0.002


def test_silent_phases_make_no_sound() -> None:
    box = built_in_pattern("box")
    assert box is not None
    timeline = breathing_timeline(
        box,
        2,
        opening="Begin.",
        closing="Done.",
        styles={PhaseKind.HOLD_IN: CueStyle(voice=False), PhaseKind.HOLD_OUT: CueStyle(voice=False)},
        default_style=CueStyle(voice=False, tone=True),
        speech_s=lambda text: 0.0,
    )
    found = detect_onsets(render(timeline, None).samples, SAMPLE_RATE)
    assert len(found) == 4  # the inhales and exhales of two cycles, nothing at the holds
    assert found == [pytest.approx(c.at_s, abs=TOLERANCE_S) for c in timeline.cues if c.audible]


def test_a_voice_clip_is_placed_where_its_speech_is_heard() -> None:
    # 10 ms of faded lead-in, as trimmed clips have: the speech itself must start on the cue
    lead = array("h", [10] * 220)
    speech = array("h", [5000, -5000] * 2205)
    timeline = breathing_timeline(
        make_pattern("p", 2, 0, 2), 1, opening="a", closing="b", speech_s=lambda text: 0.5
    )
    rendered = render(timeline, lambda text: Clip.of_speech(lead + speech))
    for cue in timeline.cues:
        start = round(cue.at_s * SAMPLE_RATE)
        assert rendered.samples[start] == 5000  # the first loud sample, exactly on the cue
        assert rendered.samples[start - 1] in (10, 0)


@pytest.fixture
def speaker(paths: Paths) -> TtsSpeaker:
    return TtsSpeaker(VoiceSettings(rate=170), paths.cache / "voice")


def test_real_voice_and_tones_in_a_saved_session_start_on_their_planned_times(
    speaker: TtsSpeaker, tmp_path: Path
) -> None:
    pattern = built_in_pattern("box")
    assert pattern is not None
    plan = guided.breathing_plan(pattern, 2, voice=True, tone=True, counts=True, closing="Well done.")
    try:
        prepared = guided.prepare(plan, synthesizer=speaker, tone_cache=tmp_path / "tones")
        opening_clip = speaker.synthesize(prepared.timeline.cues[0].text)  # from the cache by now
    finally:
        speaker.close()
    assert not prepared.problems
    assert prepared.audio is not None
    saved = guided.save(prepared, tmp_path / "box.wav", tmp_path / "box.jsonl")
    samples = read_wav(saved.path)  # analyse the file as written, not the buffer
    errors = assert_onsets_on_plan(prepared.timeline, samples)
    assert len(errors) == len(prepared.timeline.cues)
    # the opening line (about 5 s of espeak-ng) has ended before the first breath is cued
    opening = read_wav(opening_clip)
    assert prepared.timeline.cues[1].at_s >= len(opening) / SAMPLE_RATE


def test_a_wav_into_a_missing_folder_is_a_plain_error_with_no_noise_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # wave.open(path) on a missing folder used to leave a half-built writer whose __del__
    # printed "Exception ignored ... AttributeError" after the user's error message.
    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    with pytest.raises(CalmcoachError, match="cannot write"):
        write_wav(tmp_path / "no" / "such" / "x.wav", array("h", [0, 1, 2]))
    gc.collect()
    assert unraisable == []
