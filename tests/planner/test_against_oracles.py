"""The planner against slow, obviously right oracles, on random reminders around clock changes.

At and cron: walk every minute of real time and ask which wall-clock minutes it shows (a
minute after a spring gap shows the whole gap; a repeated minute shows nothing). Every: list
window start + k * interval for each day and filter. Also: asking next_firing again and again
gives the same firings as agenda.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calmcoach.planner import agenda, next_firing, parse_cron
from calmcoach.planner.wallclock import resolve
from calmcoach.schedule.model import ALL_DAYS, At, Cron, Every, Reminder, Schedule, Settings, TimeWindow
from tests.planner.build import BERLIN, NEW_YORK, reminder

ZONES = (
    BERLIN,
    NEW_YORK,
    ZoneInfo("America/Havana"),  # its spring change skips midnight itself
    ZoneInfo("Australia/Lord_Howe"),  # changes by half an hour
    ZoneInfo("Australia/Sydney"),
    ZoneInfo("UTC"),
)
CHANGE_DATES = (
    datetime(2026, 3, 8),
    datetime(2026, 3, 29),
    datetime(2026, 4, 5),
    datetime(2026, 10, 4),
    datetime(2026, 10, 25),
    datetime(2026, 11, 1),
    datetime(2026, 6, 17),
)
MINUTE = timedelta(minutes=1)
SPAN = timedelta(days=2)

# Times near the changes (00:00-03:59) come up more often than the rest of the day.
hours = st.one_of(st.integers(0, 3), st.integers(0, 23))
walls = st.builds(time, hours, st.sampled_from((0, 1, 15, 30, 45, 59)))
windows = st.builds(TimeWindow, walls, walls)
day_sets = st.frozensets(st.integers(0, 6), max_size=7)
crons = st.builds(
    " ".join,
    st.tuples(
        st.sampled_from(("*/15", "0", "30", "0,45", "*/7", "5-20/5", "59")),
        st.sampled_from(("*", "0-3", "2", "*/2", "1,2,3", "0", "23", "9-17")),
        st.sampled_from(("*", "*", "1,15", "29", "*/2", "4,5,8")),
        st.sampled_from(("*", "*", "mar,apr,oct,nov")),
        st.sampled_from(("*", "*", "mon-fri", "sun", "sat,sun", "0")),
    ),
)
wall_triggers = st.one_of(
    st.builds(lambda ts: At(tuple(sorted(set(ts)))), st.lists(walls, min_size=1, max_size=4)),
    st.builds(Cron, crons),
)
every_triggers = st.builds(
    lambda minutes: Every(timedelta(minutes=minutes)), st.sampled_from((7, 15, 30, 45, 60, 90, 150, 600))
)
starts = st.builds(
    lambda day, hours_off, zone: (day + timedelta(hours=hours_off)).replace(tzinfo=zone),
    st.sampled_from(CHANGE_DATES),
    st.integers(-40, 30),
    st.sampled_from(ZONES),
)
checks = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _owning_day(moment: datetime, window: TimeWindow | None) -> date:
    """The day a wall-clock moment belongs to: the date its window opened."""
    if window is not None and window.crosses_midnight and moment.time() < window.end:
        return moment.date() - timedelta(days=1)
    return moment.date()


def _in_window(moment: datetime, window: TimeWindow | None) -> bool:
    return window is None or window.contains(moment.time())


def _namer(trigger: At | Cron) -> Callable[[datetime], bool]:
    """Given an at or cron trigger, return a test of whether it names a wall-clock minute."""
    if isinstance(trigger, At):
        return lambda moment: moment.time() in trigger.times
    spec = parse_cron(trigger.expression)
    return lambda moment: (
        moment.hour in spec.hours and moment.minute in spec.minutes and spec.matches_day(moment.date())
    )


def wall_oracle(r: Reminder, s: Settings, start: datetime, end: datetime) -> list[datetime]:
    """Every minute of real time in (start, end], fired when a wall minute it shows is named."""
    assert isinstance(r.trigger, At | Cron)
    zone, active, names = s.timezone, r.days if r.days is not None else s.days, _namer(r.trigger)
    fired = []
    moment = start.astimezone(UTC).replace(second=0, microsecond=0)
    naive_before = (moment - MINUTE).astimezone(zone).replace(tzinfo=None)
    while moment <= end:
        shown = moment.astimezone(zone)
        naive = shown.replace(tzinfo=None)
        if shown.fold == 1:
            covered = []  # a repeated minute: its first showing already counted
        else:
            count = max(1, round((naive - naive_before) / MINUTE))  # > 1 right after a gap
            covered = [naive - k * MINUTE for k in range(count)]
        named = any(
            names(w) and _in_window(w, r.between) and _owning_day(w, r.between).weekday() in active
            for w in covered
        )
        quiet = s.quiet_hours is not None and s.quiet_hours.contains(shown.time())
        if named and not quiet and moment > start:
            fired.append(moment)
        moment, naive_before = moment + MINUTE, naive
    return fired


def every_oracle(r: Reminder, s: Settings, start: datetime, end: datetime) -> list[datetime]:
    """For each day, window start + k * interval (k >= 1) before the window end, filtered."""
    assert isinstance(r.trigger, Every)
    zone, active, window = s.timezone, r.days if r.days is not None else s.days, r.between
    fired = []
    day = start.astimezone(zone).date() - timedelta(days=1)
    while day <= end.astimezone(zone).date():
        if day.weekday() in active:
            if window is None:
                opens, closes = resolve(day, time(0), zone), resolve(day + timedelta(days=1), time(0), zone)
            else:
                end_day = day + timedelta(days=1) if window.crosses_midnight else day
                opens, closes = resolve(day, window.start, zone), resolve(end_day, window.end, zone)
            k = 1
            while (moment := opens + k * r.trigger.interval) < closes:
                quiet = s.quiet_hours is not None and s.quiet_hours.contains(moment.astimezone(zone).time())
                if not quiet and start < moment <= end:
                    fired.append(moment)
                k += 1
        day += timedelta(days=1)
    return fired


def _plan(r: Reminder, quiet: TimeWindow | None, start: datetime) -> tuple[Settings, list[float]]:
    """Given one reminder, quiet hours and a start in the schedule's zone, return the settings and
    the reminder's agenda over SPAN as timestamps."""
    assert isinstance(start.tzinfo, ZoneInfo)
    sched = Schedule(Settings(timezone=start.tzinfo, quiet_hours=quiet, days=ALL_DAYS), (r,), ())
    return sched.settings, [f.at.timestamp() for f in agenda(sched, start, start + SPAN)]


@checks
@given(
    trigger=wall_triggers,
    between=st.none() | windows,
    days=st.none() | day_sets,
    quiet=st.none() | windows,
    start=starts,
)
def test_at_and_cron_match_the_minute_by_minute_oracle(
    trigger: At | Cron,
    between: TimeWindow | None,
    days: frozenset[int] | None,
    quiet: TimeWindow | None,
    start: datetime,
) -> None:
    r = Reminder("r", reminder().kind, trigger, reminder().source, between=between, days=days)
    s, planned = _plan(r, quiet, start)
    assert planned == [m.timestamp() for m in wall_oracle(r, s, start, start + SPAN)]


@checks
@given(
    trigger=every_triggers,
    between=st.none() | windows,
    days=st.none() | day_sets,
    quiet=st.none() | windows,
    start=starts,
)
def test_every_matches_the_step_by_step_oracle(
    trigger: Every,
    between: TimeWindow | None,
    days: frozenset[int] | None,
    quiet: TimeWindow | None,
    start: datetime,
) -> None:
    r = Reminder("r", reminder().kind, trigger, reminder().source, between=between, days=days)
    s, planned = _plan(r, quiet, start)
    assert planned == [m.timestamp() for m in every_oracle(r, s, start, start + SPAN)]


@checks
@given(
    trigger=st.one_of(wall_triggers, every_triggers),
    between=st.none() | windows,
    days=st.none() | day_sets,
    quiet=st.none() | windows,
    start=starts,
)
def test_asking_next_firing_again_and_again_gives_the_agenda(
    trigger: At | Cron | Every,
    between: TimeWindow | None,
    days: frozenset[int] | None,
    quiet: TimeWindow | None,
    start: datetime,
) -> None:
    r = Reminder("r", reminder().kind, trigger, reminder().source, between=between, days=days)
    s, planned = _plan(r, quiet, start)
    chained, after, end = [], start, start + SPAN
    while (nxt := next_firing(r, s, after)) is not None and nxt.timestamp() <= end.timestamp():
        assert nxt.tzinfo is s.timezone
        chained.append(nxt.timestamp())
        after = nxt
    assert chained == planned
