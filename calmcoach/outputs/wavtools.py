"""Small helpers for mono 16-bit PCM WAV files, in pure Python (stdlib `wave` and `array`).

The voice writes its clips in this format, at the rate the engine gives (22050 Hz with
espeak-ng), and the sessions mix those clips into a session WAV. numpy is not a dependency and
`audioop` is deprecated (removed in Python 3.13), so conversions are written out here; clips are a
few seconds long, so plain loops are fast enough.

Samples are an `array('h')` of native-endian signed 16-bit integers; WAV data is little-endian,
which is swapped on big-endian machines when reading and writing.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import tempfile
import wave
from array import array
from pathlib import Path

SAMPLE_WIDTH = 2  # bytes: the clips we write are 16-bit
FULL_SCALE = 32767
# espeak-ng pads with digital silence and its voice fades out smoothly: anything quieter than
# this (about -54 dBFS) is not heard, so it counts as silence when trimming.
SILENCE_THRESHOLD = 64
KEEP_MS = 5.0  # kept before the first and after the last audible sample, faded, to avoid clicks


def read_pcm(path: Path) -> tuple[int, array[int]]:
    """Given a PCM WAV file of any channel count and 8/16/24/32-bit samples, return its frame rate
    and its samples as mono 16-bit (channels averaged; wider samples keep their top 16 bits)."""
    with wave.open(str(path), "rb") as wav:
        rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
        data = wav.readframes(wav.getnframes())
    samples = _to_int16(data, width)
    return rate, _to_mono(samples, channels)


def write_pcm(path: Path, rate: int, samples: array[int]) -> None:
    """Write `samples` (mono 16-bit) to `path` as a WAV file at `rate`, atomically: readers see the
    old file or the whole new one, never a half-written one."""
    data = array("h", samples)
    if sys.byteorder == "big":
        data.byteswap()
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file, wave.open(file, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(SAMPLE_WIDTH)
            wav.setframerate(rate)
            wav.writeframes(data.tobytes())
        Path(temp_name).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(temp_name).unlink()
        raise


def wav_duration(path: Path) -> float:
    """Given a WAV file, return its duration in seconds (from the header, without reading the data)."""
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def rms(samples: array[int]) -> float:
    """Return the root mean square of `samples` (0.0 for none): the clip's average loudness."""
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


def first_above(samples: array[int], threshold: int) -> int | None:
    """Return the index of the first sample louder than `threshold`, or None if none is."""
    return next((i for i, s in enumerate(samples) if abs(s) > threshold), None)


def last_above(samples: array[int], threshold: int) -> int | None:
    """Return the index of the last sample louder than `threshold`, or None if none is."""
    return next((i for i in range(len(samples) - 1, -1, -1) if abs(samples[i]) > threshold), None)


def trim_silence(
    samples: array[int],
    rate: int,
    *,
    threshold: int = SILENCE_THRESHOLD,
    keep_ms: float = KEEP_MS,
) -> array[int]:
    """Given mono samples at `rate`, return them without leading and trailing silence.

    `keep_ms` of the quiet edge is kept on each side and faded linearly (in from zero, out to
    zero), so that the cut makes no click. All-silent input gives an empty array.
    """
    first, last = first_above(samples, threshold), last_above(samples, threshold)
    if first is None or last is None:
        return array("h")
    keep = round(rate * keep_ms / 1000)
    start, stop = max(0, first - keep), min(len(samples), last + 1 + keep)
    trimmed = array("h", samples[start:stop])
    _fade(trimmed, first - start, fade_in=True)
    _fade(trimmed, stop - last - 1, fade_in=False)
    return trimmed


def _fade(samples: array[int], length: int, *, fade_in: bool) -> None:
    """Scale the first (or last) `length` samples linearly from silence, in place."""
    n = len(samples)
    for k in range(min(length, n)):
        gain = k / length  # 0 at the outer edge, towards 1 at the speech
        i = k if fade_in else n - 1 - k
        samples[i] = round(samples[i] * gain)


def _to_int16(data: bytes, width: int) -> array[int]:
    """Given little-endian PCM bytes of `width` bytes per sample, return them as 16-bit samples."""
    if width == 2:
        samples = array("h", data)
        if sys.byteorder == "big":
            samples.byteswap()
        return samples
    if width == 1:  # 8-bit WAV is unsigned, centred on 128
        return array("h", ((b - 128) << 8 for b in data))
    if width in (3, 4):  # keep the two most significant bytes of each little-endian sample
        top = bytes(b for i, b in enumerate(data) if i % width >= width - 2)
        return _to_int16(top, 2)
    raise ValueError(f"unsupported WAV sample width: {width} bytes")


def _to_mono(samples: array[int], channels: int) -> array[int]:
    """Given interleaved samples of `channels` channels, return their per-frame average."""
    if channels == 1:
        return samples
    frames = len(samples) // channels
    return array("h", (sum(samples[f * channels : (f + 1) * channels]) // channels for f in range(frames)))
