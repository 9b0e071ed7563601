"""agenda(): every firing of a schedule in (start, end], in order, and fast enough for big schedules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from calmcoach.planner import Firing, agenda, iter_firings, next_firing
from calmcoach.schedule.model import Cron
from tests.planner.build import BERLIN, at, every, local, reminder, schedule, window

MONDAY = (2026, 3, 9)


def test_firings_are_sorted_by_time_then_name() -> None:
    plan = agenda(
        schedule(
            reminder("water", every(hours=1), between="09:00-12:00"),
            reminder("coffee-cutoff", at("11:00")),
            reminder("breathe", at("10:30", "11:00")),
        ),
        local(BERLIN, *MONDAY, 8),
        local(BERLIN, *MONDAY, 12),
    )
    assert [(f"{f.at:%H:%M}", f.reminder.name) for f in plan] == [
        ("10:00", "water"),
        ("10:30", "breathe"),
        ("11:00", "breathe"),
        ("11:00", "coffee-cutoff"),
        ("11:00", "water"),
    ]
    assert all(isinstance(f, Firing) and f.at.tzinfo is BERLIN for f in plan)


def test_start_is_excluded_and_end_included() -> None:
    plan = agenda(
        schedule(reminder("r", at("09:00", "10:00"))), local(BERLIN, *MONDAY, 9), local(BERLIN, *MONDAY, 10)
    )
    assert [f"{f.at:%H:%M}" for f in plan] == ["10:00"]


def test_an_empty_or_backwards_span_has_no_firings() -> None:
    s = schedule(reminder("r", every(minutes=1)))
    assert agenda(s, local(BERLIN, *MONDAY, 9), local(BERLIN, *MONDAY, 9)) == []
    assert agenda(s, local(BERLIN, *MONDAY, 10), local(BERLIN, *MONDAY, 9)) == []


def test_naive_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="start"):
        agenda(schedule(reminder()), local(BERLIN, *MONDAY).replace(tzinfo=None), local(BERLIN, *MONDAY, 9))


def test_a_week_of_a_mixed_schedule_agrees_with_asking_next_firing_again_and_again() -> None:
    reminders = (
        reminder("water", every(minutes=45), between="09:00-18:00", days=frozenset(range(5))),
        reminder("cutoff", at("15:00")),
        reminder("stretch", Cron("0 */2 * * mon-fri")),
        reminder("night", every(minutes=50), between="22:00-06:00", days=frozenset({4, 5})),
    )
    s = schedule(*reminders, quiet="23:00-07:00")
    start, end = local(BERLIN, *MONDAY), local(BERLIN, 2026, 3, 16)
    plan = agenda(s, start, end)
    for r in reminders:
        chained, after = [], start
        while (nxt := next_firing(r, s.settings, after)) is not None and nxt <= end:
            chained.append(nxt)
            after = nxt
        assert (
            [f.at for f in plan if f.reminder is r]
            == chained
            == list(iter_firings(r, s.settings, start, end))
        )
    assert len([f for f in plan if f.reminder.name == "cutoff"]) == 7
    assert len([f for f in plan if f.reminder.name == "water"]) == 5 * 11


def test_five_hundred_reminders_over_a_day() -> None:
    # A correctness test for a big schedule (the speed is measured in the benchmarks, not here).
    reminders = []
    for i in range(500):
        match i % 4:
            case 0:
                reminders.append(reminder(f"every-{i}", every(minutes=15 + i % 45), between="08:00-20:00"))
            case 1:
                reminders.append(reminder(f"at-{i}", at(f"{i % 24:02d}:{i % 60:02d}", "12:00")))
            case 2:
                reminders.append(reminder(f"cron-{i}", Cron(f"*/{5 + i % 10} * * * *")))
            case _:
                reminders.append(reminder(f"night-{i}", every(minutes=20), between="22:00-06:00"))
    start = local(BERLIN, *MONDAY, 6)
    plan = agenda(schedule(*reminders, quiet="23:30-06:30"), start, start + timedelta(hours=24))
    names = {f.reminder.name for f in plan}
    assert len(names) == 500
    keys = [(f.at.timestamp(), f.reminder.name) for f in plan]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    every_0 = [f for f in plan if f.reminder.name == "every-0"]
    assert len(every_0) == 47  # 12 hours of 15-minute steps, 08:00 itself and 20:00 excluded
    quiet = window("23:30-06:30")
    assert not any(quiet.contains(f.at.time()) for f in plan)
