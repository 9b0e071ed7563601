"""Local wall-clock times to instants: ordinary, skipped (spring) and repeated (autumn) times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from calmcoach.planner.wallclock import ZoneClock, resolve, to_utc
from tests.planner.build import BERLIN, NEW_YORK


def test_an_ordinary_time_is_read_with_its_offset() -> None:
    assert resolve(date(2026, 7, 1), time(9, 0), BERLIN) == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    assert resolve(date(2026, 1, 1), time(9, 0), BERLIN) == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "wall", "change"),
    [
        # Berlin: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
        pytest.param(
            BERLIN, date(2026, 3, 29), time(2, 0), datetime(2026, 3, 29, 1, 0, tzinfo=UTC), id="berlin-0200"
        ),
        pytest.param(
            BERLIN, date(2026, 3, 29), time(2, 30), datetime(2026, 3, 29, 1, 0, tzinfo=UTC), id="berlin-0230"
        ),
        pytest.param(
            BERLIN, date(2026, 3, 29), time(2, 59), datetime(2026, 3, 29, 1, 0, tzinfo=UTC), id="berlin-0259"
        ),
        # New York: 02:00 EST becomes 03:00 EDT at 07:00 UTC.
        pytest.param(
            NEW_YORK, date(2026, 3, 8), time(2, 30), datetime(2026, 3, 8, 7, 0, tzinfo=UTC), id="new-york"
        ),
        # Lord Howe Island moves its clocks by half an hour: 02:00 becomes 02:30 at 15:30 UTC.
        pytest.param(
            ZoneInfo("Australia/Lord_Howe"),
            date(2026, 10, 4),
            time(2, 15),
            datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
            id="lord-howe-half-hour",
        ),
    ],
)
def test_a_skipped_time_is_the_first_instant_after_the_gap(
    zone: ZoneInfo, day: date, wall: time, change: datetime
) -> None:
    instant = resolve(day, wall, zone)
    assert instant == change
    after = instant.astimezone(zone)
    assert after.utcoffset() != (instant - timedelta(seconds=1)).astimezone(zone).utcoffset()


def test_the_times_either_side_of_the_gap_are_untouched() -> None:
    assert resolve(date(2026, 3, 29), time(1, 59), BERLIN) == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    assert resolve(date(2026, 3, 29), time(3, 0), BERLIN) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "wall", "first"),
    [
        pytest.param(
            BERLIN, date(2026, 10, 25), time(2, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC), id="berlin"
        ),
        pytest.param(
            NEW_YORK, date(2026, 11, 1), time(1, 30), datetime(2026, 11, 1, 5, 30, tzinfo=UTC), id="new-york"
        ),
    ],
)
def test_a_repeated_time_is_its_first_occurrence(
    zone: ZoneInfo, day: date, wall: time, first: datetime
) -> None:
    assert resolve(day, wall, zone) == first
    assert resolve(day, wall, zone).astimezone(zone).fold == 0


def test_to_utc_refuses_naive_datetimes_and_converts_aware_ones() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        to_utc(datetime(2026, 3, 29, 9, 0))
    plus_two = timezone(timedelta(hours=2))
    assert to_utc(datetime(2026, 3, 29, 9, 0, tzinfo=plus_two)) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


HAVANA = ZoneInfo("America/Havana")  # springs forward at midnight: 00:00 becomes 01:00


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        pytest.param(BERLIN, date(2026, 3, 29), id="berlin-spring"),
        pytest.param(BERLIN, date(2026, 10, 25), id="berlin-autumn"),
        pytest.param(NEW_YORK, date(2026, 11, 1), id="new-york-autumn"),
        pytest.param(HAVANA, date(2026, 3, 8), id="havana-midnight-gap"),
        pytest.param(HAVANA, date(2026, 10, 31), id="havana-day-before-autumn"),
        pytest.param(HAVANA, date(2026, 11, 1), id="havana-autumn"),
    ],
)
def test_zone_clock_agrees_with_resolve_every_minute_of_a_change_day_and_its_neighbours(
    zone: ZoneInfo, day: date
) -> None:
    clock = ZoneClock(zone)
    for offset_days in (-1, 0, 1):
        current = day + timedelta(days=offset_days)
        for minute in range(24 * 60):
            wall = time(minute // 60, minute % 60)
            assert clock.instant(current, wall) == resolve(current, wall, zone), (current, wall)


@pytest.mark.parametrize(
    ("zone", "day", "plain"),
    [
        pytest.param(BERLIN, date(2026, 3, 28), True, id="berlin-before-spring"),
        pytest.param(BERLIN, date(2026, 3, 29), False, id="berlin-spring"),
        pytest.param(BERLIN, date(2026, 10, 25), False, id="berlin-autumn"),
        pytest.param(HAVANA, date(2026, 3, 7), True, id="havana-before-its-midnight-gap"),
        pytest.param(HAVANA, date(2026, 3, 8), False, id="havana-23-hour-day"),
    ],
)
def test_zone_clock_knows_which_days_have_a_change(zone: ZoneInfo, day: date, plain: bool) -> None:
    assert (ZoneClock(zone).offset_on(day) is not None) is plain


def test_a_missing_midnight_fires_when_the_day_begins() -> None:
    assert resolve(date(2026, 3, 8), time(0, 30), HAVANA).astimezone(HAVANA) == datetime(
        2026, 3, 8, 1, 0, tzinfo=HAVANA
    )
