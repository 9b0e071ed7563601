"""Planning again after the clock was set back or the zone changed (calmcoach.service.replan): pure."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from calmcoach.planner import next_firing
from calmcoach.schedule.loader import load_text
from calmcoach.schedule.model import Schedule
from calmcoach.service.replan import Anchors, replan

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)

SCHEDULE = """\
[[reminder]]
name = "water"
kind = "hydration"
every = "45m"
between = "09:00-18:00"

[[reminder]]
name = "tip"
kind = "tip"
at = "10:30"

[[reminder]]
name = "stretch"
kind = "stretch"
every = "50m"
"""


def plan(zone: ZoneInfo) -> Schedule:
    return load_text(SCHEDULE, "replan.toml", default_zone=zone)


def berlin(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def test_the_clock_set_back_keeps_the_real_time_left_and_leaves_daily_times_alone() -> None:
    schedule = plan(BERLIN)
    # 10:35: water fired at 10:30 (next 11:15), the tip at 10:30 (next tomorrow), stretch next 10:50.
    runs = {
        "water": berlin("2026-03-02 11:15"),
        "tip": berlin("2026-03-03 10:30"),
        "stretch": berlin("2026-03-02 10:50"),
    }
    # Set back 50 minutes: it reads 09:45.
    now = berlin("2026-03-02 09:45")
    moved = replan(schedule, runs, {}, now, shift=-50 * timedelta(minutes=1), next_firing=next_firing)
    assert moved.next_runs == {"water": berlin("2026-03-02 10:25"), "stretch": berlin("2026-03-02 10:00")}
    assert "tip" not in moved.next_runs  # already fired today: its next run stays tomorrow's
    assert moved.snoozed == {}
    # The steps after the moved one follow it, 45 minutes apart, until the window ends.
    anchors = Anchors()
    anchors.set(moved.anchors)
    water = schedule.reminder("water")
    assert water is not None
    steps = [moved.next_runs["water"]]
    while len(steps) < 4:
        following = anchors.next_firing(water, schedule.settings, steps[-1])
        assert following is not None
        steps.append(following)
    assert [f"{s:%H:%M}" for s in steps] == ["10:25", "11:10", "11:55", "12:40"]
    # The day's last step is 17:55 (09:40 + 11 x 45 min); the next day counts from the window.
    assert anchors.next_firing(water, schedule.settings, berlin("2026-03-02 17:50")) == berlin(
        "2026-03-02 17:55"
    )
    assert anchors.next_firing(water, schedule.settings, berlin("2026-03-02 17:55")) == berlin(
        "2026-03-03 09:45"
    )


def test_a_step_moved_out_of_its_window_comes_at_the_first_step_the_window_allows() -> None:
    schedule = plan(BERLIN)
    # 09:50, water's first step of the day due at 09:45 + 45 = 10:30; set back an hour: 08:50.
    runs = {"water": berlin("2026-03-02 10:30")}
    now = berlin("2026-03-02 08:50")
    moved = replan(schedule, runs, {}, now, shift=-HOUR, next_firing=next_firing)
    # 09:30 would be inside the window, but counted from 08:45, before it opens: the window's own
    # first step comes, never one before 09:00.
    assert moved.next_runs["water"] == berlin("2026-03-02 09:45")


def test_a_snooze_keeps_its_real_time_left() -> None:
    schedule = plan(BERLIN)
    until = berlin("2026-03-02 11:00")
    runs = {"tip": until, "water": berlin("2026-03-02 11:15")}
    now = berlin("2026-03-02 09:40")  # 10:40 set back an hour
    moved = replan(schedule, runs, {"tip": until}, now, shift=-HOUR, next_firing=next_firing)
    assert moved.snoozed == {"tip": berlin("2026-03-02 10:00")}
    assert moved.next_runs["tip"] == berlin("2026-03-02 10:00")


def test_a_new_zone_keeps_every_rhythms_and_moves_windows() -> None:
    schedule = plan(NEW_YORK)
    # 12:00 in Berlin is 06:00 in New York. Stretch (no window) keeps its next step; water's
    # window is New York's 09:00-18:00 now, so it starts at 09:45 there.
    runs = {"stretch": berlin("2026-03-02 12:30"), "water": berlin("2026-03-02 12:15")}
    now = berlin("2026-03-02 12:00").astimezone(NEW_YORK)
    moved = replan(schedule, runs, {}, now, shift=timedelta(0), next_firing=next_firing)
    assert moved.next_runs["stretch"] == berlin("2026-03-02 12:30")
    water = moved.next_runs["water"].astimezone(NEW_YORK)
    assert (water.date().isoformat(), f"{water:%H:%M}") == ("2026-03-02", "09:45")
