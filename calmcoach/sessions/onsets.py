"""Finding where sounds start in recorded or rendered audio, by its energy alone.

Used by the tests and the benchmark to check cue timing from the audio itself rather than from
our own bookkeeping: a cue is where the sound is, wherever the renderer thinks it put it.

The method: the short-time energy of 1 ms frames; an onset is a frame above a threshold after at
least `min_gap_s` below it; then the first sample in that neighbourhood whose amplitude crosses
the threshold gives the onset to the sample.
"""

from __future__ import annotations

import math
import operator
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

FRAME_S = 0.001
FLOOR = 0.004  # of full scale: -48 dBFS, below any cue we make, above dither and hiss


def frame_rms(samples: array[int], frame: int) -> list[float]:
    """Given samples and a frame length, return the RMS of each whole frame."""
    out = []
    for start in range(0, len(samples) - frame + 1, frame):
        chunk = samples[start : start + frame]
        out.append(math.sqrt(sum(map(operator.mul, chunk, chunk)) / frame))
    return out


def detect_onsets(
    samples: array[int], rate: int, *, min_gap_s: float = 0.08, floor: float = FLOOR
) -> list[float]:
    """Given mono 16-bit samples, return the times (seconds) at which sound starts after silence.

    The threshold is the larger of `floor` (of full scale) and four times the quiet level (the
    10th percentile of frame energy), so steady background noise does not count as sound.
    """
    frame = max(1, round(FRAME_S * rate))
    rms = frame_rms(samples, frame)
    if not rms:
        return []
    quiet = sorted(rms)[len(rms) // 10]
    threshold = max(floor * 32768, 4 * quiet)
    gap_frames = max(1, round(min_gap_s / FRAME_S))
    onsets: list[float] = []
    silent_run = gap_frames  # the start of the file counts as after silence
    for index, level in enumerate(rms):
        if level < threshold:
            silent_run += 1
            continue
        if silent_run >= gap_frames:
            first = _first_crossing(samples, (index - 1) * frame, (index + 1) * frame, threshold)
            onsets.append(first / rate)
        silent_run = 0
    return onsets


def _first_crossing(samples: array[int], start: int, stop: int, threshold: float) -> int:
    """Return the first sample in [start, stop) whose magnitude reaches the threshold."""
    start = max(0, start)
    for i in range(start, min(stop, len(samples))):
        if abs(samples[i]) >= threshold:
            return i
    return start


@dataclass(frozen=True)
class Match:
    planned_s: float
    found_s: float | None  # None: no onset near the planned time

    @property
    def error_s(self) -> float | None:
        return None if self.found_s is None else self.found_s - self.planned_s


def match_onsets(planned: Sequence[float], found: Sequence[float], window_s: float = 0.1) -> list[Match]:
    """Given planned cue times and detected onsets, pair each plan with the nearest onset in the window."""
    matches = []
    for plan in planned:
        near = [f for f in found if abs(f - plan) <= window_s]
        matches.append(Match(plan, min(near, key=lambda f: abs(f - plan)) if near else None))
    return matches
