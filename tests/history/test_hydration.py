"""Hydration pace and what a hydration reminder should do, with the pace worked out by hand."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from calmcoach.intake import hydration
from calmcoach.schedule.model import TimeWindow

BERLIN = ZoneInfo("Europe/Berlin")
DAY = TimeWindow(time(8), time(20))
INTERVAL = timedelta(minutes=45)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 5, 6, hour, minute, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(at(7), 0.0, id="before-the-window"),
        pytest.param(at(8), 0.0, id="at-the-start"),
        pytest.param(at(11), 500.0, id="a-quarter-in"),
        pytest.param(at(14), 1000.0, id="halfway"),
        pytest.param(at(20), 2000.0, id="at-the-end"),
        pytest.param(at(23), 2000.0, id="after-the-window"),
    ],
)
def test_expected_is_linear_across_the_window(now: datetime, expected: float) -> None:
    assert hydration.expected_ml(2000, DAY, now) == pytest.approx(expected)


def test_a_window_across_midnight() -> None:
    night = TimeWindow(time(20), time(2))
    assert hydration.window_fraction(night, at(23)) == pytest.approx(0.5)
    assert hydration.window_fraction(night, at(1)) == pytest.approx(5 / 6)
    assert hydration.window_fraction(night, at(3)) == 1.0


@pytest.mark.parametrize(
    ("drunk", "last_drink", "decision"),
    [
        pytest.param(1000, at(13, 30), "skip", id="on-pace-and-drank-recently"),
        pytest.param(1200, at(13, 59), "skip", id="ahead-and-drank-recently"),
        pytest.param(1000, at(13, 0), "normal", id="on-pace-but-not-recently"),
        pytest.param(1000, None, "normal", id="on-pace-no-drink-time"),
        pytest.param(800, at(13, 50), "normal", id="a-little-behind"),
        pytest.param(750, at(13, 50), "normal", id="exactly-a-glass-behind"),
        pytest.param(700, at(13, 50), "firm", id="more-than-a-glass-behind"),
        pytest.param(0, None, "firm", id="nothing-yet"),
    ],
)
def test_decision_at_two_pm(drunk: float, last_drink: datetime | None, decision: str) -> None:
    # At 14:00, halfway through 08:00-20:00, the pace is 1000 ml of 2000 ml.
    assert hydration.hydration_decision(2000, drunk, DAY, at(14), last_drink, INTERVAL) == decision


def test_before_the_window_nothing_is_due() -> None:
    assert hydration.hydration_decision(2000, 0, DAY, at(7), None, INTERVAL) == "normal"
    assert hydration.hydration_decision(2000, 250, DAY, at(7), at(6, 50), INTERVAL) == "skip"


def test_pace_words() -> None:
    assert hydration.pace_words(2000, 1000, DAY, at(14)) == "on pace"
    assert hydration.pace_words(2000, 600, DAY, at(14)) == "400 ml behind the pace"
    assert hydration.pace_words(2000, 2100, DAY, at(14)) == "goal reached"
