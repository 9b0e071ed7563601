"""Per-day totals and the plain-language associations, with counts worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from calmcoach.intake.charts import BAR_WIDTH, bar, chart_rows, plain_chart
from calmcoach.intake.records import CaffeineEntry, SessionRecord, TwitchEntry, WaterEntry
from calmcoach.intake.stats import DayStats, associations, days_ending, per_day

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2024, 5, 6)


def test_days_ending() -> None:
    assert days_ending(MONDAY, 3) == [date(2024, 5, 4), date(2024, 5, 5), MONDAY]


def test_per_day_sums_each_local_day() -> None:
    days = days_ending(MONDAY, 2)
    sunday_late_utc = datetime(2024, 5, 5, 22, 30, tzinfo=UTC)  # 00:30 on Monday in Berlin
    at_noon = datetime(2024, 5, 5, 12, tzinfo=BERLIN)
    result = per_day(
        days,
        BERLIN,
        water=[WaterEntry(1, at_noon, 250), WaterEntry(2, at_noon, 500), WaterEntry(3, sunday_late_utc, 250)],
        caffeine=[CaffeineEntry(1, sunday_late_utc, 96)],
        sessions=[
            SessionRecord(1, "breathing", "box", at_noon, 4, 4, True),
            SessionRecord(2, "breathing", "box", at_noon, 4, 1, False),
        ],
        twitches=[TwitchEntry(1, at_noon), TwitchEntry(2, at_noon - timedelta(days=5))],  # 2nd: out of range
    )
    assert result == [
        DayStats(date(2024, 5, 5), water_ml=750, sessions=1, twitches=1, logged=True),
        DayStats(MONDAY, water_ml=250, caffeine_mg=96, logged=True),
    ]


def day(n: int, *, twitches: int = 0, caffeine: float = 0, water: float = 0, logged: bool = True) -> DayStats:
    return DayStats(MONDAY - timedelta(days=n), water, caffeine, 0, twitches, logged)


def test_associations_count_and_state_the_sample() -> None:
    days = [
        day(0, twitches=1, caffeine=350, water=1500),
        day(1, twitches=2, caffeine=400, water=2100),
        day(2, twitches=1, caffeine=320),  # no water logged: left out of the water comparison
        day(3, twitches=1, caffeine=100, water=900),
        day(4, caffeine=350, water=2000),
        day(5, caffeine=80, water=2500),
        day(6, caffeine=0, water=1200),
        day(7, caffeine=96, water=2000),
        day(8, caffeine=96, water=2200),
        day(9, caffeine=96, water=1900),
        day(10, logged=False),  # nothing logged: left out
    ]
    assert associations(days, 2000) == [
        "Twitching was logged on 4 of the 10 days with entries.",
        "3 of the 4 days with twitching had more than 300 mg of caffeine, against 1 of the 6 without.",
        "2 of the 3 days with twitching and water logged had less than the water goal (2 l), "
        "against 2 of the 6 without.",
        "10 days in all — too few to draw conclusions.",
    ]


def test_enough_days_get_a_different_caveat() -> None:
    days = [day(n, twitches=n % 3 == 0, caffeine=350 if n % 2 else 0, water=2000) for n in range(30)]
    notes = associations(days, 2000)
    assert notes[0] == "Twitching was logged on 10 of the 30 days with entries."
    assert notes[-1] == "30 days in all. Days that go together do not show what causes what."


def test_no_entries_and_no_twitches() -> None:
    assert associations([day(0, logged=False), day(1, logged=False)], 2000) == [
        "Nothing was logged in these 2 days."
    ]
    assert associations([day(0, water=500)], 2000) == [
        "Twitching was logged on 0 of the 1 day with entries.",
        "1 day in all — too few to draw conclusions.",
    ]


def test_bars() -> None:
    assert bar(1000, 2000, "1 l").filled == BAR_WIDTH // 2
    assert bar(5, 2000, "5 ml").filled == 1  # anything at all shows
    over = bar(600, 400, "600 mg")
    assert (over.filled, over.over) == (BAR_WIDTH, True)
    assert bar(0, 0, "0").text() == "." * BAR_WIDTH + " 0"


def test_plain_chart_has_a_row_per_day() -> None:
    rows = chart_rows([day(1, water=1000, caffeine=200, twitches=1), day(0)], 2000, 400)
    lines = plain_chart(rows)
    assert lines[0].split() == ["day", "water", "caffeine", "sessions", "twitches"]
    assert lines[1].startswith("Sun 05 May  #####..... 1 l ")
    assert lines[1].endswith("########## 1")
    assert "#####..... 200 mg" in lines[1]
    assert len(lines) == 3
