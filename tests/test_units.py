"""The parsers of what people type: durations, clock times, volumes and caffeine doses."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calmcoach.units import (
    format_duration,
    parse_caffeine_mg,
    parse_clock,
    parse_duration,
    parse_volume_ml,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("45m", timedelta(minutes=45)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m 5s", timedelta(hours=1, minutes=30, seconds=5)),
        ("1.5h", timedelta(minutes=90)),
        ("2H", timedelta(hours=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "45", "m", "1x", "-5m", "1h30", "h1"])
def test_bad_durations_say_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match=r'expected a duration like "45m"'):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=7 * 24 * 3600))
def test_format_duration_round_trips(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    text = format_duration(delta)
    if seconds == 0:
        assert text == "0s"
    else:
        assert parse_duration(text) == delta


@pytest.mark.parametrize(
    ("text", "expected"), [("09:30", time(9, 30)), ("0:05", time(0, 5)), ("23:59", time(23, 59))]
)
def test_clock_times(text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text", ["25:00", "12:60", "noon", "9", "09:5", "24:00"])
def test_impossible_clock_times(text: str) -> None:
    with pytest.raises(ValueError, match="expected a time of day"):
        parse_clock(text)


@pytest.mark.parametrize(
    ("text", "ml"),
    [
        ("250ml", 250.0),
        ("0.5l", 500.0),
        ("1.5 l", 1500.0),
        ("8oz", 8 * 29.5735),
        ("glass", 250.0),
        ("2 glasses", 500.0),
        ("bottle", 500.0),
        ("3 bottles", 1500.0),
        ("2 cups", 480.0),
        ("33cl", 330.0),
    ],
)
def test_volumes(text: str, ml: float) -> None:
    assert parse_volume_ml(text) == pytest.approx(ml)


@pytest.mark.parametrize("text", ["", "gla", "0 glass", "lots", "5 buckets", "ml5"])
def test_bad_volumes(text: str) -> None:
    with pytest.raises(ValueError, match="expected an amount like"):
        parse_volume_ml(text)


@pytest.mark.parametrize(("text", "mg"), [("120mg", 120.0), ("95 mg", 95.0), ("0.1g", 100.0)])
def test_caffeine_doses(text: str, mg: float) -> None:
    assert parse_caffeine_mg(text) == pytest.approx(mg)


@pytest.mark.parametrize("text", ["", "120", "0mg", "a lot", "120 ml"])
def test_bad_caffeine_doses(text: str) -> None:
    with pytest.raises(ValueError, match="expected a caffeine dose"):
        parse_caffeine_mg(text)


@given(st.text(max_size=30))
def test_parsers_only_ever_raise_value_error(text: str) -> None:
    for parse in (parse_duration, parse_clock, parse_volume_ml, parse_caffeine_mg):
        with contextlib.suppress(ValueError):
            parse(text)


@pytest.mark.parametrize("value", [None, 45, b"45m", ["45m"]])
@pytest.mark.parametrize("parse", [parse_duration, parse_clock, parse_volume_ml, parse_caffeine_mg])
def test_a_value_that_is_not_text_is_a_value_error(parse: Callable[[str], object], value: object) -> None:
    with pytest.raises(ValueError, match=r"^expected "):
        parse(value)  # type: ignore[arg-type]


def test_a_long_value_is_cut_in_the_message() -> None:
    with pytest.raises(ValueError) as raised:
        parse_duration("x" * 20_000)
    assert str(raised.value) == f'expected a duration like "45m", "90s" or "1h30m", got \'{"x" * 57}...\''
