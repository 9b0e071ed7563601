"""Pattern arithmetic: cycle length, breaths per minute, and rounding minutes to whole cycles."""

from __future__ import annotations

import pytest

from calmcoach.content.patterns import (
    BUILT_IN,
    DEFAULT_SESSION_MINUTES,
    BreathingPattern,
    built_in_pattern,
    make_pattern,
)


def pattern(name: str) -> BreathingPattern:
    found = built_in_pattern(name)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("name", "cycle_s", "per_minute", "timing"),
    [
        pytest.param("box", 16.0, 3.75, "4-4-4-4", id="box"),
        pytest.param("4-7-8", 19.0, 60 / 19, "4-7-8", id="4-7-8"),
        pytest.param("coherent", 11.0, 60 / 11, "5.5-5.5", id="coherent"),
        pytest.param("resonant", 10.0, 6.0, "5-5", id="resonant"),
        pytest.param("extended-exhale", 12.0, 5.0, "4-8", id="extended-exhale"),
        pytest.param("cyclic-sigh", 12.0, 5.0, "3-1-8", id="cyclic-sigh"),
    ],
)
def test_cycle_length_and_breaths_per_minute(
    name: str, cycle_s: float, per_minute: float, timing: str
) -> None:
    p = pattern(name)
    assert p.cycle_seconds == pytest.approx(cycle_s)
    assert p.breaths_per_minute == pytest.approx(per_minute)
    assert p.timing == timing


def test_coherent_breathing_is_five_and_a_half_breaths_a_minute() -> None:
    # Lin et al. 2014: 5.5 breaths a minute (DESIGN section 5).
    assert pattern("coherent").breaths_per_minute == pytest.approx(5.4545, abs=1e-3)


@pytest.mark.parametrize(
    ("name", "minutes", "cycles"),
    [
        pytest.param("box", 2, 8, id="box-2min-7.5-rounds-up"),
        pytest.param("box", 1, 4, id="box-1min-3.75"),
        pytest.param("resonant", 5, 30, id="resonant-exact"),
        pytest.param("coherent", 2, 11, id="coherent-10.9"),
        pytest.param("4-7-8", 1, 3, id="4-7-8-3.16"),
        pytest.param("box", 0.1, 1, id="never-zero-cycles"),
        pytest.param("cyclic-sigh", 5, 25, id="cyclic-sigh-5min"),
    ],
)
def test_minutes_round_to_whole_cycles(name: str, minutes: float, cycles: int) -> None:
    assert pattern(name).cycles_for_minutes(minutes) == cycles


def test_halves_round_up_not_to_even() -> None:
    # 6.5 cycles: Python's round() would give 6 (banker's rounding); a session rounds halves up.
    p = make_pattern("ten", 5, 0, 5)
    assert p.cycles_for_minutes(65 / 60) == 7


def test_default_length_is_about_two_minutes_except_4_7_8() -> None:
    for p in BUILT_IN:
        if p.name == "4-7-8":
            assert p.session_cycles == 4  # Weil: four cycles at first
            continue
        length = p.session_cycles * p.cycle_seconds
        assert abs(length - DEFAULT_SESSION_MINUTES * 60) <= p.cycle_seconds / 2, p.name


def test_the_one_length_rule_takes_cycles_then_minutes_then_the_default() -> None:
    box = pattern("box")  # 16 s cycles
    assert box.cycles_wanted(cycles=3) == 3
    assert box.cycles_wanted(minutes=2) == 8
    assert box.cycles_wanted() == box.session_cycles == 8
    assert pattern("4-7-8").cycles_wanted() == 4  # the advised count, not two minutes' worth


def test_zero_length_phases_are_left_out() -> None:
    p = make_pattern("custom", 4, 0, 6, 2)
    assert [ph.kind.value for ph in p.phases] == ["inhale", "exhale", "rest"]
    assert p.cycle_seconds == 12
