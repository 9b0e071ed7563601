"""The value parsers: durations, times of day, windows, days and the rest, including properties
that hold for every input (hypothesis)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calmcoach.schedule import values
from calmcoach.schedule.values import Invalid
from calmcoach.units import format_duration

LOW, HIGH = dt.timedelta(seconds=1), dt.timedelta(days=7)


def duration(value: object) -> dt.timedelta:
    return values.duration(value, low=LOW, high=HIGH, bounds="from 1s to 7 days")


@given(st.integers(0, 200), st.integers(0, 600), st.integers(0, 5000))
def test_a_written_duration_means_what_it_says(hours: int, minutes: int, seconds: int) -> None:
    text = f"{hours}h{minutes}m{seconds}s"
    total = dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if LOW <= total <= HIGH:
        assert duration(text) == total
    else:
        with pytest.raises(Invalid, match=r'^expected a duration from 1s to 7 days, got "'):
            duration(text)


@given(st.timedeltas(min_value=LOW, max_value=HIGH))
def test_formatted_durations_read_back(delta: dt.timedelta) -> None:
    whole = dt.timedelta(seconds=round(delta.total_seconds()))
    assert duration(format_duration(whole)) == whole


@settings(max_examples=150)
@given(
    st.one_of(
        st.text(max_size=30), st.integers(), st.floats(), st.booleans(), st.none(), st.lists(st.integers())
    )
)
def test_any_value_is_a_duration_or_an_invalid_saying_what_was_expected(value: object) -> None:
    try:
        result = duration(value)
    except Invalid as error:
        assert error.message.startswith("expected a duration ")
        assert ", got " in error.message
    else:
        assert LOW <= result <= HIGH


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45m", dt.timedelta(minutes=45)),
        ("1h30m", dt.timedelta(minutes=90)),
        ("90s", dt.timedelta(seconds=90)),
        ("1.5h", dt.timedelta(minutes=90)),
        ("1h 5m", dt.timedelta(minutes=65)),
        ("168h", HIGH),
        ("1s", LOW),
    ],
)
def test_duration_examples(text: str, expected: dt.timedelta) -> None:
    assert duration(text) == expected


@given(st.integers(0, 23), st.integers(0, 59))
def test_every_clock_time_parses(hour: int, minute: int) -> None:
    assert values.clock(f"{hour:02d}:{minute:02d}") == dt.time(hour, minute)
    assert values.clock(f"{hour}:{minute:02d}") == dt.time(hour, minute)


@given(st.integers(0, 99), st.integers(0, 99))
def test_impossible_clock_times_are_refused(hour: int, minute: int) -> None:
    text = f"{hour:02d}:{minute:02d}"
    if hour <= 23 and minute <= 59:
        assert values.clock(text) == dt.time(hour, minute)
    else:
        with pytest.raises(Invalid, match=r'^expected a time of day from "00:00" to "23:59"'):
            values.clock(text)


@given(st.times(), st.times())
def test_windows_cross_midnight_when_they_end_before_they_start(start: dt.time, end: dt.time) -> None:
    start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
    text = f"{start:%H:%M}-{end:%H:%M}"
    if start == end:
        with pytest.raises(Invalid, match="start and end differ"):
            values.window(text)
        return
    window = values.window(text)
    assert (window.start, window.end, window.crosses_midnight) == (start, end, end < start)
    assert window.contains(start) and not window.contains(end)


def test_toml_times_of_day_in_whole_minutes_are_accepted() -> None:
    assert values.clock(dt.time(9, 30)) == dt.time(9, 30)
    with pytest.raises(Invalid, match="whole minutes"):
        values.clock(dt.time(9, 30, 15))


@given(st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1))
def test_days_as_a_list_or_as_text_agree(names: list[str]) -> None:
    expected = frozenset(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].index(n) for n in names)
    assert values.days(names) == expected
    assert values.days(",".join(names)) == expected


@given(st.integers(0, 6), st.integers(0, 6))
def test_day_ranges_run_forward_and_wrap_over_the_weekend(first: int, last: int) -> None:
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    days = values.days(f"{names[first]}-{names[last]}")
    assert len(days) == (last - first) % 7 + 1
    assert first in days and last in days


def test_at_times_are_sorted_and_unique() -> None:
    assert values.clock_times(["15:00", "9:05", "12:00"]) == (dt.time(9, 5), dt.time(12), dt.time(15))
    with pytest.raises(Invalid) as caught:
        values.clock_times(["10:00", "12:00", "10:00"])
    assert caught.value.item == 3


def test_describe_says_what_was_found() -> None:
    assert values.describe("soon") == '"soon"'
    assert values.describe(45) == "45 (a number)"
    assert values.describe(0.5) == "0.5 (a number)"
    assert values.describe(True) == "true (a boolean)"
    assert values.describe([]) == "an empty list"
    assert values.describe([1, 2]) == "a list of 2"
    assert values.describe({"a": 1}) == "a table"
    assert values.describe(dt.date(2026, 1, 2)) == "2026-01-02 (a date)"
    assert values.describe("x" * 100) == '"' + "x" * 57 + '..."'


def test_numbers_refuse_booleans_and_nan() -> None:
    for bad in (True, float("nan"), float("inf"), "1"):
        with pytest.raises(Invalid):
            values.number(bad, low=0, high=10)
    assert values.number(3, low=0, high=10) == 3.0
