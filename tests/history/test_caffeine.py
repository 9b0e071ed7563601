"""The caffeine model against values worked out by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from calmcoach.intake import caffeine as model
from calmcoach.intake.records import CaffeineEntry

BERLIN = ZoneInfo("Europe/Berlin")
FIVE_HOURS = timedelta(hours=5)


def dose(mg: float, at: datetime) -> CaffeineEntry:
    return CaffeineEntry(0, at, mg)


def berlin(day: int, hour: int, minute: int = 0, month: int = 5) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("hours", "half_life_h", "expected"),
    [
        pytest.param(0, 5, 100.0, id="just-taken"),
        pytest.param(5, 5, 50.0, id="one-half-life"),
        pytest.param(10, 5, 25.0, id="two-half-lives"),
        pytest.param(2.5, 5, 100 / math.sqrt(2), id="half-a-half-life"),
        pytest.param(6, 4, 100 * 2**-1.5, id="other-half-life"),
    ],
)
def test_one_dose_decays_by_half_each_half_life(hours: float, half_life_h: float, expected: float) -> None:
    taken = berlin(6, 8)
    level = model.level_at([dose(100, taken)], taken + timedelta(hours=hours), timedelta(hours=half_life_h))
    assert level == pytest.approx(expected)


def test_two_doses_add_up() -> None:
    # 100 mg at 08:00 and 100 mg at 13:00; at 18:00 the first is two half-lives old (25 mg) and
    # the second one half-life old (50 mg).
    doses = [dose(100, berlin(6, 8)), dose(100, berlin(6, 13))]
    assert model.level_at(doses, berlin(6, 18), FIVE_HOURS) == pytest.approx(75.0)


def test_a_dose_after_the_instant_does_not_count() -> None:
    doses = [dose(100, berlin(6, 8)), dose(300, berlin(6, 14))]
    assert model.level_at(doses, berlin(6, 13), FIVE_HOURS) == pytest.approx(50.0)


def test_elapsed_time_is_real_time_across_a_dst_change() -> None:
    # Berlin springs forward on 31 March 2024 at 02:00: 22:00 to 03:00 on the wall clock is 4 real hours.
    before, after = datetime(2024, 3, 30, 22, tzinfo=BERLIN), datetime(2024, 3, 31, 3, tzinfo=BERLIN)
    assert model.level_at([dose(100, before)], after, timedelta(hours=4)) == pytest.approx(50.0)


def test_next_bedtime() -> None:
    bed = time(23, 0)
    assert model.next_bedtime(berlin(6, 0, 30), bed, BERLIN) == berlin(6, 23)
    assert model.next_bedtime(berlin(6, 15), bed, BERLIN) == berlin(6, 23)
    assert model.next_bedtime(berlin(6, 23, 30), bed, BERLIN) == berlin(7, 23)
    # A bedtime after midnight is still tonight's.
    assert model.next_bedtime(berlin(6, 22), time(0, 30), BERLIN) == berlin(7, 0, 30)


def test_report_predicts_bedtime_and_totals_today_only() -> None:
    doses = [
        dose(100, berlin(5, 21)),  # yesterday evening: counts for the level, not today's total
        dose(96, berlin(6, 8)),
        dose(200, berlin(6, 15)),
    ]
    rep = model.report(doses, berlin(6, 18), tz=BERLIN, half_life=FIVE_HOURS, limit_mg=400, bedtime=time(23))
    assert rep.total_today_mg == pytest.approx(296)
    # At 18:00: 100 x 0.5^(21/5) + 96 x 0.5^(10/5) + 200 x 0.5^(3/5)
    assert rep.level_now_mg == pytest.approx(100 * 0.5**4.2 + 24 + 200 * 0.5**0.6)
    # At 23:00: 100 x 0.5^(26/5) + 96 x 0.5^(15/5) + 200 x 0.5^(8/5)
    assert rep.level_at_bedtime_mg == pytest.approx(100 * 0.5**5.2 + 12 + 200 * 0.5**1.6)
    assert rep.bedtime == berlin(6, 23)
    assert not rep.over_limit
    assert rep.high_at_bedtime  # about 80 mg > 50 mg


def test_report_ignores_doses_logged_for_later() -> None:
    rep = model.report(
        [dose(100, berlin(6, 19))],
        berlin(6, 18),
        tz=BERLIN,
        half_life=FIVE_HOURS,
        limit_mg=400,
        bedtime=time(23),
    )
    assert (rep.total_today_mg, rep.level_now_mg, rep.level_at_bedtime_mg) == (0, 0, 0)


def test_days_are_local_days() -> None:
    # 23:30 UTC on the 5th is 01:30 on the 6th in Berlin.
    late = datetime(2024, 5, 5, 23, 30, tzinfo=UTC)
    assert model.total_on([dose(50, late)], berlin(6, 12).date(), BERLIN) == 50


def test_hours_until_below() -> None:
    assert model.hours_until_below(200, 50, FIVE_HOURS) == timedelta(hours=10)
    assert model.hours_until_below(40, 50, FIVE_HOURS) == timedelta(0)


def test_advice_over_the_limit_and_at_bedtime() -> None:
    doses = [dose(300, berlin(6, 9)), dose(200, berlin(6, 17))]
    rep = model.report(doses, berlin(6, 17), tz=BERLIN, half_life=FIVE_HOURS, limit_mg=400, bedtime=time(23))
    lines = model.advice_after_drink(rep, FIVE_HOURS, None)
    assert lines[0] == "That makes 500 mg today, over your daily limit of 400 mg."
    # At 17:00: 300 x 0.5^(8/5) + 200 = 98.96 + 200 = 298.96 mg; at 23:00: 300 x 0.5^(14/5) +
    # 200 x 0.5^(6/5) = 43.08 + 87.06 = 130.1 mg; below 50 mg after 5 h x log2(298.96 / 50) =
    # 12.8995 h = 12 h 53.97 min, so at 05:53:58.
    assert "About 130 mg will still be in your body at bedtime (23:00)" in lines[1]
    assert "falls below 50 mg around 05:53" in lines[1]
    assert lines[2] == f"Tip: {model.FALLBACK_TIP}"


def test_no_advice_for_a_morning_coffee() -> None:
    rep = model.report(
        [dose(96, berlin(6, 8))],
        berlin(6, 8),
        tz=BERLIN,
        half_life=FIVE_HOURS,
        limit_mg=400,
        bedtime=time(23),
    )
    assert model.advice_after_drink(rep, FIVE_HOURS, "a tip") == []
