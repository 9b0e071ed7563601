"""`calmcoach stats`: a chart per day of water, caffeine, sessions and twitches, and what went together."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from calmcoach.commands.common import add_schedule_option
from calmcoach.units import cut

if TYPE_CHECKING:
    from collections.abc import Sequence

    from calmcoach.context import Context
    from calmcoach.intake.charts import ChartRow

MAX_DAYS = 366


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {cut(text)!r}") from None
    if not 1 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_DAYS} days, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "stats",
        help="a chart per day, and what went together on twitch days",
        description="Show water, caffeine, completed sessions and twitches per day, and count how "
        "often twitch days had a lot of caffeine or too little water. Counts, not causes.",
    )
    parser.add_argument(
        "--days", type=_days, default=14, metavar="N", help="how many days, ending today (default 14)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    add_schedule_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from calmcoach.commands.common import load_schedule
    from calmcoach.history.recovery import with_history
    from calmcoach.history.views import stats
    from calmcoach.intake.charts import chart_rows, plain_chart
    from calmcoach.intake.stats import associations

    schedule = load_schedule(args, ctx.paths)
    settings = schedule.settings
    now = ctx.clock.now(settings.timezone)
    days = with_history(
        ctx.paths.history_db, lambda history: stats(history, settings, now, args.days), now=now, warn=ctx.warn
    )
    notes = associations(days, settings.water_goal_ml)
    if args.json:
        import json

        body = {
            "days": [d.as_json() for d in days],
            "days_logged": sum(d.logged for d in days),
            "twitch_days": sum(d.logged and d.twitches > 0 for d in days),
            "water_goal_ml": settings.water_goal_ml,
            "caffeine_limit_mg": settings.caffeine_limit_mg,
            "associations": notes,
        }
        ctx.out(json.dumps(body, indent=2, ensure_ascii=False))
        return 0
    rows = chart_rows(days, settings.water_goal_ml, settings.caffeine_limit_mg)
    title = (
        f"The last {args.days} days (water goal {settings.water_goal_ml / 1000:g} l, "
        f"caffeine limit {settings.caffeine_limit_mg:.0f} mg)"
    )
    if ctx.stdout.isatty():
        _rich(title, rows, notes, ctx)
        return 0
    ctx.out(title)
    for line in plain_chart(rows):
        ctx.out(line)
    ctx.out()
    for note in notes:
        ctx.out(note)
    return 0


def _rich(title: str, rows: Sequence[ChartRow], notes: Sequence[str], ctx: Context) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from calmcoach.intake.charts import BAR_WIDTH, HEADERS, Bar

    def cell(bar: Bar, colour: str, over: str) -> Text:
        return Text.assemble(
            ("█" * bar.filled, over if bar.over else colour),
            ("·" * (BAR_WIDTH - bar.filled), "dim"),
            " " + bar.label,
        )

    console = Console(file=ctx.stdout, highlight=False)
    table = Table(title=title, title_justify="left", box=None, padding=(0, 1))
    for header in HEADERS:
        table.add_column(header)
    for r in rows:
        table.add_row(
            Text(r.day, style="" if r.logged else "dim"),
            cell(r.water, "blue", "blue"),
            cell(r.caffeine, "yellow", "red"),
            cell(r.sessions, "green", "green"),
            cell(r.twitches, "magenta", "magenta"),
        )
    console.print(table)
    console.print()
    for note in notes:
        console.print(note)
