"""The WAV helpers on hand-made samples: reading any PCM layout as mono 16-bit, atomic writes,
and trimming silence with short fades."""

from __future__ import annotations

import wave
from array import array
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calmcoach.outputs.wavtools import (
    first_above,
    last_above,
    read_pcm,
    rms,
    trim_silence,
    wav_duration,
    write_pcm,
)

RATE = 1000  # one sample per millisecond keeps the arithmetic readable


def write_raw(path: Path, *, channels: int, width: int, rate: int, data: bytes) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(data)


def test_write_then_read_gives_back_the_rate_and_samples(tmp_path: Path) -> None:
    samples = array("h", [0, 1, -1, 32767, -32768, 1234])
    write_pcm(tmp_path / "a.wav", 22050, samples)
    assert read_pcm(tmp_path / "a.wav") == (22050, samples)
    with wave.open(str(tmp_path / "a.wav"), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)


def test_write_replaces_an_existing_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    target = folder / "clip.wav"
    write_pcm(target, RATE, array("h", [5] * 10))
    write_pcm(target, RATE, array("h", [7] * 3))
    assert read_pcm(target) == (RATE, array("h", [7, 7, 7]))
    assert [p.name for p in folder.iterdir()] == ["clip.wav"]


def test_stereo_is_averaged_to_mono(tmp_path: Path) -> None:
    frames = array("h", [100, 300, -200, -400, 32767, 32767])
    write_raw(tmp_path / "s.wav", channels=2, width=2, rate=RATE, data=frames.tobytes())
    assert read_pcm(tmp_path / "s.wav") == (RATE, array("h", [200, -300, 32767]))


def test_eight_bit_unsigned_is_centred_and_widened(tmp_path: Path) -> None:
    write_raw(tmp_path / "b.wav", channels=1, width=1, rate=RATE, data=bytes([128, 255, 0]))
    assert read_pcm(tmp_path / "b.wav") == (RATE, array("h", [0, 127 << 8, -128 << 8]))


@pytest.mark.parametrize(
    ("width", "data"),
    [
        pytest.param(3, bytes([0xAA, 0x34, 0x12, 0x00, 0x00, 0x80]), id="24-bit"),
        pytest.param(4, bytes([0xAA, 0xBB, 0x34, 0x12, 0x00, 0x00, 0x00, 0x80]), id="32-bit"),
    ],
)
def test_wider_samples_keep_their_top_sixteen_bits(tmp_path: Path, width: int, data: bytes) -> None:
    write_raw(tmp_path / "w.wav", channels=1, width=width, rate=RATE, data=data)
    assert read_pcm(tmp_path / "w.wav") == (RATE, array("h", [0x1234, -32768]))


def test_duration_comes_from_frames_and_rate(tmp_path: Path) -> None:
    write_pcm(tmp_path / "d.wav", 22050, array("h", [0] * 11025))
    assert wav_duration(tmp_path / "d.wav") == 0.5


def test_rms_of_a_square_wave_is_its_amplitude() -> None:
    assert rms(array("h", [300, -300] * 50)) == 300.0
    assert rms(array("h")) == 0.0


def test_trim_cuts_silence_and_keeps_a_faded_edge() -> None:
    speech = array("h", [1000, -2000, 3000, -2000, 1000])
    samples = array("h", [0] * 100 + [20] * 10 + list(speech) + [30] * 10 + [0] * 200)
    trimmed = trim_silence(samples, RATE, threshold=64, keep_ms=5)
    # 5 ms (5 samples) of the quiet edge on each side, fading from silence towards the speech.
    assert trimmed[5:10] == speech
    assert list(trimmed[:5]) == [0, 4, 8, 12, 16]
    assert list(trimmed[10:]) == [24, 18, 12, 6, 0]


def test_trim_leaves_speech_that_fills_the_clip_alone() -> None:
    samples = array("h", [5000, -5000, 5000])
    assert trim_silence(samples, RATE) == samples


def test_trim_of_silence_is_empty() -> None:
    assert trim_silence(array("h", [0, 10, -10, 0] * 100), RATE) == array("h")


@given(
    st.lists(st.integers(-63, 63), max_size=50),
    st.lists(st.integers(-32768, 32767), min_size=1, max_size=50),
    st.lists(st.integers(-63, 63), max_size=50),
)
def test_trim_keeps_everything_from_the_first_to_the_last_loud_sample(
    before: list[int], middle: list[int], after: list[int]
) -> None:
    samples = array("h", before + middle + after)
    first, last = first_above(samples, 64), last_above(samples, 64)
    trimmed = trim_silence(samples, RATE, threshold=64, keep_ms=3)
    if first is None or last is None:
        assert trimmed == array("h")
        return
    start = max(0, first - 3)
    assert trimmed[first - start : last - start + 1] == samples[first : last + 1]
    assert len(trimmed) <= (last - first + 1) + 6
