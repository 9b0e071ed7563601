"""Facts about captured audio that the sound-server tests assert on."""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence

from calmcoach.outputs.wavtools import first_above, last_above
from tests.voice.helpers import SPEECH_LEVEL

FRAME_S = 0.02  # speech energy is judged over 20 ms frames, about one speech sound


def audible_span_s(samples: array[int], rate: int) -> tuple[float, float] | None:
    """Return the first and the last moment louder than SPEECH_LEVEL, in seconds (None: silence)."""
    first, last = first_above(samples, SPEECH_LEVEL), last_above(samples, SPEECH_LEVEL)
    if first is None or last is None:
        return None
    return first / rate, last / rate


def voiced_fraction(samples: array[int], rate: int, start_s: float, end_s: float) -> float:
    """Return the share of 20 ms frames in [start_s, end_s) whose RMS is above SPEECH_LEVEL / 4.

    Speech keeps most frames well above that (about -54 dBFS); a click or a burst of noise
    inside silence does not.
    """
    frame = round(FRAME_S * rate)
    starts = range(round(start_s * rate), round(end_s * rate) - frame + 1, frame)
    if not starts:
        return 0.0
    loud = sum(1 for i in starts if _rms(samples[i : i + frame]) > SPEECH_LEVEL / 4)
    return loud / len(starts)


def _rms(chunk: Sequence[int]) -> float:
    return math.sqrt(sum(s * s for s in chunk) / len(chunk)) if chunk else 0.0
