"""`calmcoach today`: the day at a glance (water, caffeine, sessions, reminders, twitches)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from calmcoach.commands.common import add_schedule_option

if TYPE_CHECKING:
    from calmcoach.context import Context
    from calmcoach.intake.overview import Today


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "today",
        help="what happened today: water, caffeine, sessions, reminders, twitches",
        description="Show today so far: water against the goal and the pace, caffeine taken, in the "
        "body now and expected at bedtime, sessions done, reminders delivered and acted on, twitches.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    add_schedule_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from calmcoach.commands.common import load_schedule
    from calmcoach.history.recovery import with_history
    from calmcoach.history.views import today

    schedule = load_schedule(args, ctx.paths)
    now = ctx.clock.now(schedule.settings.timezone)
    day = with_history(
        ctx.paths.history_db, lambda history: today(history, schedule, now), now=now, warn=ctx.warn
    )
    if args.json:
        import json

        ctx.out(json.dumps(day.as_json(), indent=2, ensure_ascii=False))
    elif ctx.stdout.isatty():
        _rich(day, ctx)
    else:
        for line in day.lines():
            ctx.out(line)
    return 0


def _rich(day: Today, ctx: Context) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=ctx.stdout, highlight=False)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="cyan", no_wrap=True)
    grid.add_column()
    for label, text in day.rows():
        grid.add_row(label, text)
    console.print(day.title, style="bold")
    console.print(grid)
    if day.advice:
        console.print()
        console.print(day.advice, style="yellow")
