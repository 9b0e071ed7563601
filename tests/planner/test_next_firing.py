"""next_firing: triggers, days, windows, quiet hours, bounds and the answers' zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from calmcoach.planner import iter_firings, next_firing
from calmcoach.schedule.model import Cron, Reminder, Settings
from tests.planner.build import BERLIN, NEW_YORK, at, every, local, reminder, settings, walls

WEEKDAYS = frozenset(range(5))
# 2026-03-09 is a Monday; the week from it has no daylight-saving change in Berlin.
MONDAY = (2026, 3, 9)


def firings_from(r: Reminder, s: Settings, after: datetime, count: int) -> list[datetime]:
    """The next `count` firings, each asked of next_firing afresh, as the service does."""
    found: list[datetime] = []
    for _ in range(count):
        nxt = next_firing(r, s, after)
        if nxt is None:
            break
        found.append(nxt)
        after = nxt
    return found


def test_at_fires_at_the_next_listed_time_strictly_after() -> None:
    r, s = reminder(trigger=at("10:30", "15:00")), settings()
    assert next_firing(r, s, local(BERLIN, *MONDAY, 9, 0)) == local(BERLIN, *MONDAY, 10, 30)
    assert next_firing(r, s, local(BERLIN, *MONDAY, 10, 30)) == local(BERLIN, *MONDAY, 15, 0)
    assert next_firing(r, s, local(BERLIN, *MONDAY, 15, 0)) == local(BERLIN, 2026, 3, 10, 10, 30)


def test_the_answer_is_in_the_schedule_zone_whatever_zone_after_is_in() -> None:
    r, s = reminder(trigger=at("09:00")), settings(NEW_YORK)
    answer = next_firing(r, s, datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    assert answer == local(NEW_YORK, 2026, 3, 9, 9, 0)
    assert answer is not None and answer.tzinfo is NEW_YORK


def test_a_naive_after_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_firing(reminder(), settings(), datetime(2026, 3, 9, 9, 0))


def test_iter_firings_refuses_naive_bounds_at_once() -> None:
    with pytest.raises(ValueError, match="until"):
        iter_firings(reminder(), settings(), local(BERLIN, *MONDAY), datetime(2026, 3, 10))


def test_every_counts_from_the_window_start_and_stops_before_its_end() -> None:
    r = reminder(trigger=every(minutes=45), between="09:00-12:00")
    got = firings_from(r, settings(), local(BERLIN, *MONDAY, 0, 0), 5)
    assert walls(got) == [
        "2026-03-09 09:45 CET",
        "2026-03-09 10:30 CET",
        "2026-03-09 11:15 CET",
        # 12:00 is the window's end, which is outside it; the next day starts again at 09:45.
        "2026-03-10 09:45 CET",
        "2026-03-10 10:30 CET",
    ]


def test_every_without_a_window_counts_from_midnight() -> None:
    r = reminder(trigger=every(minutes=45))
    got = list(iter_firings(r, settings(), local(BERLIN, *MONDAY, 22, 0), local(BERLIN, 2026, 3, 10, 2, 0)))
    assert walls(got) == [
        "2026-03-09 22:30 CET",
        "2026-03-09 23:15 CET",
        "2026-03-10 00:45 CET",  # midnight is k = 0 of the new day, which never fires
        "2026-03-10 01:30 CET",
    ]


def test_every_in_the_middle_of_a_window_keeps_the_window_grid() -> None:
    r = reminder(trigger=every(minutes=45), between="09:00-18:00")
    assert next_firing(r, settings(), local(BERLIN, *MONDAY, 13, 7)) == local(BERLIN, *MONDAY, 13, 30)


def test_every_with_seconds() -> None:
    r = reminder(trigger=every(seconds=90), between="09:00-10:00")
    got = next_firing(r, settings(), local(BERLIN, *MONDAY, 9, 2))
    assert got is not None
    assert got == local(BERLIN, *MONDAY, 9, 3)
    assert next_firing(r, settings(), got) == local(BERLIN, *MONDAY, 9, 4) + timedelta(seconds=30)


def test_anchor_restarts_the_count_for_that_day_only() -> None:
    r = reminder(trigger=every(minutes=45), between="09:00-18:00")
    back = local(BERLIN, *MONDAY, 13, 7)
    assert next_firing(r, settings(), back, anchor=back) == local(BERLIN, *MONDAY, 13, 52)
    # An anchor outside the window (before it opens) changes nothing.
    early = local(BERLIN, *MONDAY, 7, 0)
    assert next_firing(r, settings(), early, anchor=early) == local(BERLIN, *MONDAY, 9, 45)
    # The next day counts from the window start again.
    evening = local(BERLIN, *MONDAY, 17, 50)
    assert next_firing(r, settings(), evening, anchor=back) == local(BERLIN, 2026, 3, 10, 9, 45)


def test_at_inside_a_window_only() -> None:
    r = reminder(trigger=at("08:00", "10:00", "19:00"), between="09:00-18:00")
    got = firings_from(r, settings(), local(BERLIN, *MONDAY), 2)
    assert walls(got) == ["2026-03-09 10:00 CET", "2026-03-10 10:00 CET"]


class TestDays:
    def test_reminder_days_win_over_settings_days(self) -> None:
        r = reminder(trigger=at("09:00"), days=frozenset({5}))  # Saturdays
        s = settings(days=WEEKDAYS)
        assert next_firing(r, s, local(BERLIN, *MONDAY)) == local(BERLIN, 2026, 3, 14, 9, 0)

    def test_settings_days_apply_when_the_reminder_has_none(self) -> None:
        r = reminder(trigger=at("09:00"))
        s = settings(days=WEEKDAYS)
        got = firings_from(r, s, local(BERLIN, 2026, 3, 13, 12, 0), 2)  # Friday noon
        assert walls(got) == ["2026-03-16 09:00 CET", "2026-03-17 09:00 CET"]

    def test_every_skips_inactive_days(self) -> None:
        r = reminder(trigger=every(hours=4), between="08:00-17:00", days=frozenset({2}))  # Wednesdays
        got = firings_from(r, settings(), local(BERLIN, *MONDAY), 3)
        assert walls(got) == ["2026-03-11 12:00 CET", "2026-03-11 16:00 CET", "2026-03-18 12:00 CET"]

    def test_no_active_days_never_fires(self) -> None:
        r = reminder(trigger=every(minutes=30), days=frozenset())
        assert next_firing(r, settings(), local(BERLIN, *MONDAY)) is None


class TestWindowsAcrossMidnight:
    def test_a_night_window_belongs_to_the_day_it_starts_on(self) -> None:
        # Night shifts on Friday only: the window opens Friday 22:00 and runs into Saturday.
        r = reminder(trigger=every(hours=2), between="22:00-06:00", days=frozenset({4}))
        got = list(iter_firings(r, settings(), local(BERLIN, *MONDAY), local(BERLIN, 2026, 3, 16)))
        assert walls(got) == [
            "2026-03-14 00:00 CET",
            "2026-03-14 02:00 CET",
            "2026-03-14 04:00 CET",
        ]

    def test_a_night_window_started_yesterday_still_fires_after_midnight(self) -> None:
        r = reminder(trigger=at("23:00", "01:30", "05:00"), between="22:00-06:00", days=frozenset({4}))
        # Saturday 01:00: Friday's window is open; Saturday's own never opens (not an active day).
        got = firings_from(r, settings(), local(BERLIN, 2026, 3, 14, 1, 0), 3)
        assert walls(got) == ["2026-03-14 01:30 CET", "2026-03-14 05:00 CET", "2026-03-20 23:00 CET"]

    def test_at_times_after_midnight_do_not_fire_on_the_window_start_date(self) -> None:
        r = reminder(trigger=at("01:30"), between="22:00-06:00", days=frozenset({0}))
        # Monday's window runs into Tuesday: 01:30 fires on Tuesday, never on Monday itself.
        assert next_firing(r, settings(), local(BERLIN, *MONDAY)) == local(BERLIN, 2026, 3, 10, 1, 30)

    def test_cron_in_a_night_window(self) -> None:
        r = reminder(trigger=Cron("0 * * * *"), between="23:00-02:00", days=frozenset({0}))
        got = firings_from(r, settings(), local(BERLIN, *MONDAY), 4)
        assert walls(got) == [
            "2026-03-09 23:00 CET",
            "2026-03-10 00:00 CET",
            "2026-03-10 01:00 CET",
            "2026-03-16 23:00 CET",
        ]


class TestQuietHours:
    def test_nothing_fires_inside_quiet_hours_across_midnight(self) -> None:
        r = reminder(trigger=every(hours=1))
        s = settings(quiet="22:00-07:30")
        got = list(iter_firings(r, s, local(BERLIN, *MONDAY, 20, 0), local(BERLIN, 2026, 3, 10, 10, 0)))
        assert walls(got) == [
            "2026-03-09 21:00 CET",
            # 22:00 is the quiet start (inside); 07:30 is the end (outside) but not a step.
            "2026-03-10 08:00 CET",
            "2026-03-10 09:00 CET",
            "2026-03-10 10:00 CET",
        ]

    def test_a_step_on_the_quiet_end_fires(self) -> None:
        r = reminder(trigger=every(minutes=30))
        s = settings(quiet="22:00-07:30")
        assert next_firing(r, s, local(BERLIN, *MONDAY, 21, 50)) == local(BERLIN, 2026, 3, 10, 7, 30)

    def test_at_and_cron_times_in_quiet_hours_are_dropped(self) -> None:
        s = settings(quiet="12:00-13:00")
        assert next_firing(reminder(trigger=at("12:30", "13:00")), s, local(BERLIN, *MONDAY)) == local(
            BERLIN, *MONDAY, 13, 0
        )
        cron = reminder(trigger=Cron("*/20 12,13 * * *"))
        assert next_firing(cron, s, local(BERLIN, *MONDAY)) == local(BERLIN, *MONDAY, 13, 0)

    def test_cron_only_inside_quiet_hours_never_fires(self) -> None:
        s = settings(quiet="12:00-13:00")
        assert next_firing(reminder(trigger=Cron("*/20 12 * * *")), s, local(BERLIN, *MONDAY)) is None

    def test_a_reminder_entirely_inside_quiet_hours_never_fires(self) -> None:
        r = reminder(trigger=every(minutes=10), between="23:00-05:00")
        assert next_firing(r, settings(quiet="22:00-07:00"), local(BERLIN, *MONDAY)) is None

    def test_quiet_hours_that_cover_the_whole_day_silence_everything(self) -> None:
        assert next_firing(reminder(), settings(quiet="07:00-07:00"), local(BERLIN, *MONDAY)) is None


class TestCron:
    def test_every_quarter_hour(self) -> None:
        r = reminder(trigger=Cron("*/15 * * * *"))
        got = firings_from(r, settings(), local(BERLIN, *MONDAY, 9, 7), 4)
        assert walls(got) == [
            "2026-03-09 09:15 CET",
            "2026-03-09 09:30 CET",
            "2026-03-09 09:45 CET",
            "2026-03-09 10:00 CET",
        ]

    def test_weekdays_only(self) -> None:
        r = reminder(trigger=Cron("0 9 * * mon-fri"))
        got = firings_from(r, settings(), local(BERLIN, 2026, 3, 13, 10, 0), 2)  # Friday after 09:00
        assert walls(got) == ["2026-03-16 09:00 CET", "2026-03-17 09:00 CET"]

    def test_day_of_month_or_weekday(self) -> None:
        r = reminder(trigger=Cron("0 9 1,15 * fri"))
        got = firings_from(r, settings(), local(BERLIN, 2026, 3, 1, 10, 0), 4)
        assert walls(got) == [
            "2026-03-06 09:00 CET",  # a Friday
            "2026-03-13 09:00 CET",  # a Friday
            "2026-03-15 09:00 CET",  # the 15th, a Sunday
            "2026-03-20 09:00 CET",
        ]

    def test_cron_weekdays_and_reminder_days_both_apply(self) -> None:
        r = reminder(trigger=Cron("0 9 * * mon-fri"), days=frozenset({2, 5}))  # Wed and Sat
        got = firings_from(r, settings(), local(BERLIN, *MONDAY), 2)
        assert walls(got) == ["2026-03-11 09:00 CET", "2026-03-18 09:00 CET"]

    def test_sunday_as_zero_and_seven(self) -> None:
        for text in ("0 9 * * 0", "0 9 * * 7", "0 9 * * sun"):
            assert next_firing(reminder(trigger=Cron(text)), settings(), local(BERLIN, *MONDAY)) == local(
                BERLIN, 2026, 3, 15, 9, 0
            )

    def test_a_leap_day_years_away(self) -> None:
        r = reminder(trigger=Cron("0 9 29 feb *"))
        assert next_firing(r, settings(), local(BERLIN, *MONDAY)) == local(BERLIN, 2028, 2, 29, 9, 0)

    def test_a_leap_day_that_must_be_a_monday_across_2100(self) -> None:
        r = reminder(trigger=Cron("0 9 29 feb *"), days=frozenset({0}))
        assert next_firing(r, settings(), local(BERLIN, 2072, 3, 1)) == local(BERLIN, 2112, 2, 29, 9, 0)

    def test_a_date_that_never_exists(self) -> None:
        assert next_firing(reminder(trigger=Cron("0 9 31 feb *")), settings(), local(BERLIN, *MONDAY)) is None

    def test_a_weekday_that_is_never_active(self) -> None:
        r = reminder(trigger=Cron("0 9 * * sat"), days=WEEKDAYS)
        assert next_firing(r, settings(), local(BERLIN, *MONDAY)) is None


def test_an_interval_too_long_for_its_window_never_fires() -> None:
    r = reminder(trigger=every(hours=2), between="09:00-10:00")
    assert next_firing(r, settings(), local(BERLIN, *MONDAY)) is None


@pytest.mark.parametrize(
    "after",
    [
        pytest.param(datetime(1, 1, 1, tzinfo=UTC), id="year-1"),
        pytest.param(datetime(9999, 12, 31, 23, 0, tzinfo=UTC), id="year-9999"),
    ],
)
def test_the_ends_of_the_calendar_do_not_crash(after: datetime) -> None:
    answer = next_firing(reminder(trigger=at("09:00")), settings(), after)
    assert answer is None or answer > after
