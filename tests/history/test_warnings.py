"""Warning signs read from constructed twitch journals, and the calm advice they bring."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from calmcoach.intake.records import Side, TwitchEntry
from calmcoach.intake.warnings import doctor_advice, warning_signs

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2024, 5, 20, 18, 0, tzinfo=BERLIN)


def days_ago(days: int, **details: object) -> TwitchEntry:
    return TwitchEntry(0, NOW - timedelta(days=days, hours=1), **details)  # type: ignore[arg-type]


def codes(journal: list[TwitchEntry]) -> list[str]:
    return [s.code for s in warning_signs(journal, NOW, BERLIN)]


def test_an_ordinary_journal_shows_no_sign() -> None:
    journal = [days_ago(d, where="neck", side=Side.LEFT, stress=7) for d in (0, 2, 5)]
    journal.append(days_ago(3, where="shoulder", side=Side.RIGHT))  # same area as the neck
    assert codes(journal) == []
    assert doctor_advice([]) is None


def test_both_sides_new_symptom_and_weakness() -> None:
    journal = [
        days_ago(1, where="neck", side=Side.BOTH),
        days_ago(2, where="neck", new_symptom=True),
        days_ago(3, where="neck", weakness=True),
    ]
    assert codes(journal) == ["both-sides", "new-symptom", "weakness"]


def test_old_signs_fade_after_two_weeks() -> None:
    journal = [days_ago(14, side=Side.BOTH, weakness=True), days_ago(20, new_symptom=True)]
    assert codes(journal) == []
    # 13 days ago is still inside the last 14 days (today is one of them).
    assert codes([days_ago(13, side=Side.BOTH)]) == ["both-sides"]


def test_more_than_one_place() -> None:
    journal = [days_ago(1, where="neck"), days_ago(4, where="Left calf"), days_ago(5, where="eyelid")]
    signs = warning_signs(journal, NOW, BERLIN)
    assert [s.code for s in signs] == ["several-places"]
    assert "eyelid, left calf, neck and shoulders" in signs[0].text


def test_most_days_for_more_than_two_weeks() -> None:
    eight_recent = [days_ago(d) for d in range(0, 16, 2)]  # days 0, 2, ..., 14: 7 inside, 1 before
    assert len({e.at.date() for e in eight_recent if e.at.date() > (NOW - timedelta(days=14)).date()}) == 7
    assert codes(eight_recent) == []  # only 7 of the last 14 days
    journal = [days_ago(d) for d in range(8)]  # 8 days in a row, the last 8
    assert codes(journal) == []  # most days, but it began less than two weeks ago
    journal.append(days_ago(17))  # and already there three days before the two weeks began
    assert codes(journal) == ["most-days"]
    journal[-1] = days_ago(22)  # a week's gap before the two weeks: a separate episode
    assert codes(journal) == []


def test_several_entries_on_one_day_count_once() -> None:
    journal = [days_ago(0) for _ in range(10)] + [days_ago(15)]
    assert codes(journal) == []


def test_advice_names_the_sign_and_never_diagnoses() -> None:
    signs = warning_signs([days_ago(1, where="neck", side=Side.BOTH)], NOW, BERLIN)
    advice = doctor_advice(signs)
    assert advice is not None
    assert "twitching on both sides at once (on 19 May)" in advice
    assert "see" in advice and "doctor" in advice
    assert "not a diagnosis" in advice
    assert "NHS" in advice and "article" in advice


def test_entries_in_the_future_are_ignored() -> None:
    assert codes([TwitchEntry(0, NOW + timedelta(hours=1), side=Side.BOTH)]) == []
