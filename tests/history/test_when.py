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
