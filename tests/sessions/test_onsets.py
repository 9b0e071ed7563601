"""The onset detector itself, on signals whose onsets are known: it must find sound where it
starts, to the millisecond, and not be fooled by a noise floor or by sound that merely continues."""

from __future__ import annotations

import math
import random
from array import array

import pytest

from calmcoach.sessions.onsets import detect_onsets, match_onsets

RATE = 22050


def signal(bursts: list[tuple[float, float]], seconds: float, noise: int = 0) -> array[int]:
    """Sine bursts at (start, length) in seconds over optional white noise."""
    rng = random.Random(7)
    out = array("h", (rng.randint(-noise, noise) if noise else 0 for _ in range(round(seconds * RATE))))
    for start, length in bursts:
        first = round(start * RATE)
        for i in range(round(length * RATE)):
            out[first + i] = max(
                -32768, min(32767, out[first + i] + round(6000 * math.sin(2 * math.pi * 440 * i / RATE)))
            )
    return out


def test_onsets_are_found_to_the_millisecond() -> None:
    starts = [0.25, 1.0, 1.7, 2.9]
    found = detect_onsets(signal([(s, 0.3) for s in starts], 3.5), RATE)
    assert found == [pytest.approx(s, abs=0.001) for s in starts]


def test_a_noise_floor_is_not_sound() -> None:
    starts = [0.5, 1.5]
    found = detect_onsets(signal([(s, 0.4) for s in starts], 2.5, noise=300), RATE)
    assert found == [pytest.approx(s, abs=0.003) for s in starts]


def test_a_short_dip_inside_a_sound_is_not_a_new_onset() -> None:
    # two bursts 30 ms apart are one sound (gaps shorter than min_gap_s)
    found = detect_onsets(signal([(0.2, 0.3), (0.53, 0.3)], 1.2), RATE)
    assert found == [pytest.approx(0.2, abs=0.001)]


def test_matching_pairs_each_plan_with_the_nearest_onset_or_none() -> None:
    matches = match_onsets([1.0, 2.0, 3.0], [1.004, 2.5, 2.98])
    assert [m.found_s for m in matches] == [1.004, None, 2.98]
    assert matches[0].error_s == pytest.approx(0.004)
    assert matches[1].error_s is None
