"""The caffeine model: first-order elimination, summed over the doses a person logged.

remaining = dose x 0.5 ** (hours since the dose / half-life). The half-life is about 5 h in
healthy adults (IOM 2001; the range is 1.5-9.5 h, so it is a setting). The decay rate is
ln 2 / half-life; writing it as 0.5 ** (t / h) keeps that exact without a constant.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

# The day's start is shared with the drinking pace and lives there; still importable from here.
from calmcoach.intake.pace import start_of_day

__all__ = [
    "BEDTIME_WARNING_MG",
    "FALLBACK_TIP",
    "RELEVANT_HALF_LIVES",
    "CaffeineReport",
    "advice_after_drink",
    "hours_until_below",
    "level_at",
    "next_bedtime",
    "relevant_since",
    "remaining_mg",
    "report",
    "start_of_day",
    "total_on",
]

if TYPE_CHECKING:  # only the annotations name it: `log water` uses start_of_day without the records
    from calmcoach.intake.records import CaffeineEntry

# More than this left in the body at bedtime earns a warning when a drink is logged. The issue
# sets "about 50 mg": roughly half a cup of brewed coffee (Mayo Clinic: 96 mg per 8 oz).
BEDTIME_WARNING_MG = 50.0

# Doses older than this many half-lives add less than 0.1% of themselves (0.5 ** 10 < 0.001),
# so the store need not hand older ones to the model.
RELEVANT_HALF_LIVES = 10


def remaining_mg(dose_mg: float, elapsed: timedelta, half_life: timedelta) -> float:
    """Given a dose, the time since it was taken and the half-life, return the mg still in the body.

    A dose not yet taken (negative elapsed time) counts as nothing.
    """
    if elapsed < timedelta(0):
        return 0.0
    return float(dose_mg * 0.5 ** (elapsed / half_life))


def level_at(doses: Iterable[CaffeineEntry], at: datetime, half_life: timedelta) -> float:
    """Given logged doses, an instant and the half-life, return the caffeine in the body then (mg).

    Only doses taken at or before `at` count.
    """
    # In UTC: subtracting two datetimes that share a ZoneInfo ignores a DST change between them.
    instant = at.astimezone(UTC)
    return sum(remaining_mg(d.mg, instant - d.at.astimezone(UTC), half_life) for d in doses)


def relevant_since(now: datetime, half_life: timedelta) -> datetime:
    """Given now and the half-life, return the earliest dose time that still matters to the model."""
    return now - half_life * RELEVANT_HALF_LIVES


def next_bedtime(now: datetime, bedtime: time, tz: tzinfo) -> datetime:
    """Given now, the bedtime setting and the schedule's zone, return the next bedtime after now.

    At 00:30 with bedtime 23:00 that is tonight; at 23:30 it is tomorrow night; with bedtime 00:30
    and now 22:00 it is in two and a half hours.
    """
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), bedtime, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), bedtime, tzinfo=tz)
    return candidate


def total_on(doses: Iterable[CaffeineEntry], day: date, tz: tzinfo) -> float:
    """Given logged doses, a calendar date and the zone, return the mg taken on that local date."""
    return sum(d.mg for d in doses if d.at.astimezone(tz).date() == day)


@dataclass(frozen=True)
class CaffeineReport:
    """Where a person stands with caffeine at one instant."""

    now: datetime
    total_today_mg: float
    limit_mg: float
    level_now_mg: float
    bedtime: datetime
    level_at_bedtime_mg: float

    @property
    def over_limit(self) -> bool:
        return self.total_today_mg > self.limit_mg

    @property
    def high_at_bedtime(self) -> bool:
        return self.level_at_bedtime_mg > BEDTIME_WARNING_MG


def report(
    doses: Iterable[CaffeineEntry],
    now: datetime,
    *,
    tz: tzinfo,
    half_life: timedelta,
    limit_mg: float,
    bedtime: time,
) -> CaffeineReport:
    """Given the doses logged, now and the settings, return today's total, the level now and at bedtime.

    The bedtime level counts only doses taken by now: it is what tonight looks like if nothing
    more is drunk.
    """
    taken = [d for d in doses if d.at <= now]
    bed = next_bedtime(now, bedtime, tz)
    return CaffeineReport(
        now=now,
        total_today_mg=total_on(taken, now.astimezone(tz).date(), tz),
        limit_mg=limit_mg,
        level_now_mg=level_at(taken, now, half_life),
        bedtime=bed,
        level_at_bedtime_mg=level_at(taken, bed, half_life),
    )


def hours_until_below(level_mg: float, threshold_mg: float, half_life: timedelta) -> timedelta:
    """Given a level, a threshold and the half-life, return how long until the level falls below it."""
    if level_mg <= threshold_mg:
        return timedelta(0)
    return half_life * math.log2(level_mg / threshold_mg)


# Said when the tip catalogue cannot be read; DESIGN section 5 gives the source.
FALLBACK_TIP = "Drake et al. 2013 found that 400 mg of caffeine even 6 hours before bed disrupted sleep."


def advice_after_drink(rep: CaffeineReport, half_life: timedelta, tip: str | None) -> list[str]:
    """Given where a person stands just after logging a drink, the half-life and a tip to add,
    return what to tell them at once: nothing when the day is under the limit and bedtime clear.
    """
    lines: list[str] = []
    if rep.over_limit:
        lines.append(
            f"That makes {rep.total_today_mg:.0f} mg today, over your daily limit of {rep.limit_mg:.0f} mg."
        )
    if rep.high_at_bedtime:
        clear = rep.now.astimezone(UTC) + hours_until_below(rep.level_now_mg, BEDTIME_WARNING_MG, half_life)
        lines.append(
            f"About {rep.level_at_bedtime_mg:.0f} mg will still be in your body at bedtime "
            f"({rep.bedtime:%H:%M}); it falls below {BEDTIME_WARNING_MG:.0f} mg around "
            f"{clear.astimezone(rep.bedtime.tzinfo):%H:%M}."
        )
    if lines:
        lines.append(f"Tip: {tip or FALLBACK_TIP}")
    return lines
