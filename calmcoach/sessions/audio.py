"""Sound for sessions: soft generated tones, reading and writing WAV, and mixing a whole session.

A session's audio is rendered whole before it starts: every cue's voice clip and tone pasted at
its planned sample, `round(at_s * rate)`, so a cue sits within half a sample (23 us at 22050 Hz)
of its planned time. The same buffer is either saved (`--save`) or played by one player process
(see `calmcoach.sessions.player` for why one and not one per cue).

Pure Python (the standard library's `array` and `wave`), so no numpy is needed. The work is kept
to C-speed operations where it matters: silence is allocated as zero bytes, clips are pasted by
slice assignment, and only where two sounds overlap are samples added one by one; the voice and
tone of one cue are mixed once per distinct pair, not once per cycle.
"""

from __future__ import annotations

import bisect
import math
import operator
import os
import sys
import wave
from array import array
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from calmcoach.errors import CalmcoachError
from calmcoach.outputs.wavtools import SILENCE_THRESHOLD, first_above, read_pcm
from calmcoach.sessions.timeline import Cue, Timeline, Tone

SAMPLE_RATE = 22050  # what the voice module synthesizes; plenty for speech and soft tones
FULL_SCALE = 32767
LITTLE_ENDIAN = sys.byteorder == "little"


def silence(samples: int) -> array[int]:
    """Given a number of samples, return that much digital silence (allocated at C speed)."""
    return array("h", bytes(2 * max(0, samples)))


def seconds_to_samples(seconds: float, rate: int = SAMPLE_RATE) -> int:
    return round(seconds * rate)


@dataclass(frozen=True)
class ToneSpec:
    start_hz: float
    end_hz: float
    seconds: float
    amplitude: float  # of full scale; voices peak near 0.7, so tones sit well below them


# Soft, short and in a gentle register: a rise of a fifth for breathing in, the same fall for
# breathing out, low steady notes for the holds. Short enough never to cover the next cue.
TONES: dict[Tone, ToneSpec] = {
    Tone.RISE: ToneSpec(330.0, 495.0, 0.8, 0.22),
    Tone.TOP_UP: ToneSpec(495.0, 660.0, 0.3, 0.18),
    Tone.HOLD: ToneSpec(262.0, 262.0, 0.5, 0.16),
    Tone.FALL: ToneSpec(495.0, 330.0, 0.8, 0.22),
    Tone.REST: ToneSpec(196.0, 196.0, 0.5, 0.16),
    Tone.TICK: ToneSpec(880.0, 880.0, 0.06, 0.10),
}
MIN_TONE_S = 0.05
TONE_GAP_S = 0.08  # a tone ends at least this long before the next cue's tone, so the two are heard apart
ATTACK_S = 0.008  # long enough not to click, short enough that the onset is where it is planned


def synth_tone(spec: ToneSpec, rate: int = SAMPLE_RATE) -> array[int]:
    """Given a tone's pitch glide, length and loudness, return its samples.

    The pitch moves exponentially (evenly in musical terms); a raised-cosine attack and a long
    raised-cosine release keep it free of clicks and soft at the end.
    """
    n = seconds_to_samples(spec.seconds, rate)
    attack = max(1, seconds_to_samples(ATTACK_S, rate))
    release = max(1, int(n * 0.6))
    peak = FULL_SCALE * spec.amplitude
    # The phase step grows by a constant factor per sample: an exponential glide without a pow().
    step = 2.0 * math.pi * spec.start_hz / rate
    growth = (spec.end_hz / spec.start_hz) ** (1.0 / n)
    sin, cos, pi = math.sin, math.cos, math.pi
    values = []
    phase = 0.0
    for i in range(n):
        phase += step
        step *= growth
        if i < attack:
            gain = peak * (0.5 - 0.5 * cos(pi * i / attack))
        elif i >= n - release:
            gain = peak * (0.5 - 0.5 * cos(pi * (n - i) / release))
        else:
            gain = peak
        values.append(int(gain * sin(phase)))
    out = array("h", values)
    return out


def read_wav(path: Path, rate: int = SAMPLE_RATE) -> array[int]:
    """Given a PCM WAV file, return its samples as mono 16-bit at `rate` (mixing down, resampling)."""
    try:
        file_rate, samples = read_pcm(path)
    except (OSError, EOFError, ValueError, wave.Error) as error:
        raise CalmcoachError(f"cannot read the sound file {path}: {error}") from error
    return samples if file_rate == rate else resample(samples, file_rate, rate)


def resample(samples: array[int], from_rate: int, to_rate: int) -> array[int]:
    """Given samples at one rate, return them at another by linear interpolation (for odd voices)."""
    n = max(1, round(len(samples) * to_rate / from_rate))
    last = len(samples) - 1
    out = array("h", bytes(2 * n))
    for i in range(n):
        x = i * from_rate / to_rate
        j = min(int(x), last)
        k = min(j + 1, last)
        out[i] = round(samples[j] + (samples[k] - samples[j]) * (x - j))
    return out


def write_wav(path: Path, samples: array[int], rate: int = SAMPLE_RATE) -> None:
    """Write mono 16-bit samples to `path`, atomically (a reader never sees half a file)."""
    data = samples if LITTLE_ENDIAN else _swapped(samples)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        # Open the file ourselves: wave.open(path) on a missing folder leaves a half-built
        # Wave_write whose __del__ prints "Exception ignored ... AttributeError" to stderr.
        with temporary.open("wb") as file, wave.open(file, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(data.tobytes())
        temporary.replace(path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise CalmcoachError(f"cannot write {path}: {error.strerror or error}") from error


def _swapped(samples: array[int]) -> array[int]:
    copy = array("h", samples)
    copy.byteswap()
    return copy


class Mixer:
    """A growing buffer that sounds are added to at sample offsets.

    It remembers which spans already hold sound: into silence a clip is pasted at C speed; only
    the samples that overlap earlier sound are summed (and clipped) one by one.
    """

    def __init__(self, samples: int = 0) -> None:
        self.buffer = silence(samples)
        self._spans: list[tuple[int, int]] = []  # sorted, disjoint [start, end) spans with sound

    def add(self, offset: int, clip: array[int]) -> None:
        if offset < 0:
            raise ValueError(f"cannot place a sound before the start (offset {offset})")
        end = offset + len(clip)
        if end > len(self.buffer):
            self.buffer.extend(silence(end - len(self.buffer)))
        cursor = offset
        for start, stop in self._spans:
            if stop <= cursor or start >= end:
                continue
            if start > cursor:
                self.buffer[cursor:start] = clip[cursor - offset : start - offset]
            overlap_end = min(stop, end)
            self._sum_into(max(start, cursor), overlap_end, offset, clip)
            cursor = overlap_end
        if cursor < end:
            self.buffer[cursor:end] = clip[cursor - offset :]
        self._mark(offset, end)

    def _sum_into(self, start: int, stop: int, offset: int, clip: array[int]) -> None:
        summed = list(map(operator.add, self.buffer[start:stop], clip[start - offset : stop - offset]))
        if summed and (max(summed) > FULL_SCALE or min(summed) < -FULL_SCALE - 1):
            summed = [max(-FULL_SCALE - 1, min(FULL_SCALE, v)) for v in summed]
        self.buffer[start:stop] = array("h", summed)

    def _mark(self, start: int, end: int) -> None:
        spans = [*self._spans, (start, end)]
        spans.sort()
        merged: list[tuple[int, int]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        self._spans = merged


@dataclass(frozen=True)
class Placement:
    """Where one cue's sound is heard from in the rendered audio (its planned sample)."""

    cue: Cue
    sample: int


@dataclass(frozen=True)
class RenderedSession:
    samples: array[int]
    rate: int
    placements: tuple[Placement, ...]  # every cue, audible or not, at its sample position

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


@dataclass(frozen=True)
class Clip:
    """A sound and where in it the sound is first heard.

    Voice clips start with a few milliseconds faded in from silence (so the cut does not click);
    `lead` is that quiet start, and the clip is placed `lead` samples early so that the voice is
    heard at the cue's time, not a few milliseconds after it.
    """

    samples: array[int]
    lead: int = 0

    @classmethod
    def of_speech(cls, samples: array[int]) -> Clip:
        first = first_above(samples, SILENCE_THRESHOLD)
        return cls(samples, first or 0)

    def audible_seconds(self, rate: int = SAMPLE_RATE) -> float:
        return (len(self.samples) - self.lead) / rate


ClipSource = Callable[[str], Clip]


class ToneBank:
    """Generated tones, each made once, and kept in `cache_dir` when given.

    Making the tones of a session costs about 50 ms of pure Python; reading them back costs under
    a millisecond, and every millisecond before the first cue is one the person waits.
    """

    def __init__(self, rate: int = SAMPLE_RATE, cache_dir: Path | None = None) -> None:
        self.rate = rate
        self.cache_dir = cache_dir
        self._made: dict[ToneSpec, array[int]] = {}

    def __call__(self, tone: Tone, max_seconds: float | None = None) -> array[int]:
        """Return the tone's samples, shortened to `max_seconds` when it would not fit."""
        spec = TONES[tone]
        if max_seconds is not None and max_seconds < spec.seconds:
            spec = replace(spec, seconds=round(max(MIN_TONE_S, max_seconds), 3))
        if spec not in self._made:
            self._made[spec] = self._load_or_make(tone, spec)
        return self._made[spec]

    def _load_or_make(self, tone: Tone, spec: ToneSpec) -> array[int]:
        if self.cache_dir is None:
            return synth_tone(spec, self.rate)
        shape = f"{spec.start_hz:g}-{spec.end_hz:g}-{spec.seconds:g}-{spec.amplitude:g}"
        path = self.cache_dir / f"tone-{tone.value}-{shape}-{self.rate}.wav"
        if path.is_file():
            try:
                return read_wav(path, self.rate)
            except CalmcoachError:
                pass  # a damaged cache file is made again below
        samples = synth_tone(spec, self.rate)
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            write_wav(path, samples, self.rate)
        except (OSError, CalmcoachError):
            pass  # a cache that cannot be written only costs time
        return samples


ToneSource = Callable[[Tone, "float | None"], "array[int]"]


def render(
    timeline: Timeline,
    voice_clip: ClipSource | None,
    tones: ToneSource | None = None,
    rate: int = SAMPLE_RATE,
) -> RenderedSession:
    """Given a timeline and where clips come from, return the whole session's audio.

    `voice_clip` turns a text into its clip (None: no voice); `tones` makes a tone's samples, no
    longer than the seconds given, so that a tone in a short phase ends before the next one.
    The buffer lasts the whole timeline, so a player of this file ends when the session does.
    """
    tones = tones or ToneBank(rate)
    mixer = Mixer(seconds_to_samples(timeline.duration_s, rate))
    composites: dict[tuple[str, Tone | None, float | None], Clip] = {}
    placements = []
    toned = [c.at_s for c in timeline.cues if c.tone is not None]
    for cue in timeline.cues:
        sample = seconds_to_samples(cue.at_s, rate)
        placements.append(Placement(cue, sample))
        text = cue.text if (cue.voice and voice_clip is not None) else ""
        if not text and cue.tone is None:
            continue
        room = _room(toned, cue.at_s) if cue.tone is not None else None
        key = (text, cue.tone, room)
        if key not in composites:
            composites[key] = _composite(text, cue.tone, room, voice_clip, tones)
        clip = composites[key]
        start = sample - clip.lead
        mixer.add(max(0, start), clip.samples[max(0, -start) :])
    return RenderedSession(mixer.buffer, rate, tuple(placements))


def _room(toned: list[float], at_s: float) -> float | None:
    """Return how long a tone at `at_s` may last before the next tone (None: as long as it likes)."""
    index = bisect.bisect_right(toned, at_s + 1e-9)
    return round(toned[index] - at_s - TONE_GAP_S, 3) if index < len(toned) else None


def _composite(
    text: str, tone: Tone | None, room: float | None, voice_clip: ClipSource | None, tones: ToneSource
) -> Clip:
    """Given a cue's words and tone, return them mixed so that both are heard from the same moment."""
    voice = voice_clip(text) if (text and voice_clip is not None) else Clip(array("h"))
    mixer = Mixer()
    if voice.samples:
        mixer.add(0, voice.samples)
    if tone is not None:
        mixer.add(voice.lead, tones(tone, room))
    return Clip(mixer.buffer, voice.lead)
