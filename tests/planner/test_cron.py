"""Cron parsing and day matching: the five fields, names, steps and the day-of-month/weekday rule."""

from __future__ import annotations

from datetime import date

import pytest

from calmcoach.planner.cron import CronError, parse_cron

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def test_every_quarter_hour_selects_four_minutes_and_every_hour() -> None:
    spec = parse_cron("*/15 * * * *")
    assert spec.minutes == (0, 15, 30, 45)
    assert spec.hours == tuple(range(24))


@pytest.mark.parametrize(
    ("expression", "minutes", "hours"),
    [
        pytest.param("0 9 * * *", (0,), (9,), id="single"),
        pytest.param("0,30 8-10 * * *", (0, 30), (8, 9, 10), id="list-and-range"),
        pytest.param("10-40/10 */6 * * *", (10, 20, 30, 40), (0, 6, 12, 18), id="range-step"),
        pytest.param("5/20 0 * * *", (5, 25, 45), (0,), id="start-step-runs-to-the-end"),
        pytest.param("59,0,30 23 * * *", (0, 30, 59), (23,), id="list-is-sorted"),
    ],
)
def test_minutes_and_hours(expression: str, minutes: tuple[int, ...], hours: tuple[int, ...]) -> None:
    spec = parse_cron(expression)
    assert (spec.minutes, spec.hours) == (minutes, hours)


@pytest.mark.parametrize(
    ("field", "weekdays"),
    [
        pytest.param("mon-fri", {MON, TUE, WED, THU, FRI}, id="names"),
        pytest.param("MON-Fri", {MON, TUE, WED, THU, FRI}, id="any-case"),
        pytest.param("1-5", {MON, TUE, WED, THU, FRI}, id="numbers"),
        pytest.param("0", {SUN}, id="zero-is-sunday"),
        pytest.param("7", {SUN}, id="seven-is-sunday"),
        pytest.param("sat-sun", {SAT, SUN}, id="range-ending-on-sunday"),
        pytest.param("mon-sun", set(range(7)), id="whole-week-by-name"),
        pytest.param("5-7", {FRI, SAT, SUN}, id="range-to-seven"),
        pytest.param("*/2", {SUN, TUE, THU, SAT}, id="step-counts-from-sunday"),
        pytest.param("tue,thu,sat,sun", {TUE, THU, SAT, SUN}, id="list-of-names"),
    ],
)
def test_weekdays_count_monday_as_zero(field: str, weekdays: set[int]) -> None:
    assert parse_cron(f"0 9 * * {field}").weekdays == weekdays


def test_month_names_and_numbers_agree() -> None:
    assert parse_cron("0 9 1 jan-mar,dec *").months == parse_cron("0 9 1 1-3,12 *").months == {1, 2, 3, 12}


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        pytest.param("0 9 * *", "expected 5 fields", id="four-fields"),
        pytest.param("0 9 * * * *", "got 6", id="six-fields"),
        pytest.param("60 9 * * *", "minute 60 is outside 0-59", id="minute-too-big"),
        pytest.param("0 24 * * *", "hour 24 is outside 0-23", id="hour-too-big"),
        pytest.param("0 9 0 * *", "day of month 0 is outside 1-31", id="day-zero"),
        pytest.param("0 9 * 13 *", "month 13 is outside 1-12", id="month-13"),
        pytest.param("0 9 * * 8", "weekday 8 is outside 0-7", id="weekday-8"),
        pytest.param("*/0 9 * * *", 'minute step "0" is not a whole number above 0', id="step-zero"),
        pytest.param("0 9 * * fri-mon", 'weekday range "fri-mon" goes backwards', id="backwards-range"),
        pytest.param(
            "0 9 * * funday",
            'weekday "funday" is not a number from 0 to 7 or a name like sun',
            id="unknown-name",
        ),
        pytest.param(
            "0 9 * foo *", 'month "foo" is not a number from 1 to 12 or a name like jan', id="unknown-month"
        ),
        pytest.param("0,,5 9 * * *", 'minute "" is not like', id="empty-item"),
        pytest.param("0 x * * *", 'hour "x" is not a number', id="says-which-field"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expression: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_cron(expression)


def test_day_of_month_alone_must_match() -> None:
    spec = parse_cron("0 9 13 * *")
    assert spec.matches_day(date(2026, 3, 13))
    assert not spec.matches_day(date(2026, 3, 14))


def test_weekday_alone_must_match() -> None:
    spec = parse_cron("0 9 * * mon-fri")
    assert spec.matches_day(date(2026, 3, 13))  # a Friday
    assert not spec.matches_day(date(2026, 3, 14))  # a Saturday


def test_day_of_month_or_weekday_when_both_are_restricted() -> None:
    # crontab(5): "30 4 1,15 * 5" runs on the 1st, the 15th and every Friday.
    spec = parse_cron("30 4 1,15 * fri")
    assert spec.matches_day(date(2026, 3, 1))  # a Sunday, but the 1st
    assert spec.matches_day(date(2026, 3, 13))  # a Friday, not the 1st or the 15th
    assert spec.matches_day(date(2026, 3, 15))
    assert not spec.matches_day(date(2026, 3, 14))  # neither


def test_a_starred_step_counts_as_unrestricted_as_in_vixie_cron() -> None:
    # "*/2" in the day-of-month field starts with "*", so the weekday must match too.
    spec = parse_cron("0 9 */2 * mon")
    assert spec.matches_day(date(2026, 3, 9))  # Monday the 9th
    assert not spec.matches_day(date(2026, 3, 16))  # Monday the 16th: an even day
    assert not spec.matches_day(date(2026, 3, 11))  # the 11th, a Wednesday


def test_month_field_always_applies() -> None:
    spec = parse_cron("0 9 1 jun fri")
    assert not spec.matches_day(date(2026, 3, 13))  # a Friday, but not June
    assert spec.matches_day(date(2026, 6, 5))


@pytest.mark.parametrize(
    ("expression", "possible"),
    [
        pytest.param("0 0 31 2 *", False, id="31-february"),
        pytest.param("0 0 31 apr,jun *", False, id="31-in-30-day-months"),
        pytest.param("0 0 29 2 *", True, id="29-february-in-leap-years"),
        pytest.param("0 0 31 2 mon", True, id="or-with-weekday"),
        pytest.param("0 0 30,31 1-2 *", True, id="january-has-them"),
    ],
)
def test_can_ever_fire(expression: str, possible: bool) -> None:
    assert parse_cron(expression).can_ever_fire() is possible


def test_an_error_names_the_expression_and_carries_the_detail_alone() -> None:
    with pytest.raises(CronError) as caught:
        parse_cron("0 24 * * *")
    assert str(caught.value) == "cron expression '0 24 * * *': hour 24 is outside 0-23"
    assert caught.value.detail == "hour 24 is outside 0-23"  # what `check` puts in its own message
