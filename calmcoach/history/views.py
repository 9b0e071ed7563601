"""What the commands show, read from the history with the schedule's settings.

The arithmetic lives in `calmcoach.intake`; these functions only fetch the entries each view
needs and hand them over, so the commands stay thin and the service can reuse them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from calmcoach.intake.fmt import format_mg, format_volume, percent
from calmcoach.intake.pace import pace_words, start_of_day

# Only what `log water` needs is imported here: the views of whole days (overview, stats) and the
# schedule's model are imported by the functions that use them.
if TYPE_CHECKING:
    from calmcoach.history.store import History
    from calmcoach.intake.caffeine import CaffeineReport
    from calmcoach.intake.overview import Today
    from calmcoach.intake.pace import Window
    from calmcoach.intake.stats import DayStats
    from calmcoach.schedule.model import Schedule, Settings

# Tips to add to a caffeine warning, best first; any caffeine tip will do if these are gone.
_LIMIT_TIPS = ("caffeine-daily-limit",)
_BEDTIME_TIPS = ("caffeine-coffee-cutoff", "caffeine-six-hours", "caffeine-half-life")


def midnight(now: datetime, tz: tzinfo) -> datetime:
    """Given now and the schedule's zone, return midnight today there."""
    return start_of_day(now.astimezone(tz).date(), tz)


def day_start(now: datetime, settings: Settings) -> datetime:
    """Given now and the settings, return midnight today in the schedule's zone."""
    return midnight(now, settings.timezone)


def water_total_line(history: History, goal_ml: float, window: Window, tz: tzinfo, now: datetime) -> str:
    """Given the history, the daily goal, the drinking window, the schedule's zone and now, return
    "Today: 1.25 l of 2 l (63%), on pace."."""
    drunk = history.water_since(midnight(now, tz))
    pace = pace_words(goal_ml, drunk, window, now.astimezone(tz))
    return f"Today: {format_volume(drunk)} of {format_volume(goal_ml)} ({percent(drunk, goal_ml)}), {pace}."


def caffeine_report(history: History, settings: Settings, now: datetime) -> CaffeineReport:
    """Given the history, the settings and now, return today's caffeine total and levels."""
    from calmcoach.intake import caffeine as caffeine_model

    since = min(caffeine_model.relevant_since(now, settings.caffeine_half_life), day_start(now, settings))
    return caffeine_model.report(
        history.caffeine(since, now + timedelta(seconds=1)),
        now,
        tz=settings.timezone,
        half_life=settings.caffeine_half_life,
        limit_mg=settings.caffeine_limit_mg,
        bedtime=settings.bedtime,
    )


def caffeine_total_line(rep: CaffeineReport) -> str:
    """Given a caffeine report, return the one-line running total a log command prints."""
    return (
        f"Today: {format_mg(rep.total_today_mg)} of {format_mg(rep.limit_mg)} "
        f"({percent(rep.total_today_mg, rep.limit_mg)}); {format_mg(rep.level_now_mg)} in the body now, "
        f"about {format_mg(rep.level_at_bedtime_mg)} at bedtime ({rep.bedtime:%H:%M})."
    )


def caffeine_tip(rep: CaffeineReport) -> str | None:
    """Given a report that calls for a warning, return a fitting tip from the catalogue with its
    source, or None when the catalogue cannot be read (the caller then uses a fixed line)."""
    try:
        from calmcoach.content.tips import TipDataError, load_tips

        tips = [t for t in load_tips() if t.category == "caffeine"]
    except (ImportError, TipDataError):
        return None
    wanted = _LIMIT_TIPS if rep.over_limit and not rep.high_at_bedtime else _BEDTIME_TIPS
    by_id = {t.id: t for t in tips}
    chosen = next((by_id[i] for i in wanted if i in by_id), tips[0] if tips else None)
    return f"{chosen.text} ({chosen.source})" if chosen else None


def today(history: History, schedule: Schedule, now: datetime) -> Today:
    """Given the history, the schedule and now, return the day so far."""
    from calmcoach.intake import caffeine as caffeine_model
    from calmcoach.intake.hydration import drinking_window
    from calmcoach.intake.overview import build_today

    settings = schedule.settings
    start = day_start(now, settings)
    since = min(caffeine_model.relevant_since(now, settings.caffeine_half_life), start)
    return build_today(
        now=now,
        settings=settings,
        window=drinking_window(schedule),
        water=history.water(start),
        doses=history.caffeine(since),
        sessions=history.sessions(start),
        deliveries=history.deliveries(start),
        journal=history.twitches(),
    )


def stats(history: History, settings: Settings, now: datetime, days: int) -> list[DayStats]:
    """Given the history, the settings, now and a number of days, return each day's totals,
    ending today."""
    from calmcoach.intake import caffeine as caffeine_model
    from calmcoach.intake.stats import days_ending, per_day

    tz = settings.timezone
    wanted = days_ending(now.astimezone(tz).date(), days)
    start = caffeine_model.start_of_day(wanted[0], tz)
    return per_day(
        wanted,
        tz,
        water=history.water(start),
        caffeine=history.caffeine(start),
        sessions=history.sessions(start),
        twitches=history.twitches(start),
    )
