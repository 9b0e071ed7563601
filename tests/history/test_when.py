"""`--at` values: a time today, an ISO 8601 date and time, a time ago; never the future."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from calmcoach.intake.when import parse_at

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2024, 5, 6, 14, 30, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("09:15", datetime(2024, 5, 6, 9, 15, tzinfo=BERLIN), id="clock-today"),
        pytest.param("9:05", datetime(2024, 5, 6, 9, 5, tzinfo=BERLIN), id="one-digit-hour"),
        pytest.param("14:31", datetime(2024, 5, 6, 14, 31, tzinfo=BERLIN), id="within-a-minute"),
        pytest.param("2024-05-05T22:10", datetime(2024, 5, 5, 22, 10, tzinfo=BERLIN), id="iso-local"),
        pytest.param("2024-05-05 22:10", datetime(2024, 5, 5, 22, 10, tzinfo=BERLIN), id="iso-space"),
        pytest.param("2024-05-06T10:00Z", datetime(2024, 5, 6, 10, tzinfo=UTC), id="iso-utc"),
        pytest.param(
            "2024-05-06T08:00-04:00",
            datetime(2024, 5, 6, 8, tzinfo=timezone(timedelta(hours=-4))),
            id="iso-offset",
        ),
        pytest.param("45m ago", NOW - timedelta(minutes=45), id="ago"),
        pytest.param("-1h30m", NOW - timedelta(hours=1, minutes=30), id="minus"),
    ],
)
def test_accepted(text: str, expected: datetime) -> None:
    got = parse_at(text, NOW, BERLIN)
    assert got == expected
    assert got.tzinfo is not None
    assert got.utcoffset() == got.astimezone(BERLIN).utcoffset()  # kept in the schedule's zone


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("14:32", "in the future", id="clock-later-today"),
        pytest.param("23:30", "for yesterday, give the date", id="hint-for-yesterday"),
        pytest.param("2024-05-07T08:00", "in the future", id="tomorrow"),
        pytest.param("25:00", "expected", id="no-such-hour"),
        pytest.param("yesterday", "expected", id="words"),
        pytest.param("2024-05-06", "expected", id="a-bare-date"),
        pytest.param("soon ago", "expected", id="bad-duration"),
    ],
)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_at(text, NOW, BERLIN)


# Summer time in Berlin in 2026 starts at 01:00 UTC on 29 March (02:00 -> 03:00) and ends at
# 01:00 UTC on 25 October (03:00 -> 02:00).
SPRING_NOW = datetime(2026, 3, 29, 1, 10, tzinfo=UTC).astimezone(BERLIN)  # 03:10 CEST
AUTUMN_NOW = datetime(2026, 10, 25, 1, 10, tzinfo=UTC).astimezone(BERLIN)  # 02:10 CET, the second one


@pytest.mark.parametrize(
    ("now", "text", "expected_utc"),
    [
        # Wall-clock arithmetic in the zone gave 00:40 UTC (30 real minutes) and 23:40 / 22:10
        # UTC (90 minutes and 3 hours).
        pytest.param(SPRING_NOW, "90m ago", datetime(2026, 3, 28, 23, 40, tzinfo=UTC), id="spring-ago"),
        pytest.param(AUTUMN_NOW, "30m ago", datetime(2026, 10, 25, 0, 40, tzinfo=UTC), id="autumn-ago"),
        pytest.param(AUTUMN_NOW, "-2h", datetime(2026, 10, 24, 23, 10, tzinfo=UTC), id="autumn-minus"),
        # 02:30 does not exist that night: read with the offset before the change, it is the
        # instant the clock showed as 03:30, and it is shown so.
        pytest.param(
            SPRING_NOW + timedelta(hours=2),
            "02:30",
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
            id="skipped-hour",
        ),
    ],
)
def test_times_are_real_instants_across_a_change_of_summer_time(
    now: datetime, text: str, expected_utc: datetime
) -> None:
    got = parse_at(text, now, BERLIN)
    assert got.astimezone(UTC) == expected_utc
    assert (got.hour, got.minute) == (
        expected_utc.astimezone(BERLIN).hour,
        expected_utc.astimezone(BERLIN).minute,
    )


def test_a_time_in_the_skipped_hour_that_lies_ahead_is_refused() -> None:
    # At 03:10 CEST, "02:59" read with the winter offset is 01:59 UTC: 49 minutes ahead, though
    # its wall clock reads 11 minutes earlier.
    with pytest.raises(ValueError, match="in the future"):
        parse_at("02:59", SPRING_NOW, BERLIN)
