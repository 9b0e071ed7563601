"""Builders for the planner tests: reminders, settings and schedules made directly, no loader."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from calmcoach.schedule.model import (
    ALL_DAYS,
    At,
    Every,
    Kind,
    Reminder,
    Schedule,
    Settings,
    Source,
    TimeWindow,
    Trigger,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC_ZONE = ZoneInfo("UTC")

# The 2026 daylight-saving changes the issue names: (zone, date, "spring" or "autumn").
CHANGE_DAYS = (
    (BERLIN, datetime(2026, 3, 29), "spring"),
    (BERLIN, datetime(2026, 10, 25), "autumn"),
    (NEW_YORK, datetime(2026, 3, 8), "spring"),
    (NEW_YORK, datetime(2026, 11, 1), "autumn"),
)


def clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def window(text: str) -> TimeWindow:
    start, end = text.split("-")
    return TimeWindow(clock(start), clock(end))


def reminder(
    name: str = "r",
    trigger: Trigger | None = None,
    *,
    between: str | None = None,
    days: frozenset[int] | None = None,
    kind: Kind = Kind.HYDRATION,
) -> Reminder:
    return Reminder(
        name=name,
        kind=kind,
        trigger=trigger if trigger is not None else At((time(9, 0),)),
        source=Source(Path("test.toml"), None, 1),
        between=window(between) if between else None,
        days=days,
    )


def at(*times: str) -> At:
    return At(tuple(sorted(clock(t) for t in times)))


def every(**interval: float) -> Every:
    return Every(timedelta(**interval))


def settings(
    zone: ZoneInfo = BERLIN, *, quiet: str | None = None, days: frozenset[int] = ALL_DAYS
) -> Settings:
    return Settings(timezone=zone, quiet_hours=window(quiet) if quiet else None, days=days)


def schedule(*reminders: Reminder, zone: ZoneInfo = BERLIN, quiet: str | None = None) -> Schedule:
    return Schedule(settings=settings(zone, quiet=quiet), reminders=reminders, files=())


def local(  # noqa: PLR0917  # reads like a datetime: local(BERLIN, 2026, 3, 29, 2, 30)
    zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
) -> datetime:
    """An aware local datetime: local(BERLIN, 2026, 3, 29, 2, 30)."""
    return datetime(year, month, day, hour, minute, tzinfo=zone, fold=fold)


def walls(firings: list[datetime]) -> list[str]:
    """The firings as local "YYYY-MM-DD HH:MM ZONE" strings, which show the offset too."""
    return [f"{f:%Y-%m-%d %H:%M} {f.tzname()}" for f in firings]
