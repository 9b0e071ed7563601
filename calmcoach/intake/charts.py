"""The per-day chart of `calmcoach stats`, as rows of text cells.

Each metric gets a small bar scaled to its own reference (the water goal, the caffeine limit, the
busiest day for sessions and twitches), so a glance down a column shows the good and bad days.
The command prints the rows with rich in a terminal and as plain text otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from calmcoach.intake.fmt import format_mg, format_volume
from calmcoach.intake.stats import DayStats

BAR_WIDTH = 10
HEADERS = ("day", "water", "caffeine", "sessions", "twitches")


@dataclass(frozen=True)
class Bar:
    """A bar: how many of BAR_WIDTH cells are filled, whether it passes its reference, its label."""

    filled: int
    over: bool
    label: str

    def text(self, full: str = "#", empty: str = ".") -> str:
        return full * self.filled + empty * (BAR_WIDTH - self.filled) + " " + self.label


def bar(value: float, reference: float, label: str) -> Bar:
    """Given a value, the reference that fills the bar, and a label, return the bar.

    Values past the reference fill it and are marked `over`; any value above 0 shows one cell.
    """
    if reference <= 0 or value <= 0:
        return Bar(0, False, label)
    filled = max(1, min(BAR_WIDTH, round(BAR_WIDTH * value / reference)))
    return Bar(filled, value > reference, label)


@dataclass(frozen=True)
class ChartRow:
    day: str
    water: Bar
    caffeine: Bar
    sessions: Bar
    twitches: Bar
    logged: bool


def chart_rows(days: Sequence[DayStats], water_goal_ml: float, caffeine_limit_mg: float) -> list[ChartRow]:
    """Given the per-day totals, the water goal and the caffeine limit, return one row per day."""
    most_sessions = max((d.sessions for d in days), default=0)
    most_twitches = max((d.twitches for d in days), default=0)
    return [
        ChartRow(
            day=f"{d.day:%a %d %b}",
            water=bar(d.water_ml, water_goal_ml, format_volume(d.water_ml)),
            caffeine=bar(d.caffeine_mg, caffeine_limit_mg, format_mg(d.caffeine_mg)),
            sessions=bar(d.sessions, most_sessions, str(d.sessions)),
            twitches=bar(d.twitches, most_twitches, str(d.twitches)),
            logged=d.logged,
        )
        for d in days
    ]


def plain_chart(rows: Sequence[ChartRow]) -> list[str]:
    """Given the chart rows, return them as aligned plain-text lines with a header."""
    cells = [list(HEADERS)] + [
        [r.day, r.water.text(), r.caffeine.text(), r.sessions.text(), r.twitches.text()] for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADERS))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
