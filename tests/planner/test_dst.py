"""Daylight-saving changes in Europe/Berlin and America/New_York, 2026: nothing doubles, nothing is lost."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from calmcoach.planner import agenda, iter_firings
from calmcoach.schedule.model import Cron
from tests.planner.build import (
    BERLIN,
    CHANGE_DAYS,
    NEW_YORK,
    at,
    every,
    local,
    reminder,
    schedule,
    settings,
    walls,
)

CHANGES = [pytest.param(zone, day, season, id=f"{zone.key}-{season}") for zone, day, season in CHANGE_DAYS]


def day_bounds(zone: ZoneInfo, day: datetime) -> tuple[datetime, datetime]:
    """The change day from local midnight (inclusive) to the next local midnight (exclusive)."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    end = start.replace(tzinfo=None) + timedelta(days=1)
    return start - timedelta(microseconds=1), end.replace(tzinfo=zone) - timedelta(microseconds=1)


@pytest.mark.parametrize(("zone", "day", "season"), CHANGES)
def test_a_daily_0230_reminder_fires_exactly_once_on_the_change_day(
    zone: ZoneInfo, day: datetime, season: str
) -> None:
    start, end = day_bounds(zone, day)
    plan = agenda(schedule(reminder("night", at("02:30")), zone=zone), start, end)
    assert len(plan) == 1
    fired = plan[0].at
    if season == "spring":
        # 02:30 does not exist: the reminder fires at the first instant after the gap, 03:00.
        assert (fired.hour, fired.minute) == (3, 0)
    else:
        # 02:30 (Berlin) happens twice; New York's repeated hour is 01:00-02:00, so 02:30 is plain.
        assert (fired.hour, fired.minute, fired.fold) == (2, 30, 0)


@pytest.mark.parametrize(("zone", "day", "season"), CHANGES)
def test_daily_reminders_fire_once_on_every_day_around_the_change(
    zone: ZoneInfo, day: datetime, season: str
) -> None:
    # Every minute of the clock that could be special: the gap, the repeated hour, and their edges.
    times = ("00:30", "01:00", "01:30", "01:59", "02:00", "02:30", "02:59", "03:00", "03:30", "12:00")
    reminders = [reminder(f"at-{t}", at(t)) for t in times]
    start = datetime(day.year, day.month, day.day, tzinfo=zone) - timedelta(days=2)
    end = start + timedelta(days=5)
    plan = agenda(schedule(*reminders, zone=zone), start, end)
    per_name_and_day: dict[tuple[str, object], int] = {}
    for firing in plan:
        key = (firing.reminder.name, firing.at.date())
        per_name_and_day[key] = per_name_and_day.get(key, 0) + 1
    assert set(per_name_and_day.values()) == {1}
    assert len(per_name_and_day) == len(times) * 5


@pytest.mark.parametrize(("zone", "day", "season"), CHANGES)
def test_every_steps_evenly_in_elapsed_time_across_the_change(
    zone: ZoneInfo, day: datetime, season: str
) -> None:
    start, end = day_bounds(zone, day)
    fired = [f.at for f in agenda(schedule(reminder("water", every(minutes=30)), zone=zone), start, end)]
    # Measured between instants (subtracting two datetimes of one zone would use the wall clock).
    gaps = {b.timestamp() - a.timestamp() for a, b in pairwise(fired)}
    assert gaps == {30 * 60.0}  # no double, no hole
    hours = 23 if season == "spring" else 25
    # 30-minute steps from midnight to (not including) the next midnight, k >= 1.
    assert len(fired) == hours * 2 - 1
    assert len({f.timestamp() for f in fired}) == len(fired)


def test_every_in_berlin_autumn_shows_the_repeated_hour_twice() -> None:
    r = reminder("water", every(hours=1), between="00:00-06:00")
    got = list(
        iter_firings(r, settings(BERLIN), local(BERLIN, 2026, 10, 25), local(BERLIN, 2026, 10, 25, 12))
    )
    assert walls(got) == [
        "2026-10-25 01:00 CEST",
        "2026-10-25 02:00 CEST",
        "2026-10-25 02:00 CET",
        "2026-10-25 03:00 CET",
        "2026-10-25 04:00 CET",
        "2026-10-25 05:00 CET",
    ]


def test_every_in_new_york_spring_is_anchored_on_the_wall_clock_window_start() -> None:
    r = reminder("water", every(hours=1), between="00:00-06:00")
    got = list(
        iter_firings(r, settings(NEW_YORK), local(NEW_YORK, 2026, 3, 8), local(NEW_YORK, 2026, 3, 9, 1, 30))
    )
    assert walls(got) == [
        "2026-03-08 01:00 EST",
        "2026-03-08 03:00 EDT",  # one hour after 01:00 EST
        "2026-03-08 04:00 EDT",
        "2026-03-08 05:00 EDT",
        "2026-03-09 01:00 EDT",  # the next day starts again from 00:00 on the wall clock
    ]


def test_a_window_that_starts_in_the_gap_opens_when_the_gap_ends() -> None:
    r = reminder("water", every(minutes=30), between="02:30-04:00")
    got = list(iter_firings(r, settings(BERLIN), local(BERLIN, 2026, 3, 29), local(BERLIN, 2026, 3, 29, 12)))
    assert walls(got) == ["2026-03-29 03:30 CEST"]  # window 03:00-04:00 that day; k = 1 only


@pytest.mark.parametrize(("zone", "day", "season"), CHANGES)
def test_cron_every_quarter_hour_across_the_change(zone: ZoneInfo, day: datetime, season: str) -> None:
    start, end = day_bounds(zone, day)
    fired = [f.at for f in agenda(schedule(reminder("c", Cron("*/15 * * * *")), zone=zone), start, end)]
    assert len({f.timestamp() for f in fired}) == len(fired)
    assert [f.timestamp() for f in fired] == sorted(f.timestamp() for f in fired)
    # 96 quarter hours on the wall clock. Spring: the four in the gap collapse into 03:00, which
    # is a quarter hour itself. Autumn: the repeated hour's four fire only the first time.
    assert len(fired) == (92 if season == "spring" else 96)


def test_berlin_autumn_cron_fires_the_repeated_hour_once() -> None:
    r = reminder("c", Cron("*/30 1-3 * * *"))
    got = list(
        iter_firings(r, settings(BERLIN), local(BERLIN, 2026, 10, 25), local(BERLIN, 2026, 10, 25, 12))
    )
    assert walls(got) == [
        "2026-10-25 01:00 CEST",
        "2026-10-25 01:30 CEST",
        "2026-10-25 02:00 CEST",
        "2026-10-25 02:30 CEST",
        "2026-10-25 03:00 CET",
        "2026-10-25 03:30 CET",
    ]


def test_quiet_hours_across_midnight_on_the_autumn_night() -> None:
    r = reminder("water", every(hours=1))
    got = list(
        iter_firings(
            r,
            settings(BERLIN, quiet="22:00-07:00"),
            local(BERLIN, 2026, 10, 24, 20),
            local(BERLIN, 2026, 10, 25, 9),
        )
    )
    # The autumn day is 25 hours long: 07:00 CET is 8 elapsed hours after midnight.
    assert walls(got) == [
        "2026-10-24 21:00 CEST",
        "2026-10-25 07:00 CET",
        "2026-10-25 08:00 CET",
        "2026-10-25 09:00 CET",
    ]


def test_quiet_hours_left_early_by_falling_back_are_not_jumped_over() -> None:
    # New York falls back from 02:00 EDT to 01:00 EST: the wall clock leaves "01:30-06:00" at the
    # change and stays out of it until 01:30 EST.
    r = reminder("water", every(minutes=10))
    got = list(
        iter_firings(
            r,
            settings(NEW_YORK, quiet="01:30-06:00"),
            local(NEW_YORK, 2026, 11, 1, 1, 15),
            local(NEW_YORK, 2026, 11, 1, 6),
        )
    )
    assert walls(got) == [
        "2026-11-01 01:20 EDT",
        "2026-11-01 01:00 EST",
        "2026-11-01 01:10 EST",
        "2026-11-01 01:20 EST",
        "2026-11-01 06:00 EST",
    ]


def test_quiet_hours_entered_again_by_falling_back_end_at_their_second_showing() -> None:
    # Berlin falls back from 03:00 CEST to 02:00 CET: "00:00-02:15" ends at 02:15 CEST, starts
    # again at 02:00 CET and ends for good at 02:15 CET, the same day, not the next one.
    r = reminder("water", every(minutes=7))
    got = list(
        iter_firings(
            r,
            settings(BERLIN, quiet="00:00-02:15"),
            local(BERLIN, 2026, 10, 25, 2, 50),
            local(BERLIN, 2026, 10, 25, 2, 30, fold=1),
        )
    )
    assert walls(got) == [
        "2026-10-25 02:55 CEST",
        "2026-10-25 02:16 CET",  # 7-minute steps from midnight CEST, the first after 02:15 CET
        "2026-10-25 02:23 CET",
        "2026-10-25 02:30 CET",
    ]
