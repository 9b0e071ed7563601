"""Per-day totals over a span of days, and careful plain-language associations between them.

Associations only count: "3 of the 4 days with twitching had more than 300 mg of caffeine". They
always state how many days they rest on, and say when that is too few to mean much. Days with
nothing logged at all are left out, since an empty day says more about logging than about living.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from calmcoach.intake.fmt import format_volume
from calmcoach.intake.records import CaffeineEntry, SessionRecord, TwitchEntry, WaterEntry

# The example threshold for a "high caffeine" day: three-quarters of the 400 mg that FDA
# and EFSA give as the daily limit for healthy adults.
HIGH_CAFFEINE_MG = 300.0
# Below these counts we say outright that the numbers are too few to draw conclusions.
ENOUGH_DAYS = 28
ENOUGH_IN_GROUP = 5


@dataclass(frozen=True)
class DayStats:
    day: date
    water_ml: float = 0.0
    caffeine_mg: float = 0.0
    sessions: int = 0  # sessions completed that day
    twitches: int = 0
    logged: bool = False  # anything at all was logged that day

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        return data


def days_ending(today: date, count: int) -> list[date]:
    """Given today and a number of days, return those days ending with today, oldest first."""
    return [today - timedelta(days=offset) for offset in range(count - 1, -1, -1)]


def per_day(
    days: Sequence[date],
    tz: tzinfo,
    *,
    water: Iterable[WaterEntry] = (),
    caffeine: Iterable[CaffeineEntry] = (),
    sessions: Iterable[SessionRecord] = (),
    twitches: Iterable[TwitchEntry] = (),
) -> list[DayStats]:
    """Given the days wanted, the zone and the entries, return each day's totals in order."""
    totals: dict[date, dict[str, float]] = {d: {} for d in days}

    def add(moment: datetime, key: str, amount: float) -> None:
        bucket = totals.get(moment.astimezone(tz).date())
        if bucket is not None:
            bucket[key] = bucket.get(key, 0.0) + amount
            bucket["logged"] = 1.0

    for w in water:
        add(w.at, "water_ml", w.ml)
    for c in caffeine:
        add(c.at, "caffeine_mg", c.mg)
    for s in sessions:
        add(s.started_at, "sessions", 1.0 if s.completed else 0.0)
    for t in twitches:
        add(t.at, "twitches", 1.0)
    return [
        DayStats(
            day=d,
            water_ml=t.get("water_ml", 0.0),
            caffeine_mg=t.get("caffeine_mg", 0.0),
            sessions=int(t.get("sessions", 0)),
            twitches=int(t.get("twitches", 0)),
            logged=bool(t.get("logged")),
        )
        for d, t in totals.items()
    ]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def associations(days: Sequence[DayStats], water_goal_ml: float) -> list[str]:
    """Given the per-day totals and the water goal, return plain sentences about what went
    together on twitch days, each with its counts, and a last one about the sample size."""
    logged = [d for d in days if d.logged]
    if not logged:
        return [f"Nothing was logged in these {_plural(len(days), 'day')}."]
    twitch = [d for d in logged if d.twitches]
    calm = [d for d in logged if not d.twitches]
    lines = [f"Twitching was logged on {len(twitch)} of the {_plural(len(logged), 'day')} with entries."]
    if twitch:
        high_t = sum(d.caffeine_mg > HIGH_CAFFEINE_MG for d in twitch)
        high_c = sum(d.caffeine_mg > HIGH_CAFFEINE_MG for d in calm)
        line = (
            f"{high_t} of the {_plural(len(twitch), 'day')} with twitching had more than "
            f"{HIGH_CAFFEINE_MG:.0f} mg of caffeine"
        )
        lines.append(line + (f", against {high_c} of the {len(calm)} without." if calm else "."))
        watered_t = [d for d in twitch if d.water_ml > 0]
        watered_c = [d for d in calm if d.water_ml > 0]
        if watered_t:
            low_t = sum(d.water_ml < water_goal_ml for d in watered_t)
            low_c = sum(d.water_ml < water_goal_ml for d in watered_c)
            line = (
                f"{low_t} of the {_plural(len(watered_t), 'day')} with twitching and water logged had "
                f"less than the water goal ({format_volume(water_goal_ml)})"
            )
            lines.append(line + (f", against {low_c} of the {len(watered_c)} without." if watered_c else "."))
    few = len(logged) < ENOUGH_DAYS or min(len(twitch), len(calm)) < ENOUGH_IN_GROUP
    lines.append(
        f"{_plural(len(logged), 'day')} in all — too few to draw conclusions."
        if few
        else f"{_plural(len(logged), 'day')} in all. Days that go together do not show what causes what."
    )
    return lines
