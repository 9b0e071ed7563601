"""`calmcoach agenda`: the reminders that will fire, in order, in the schedule's local time.

It asks the same planner as the service (`calmcoach.planner`), so what it lists is what `run`
fires. Quick to start: the schedule is loaded inside `run`, and rich is imported only when the
output is a terminal.
"""

from __future__ import annotations

import argparse
import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from calmcoach.commands.common import add_schedule_option, load_schedule
from calmcoach.errors import EXIT_OK, EXIT_USAGE, CalmcoachError
from calmcoach.units import cut

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from calmcoach.context import Context
    from calmcoach.planner import Firing

DEFAULT_HOURS = 24.0
MAX_HOURS = 24.0 * 31
_TICK = timedelta(microseconds=1)
# Colours per kind for the terminal; NO_COLOR turns them off (rich reads it).
_KIND_STYLES = {
    "hydration": "blue",
    "caffeine": "yellow",
    "stretch": "green",
    "breathing": "cyan",
    "tip": "magenta",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "agenda",
        help="list the reminders that will fire, with their local times",
        description=(
            "List the reminders that will fire, in order, in the schedule's time zone: the "
            "firings from the start (now, or --from) up to, not including, --hours later. Days, "
            "windows, quiet hours and daylight-saving changes are applied as `calmcoach run` "
            "applies them."
        ),
    )
    parser.add_argument(
        "--hours",
        metavar="N",
        default=None,
        help=f"how far ahead to look, in hours (default {DEFAULT_HOURS:g}, at most {MAX_HOURS:g})",
    )
    parser.add_argument(
        "--from",
        dest="start",
        metavar="ISO_DATETIME",
        default=None,
        help="start here instead of now, in ISO 8601 (2026-03-29T08:00, or with an offset: "
        "2026-03-29T08:00+02:00); without an offset it is read in the schedule's time zone",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='print a JSON list of {"name", "kind", "at", "channels"}, "at" in ISO 8601 with offset',
    )
    add_schedule_option(parser)
    parser.set_defaults(func=run)


def parse_hours(text: str | None) -> float:
    """Given the --hours text (None: not given), return the hours; raise a usage error if invalid."""
    if text is None:
        return DEFAULT_HOURS
    try:
        hours = float(text)
    except ValueError:
        hours = math.nan
    if not 0 < hours <= MAX_HOURS:  # also refuses nan and inf
        raise CalmcoachError(
            f"calmcoach agenda: --hours expects a number of hours above 0 and at most "
            f"{MAX_HOURS:g} (31 days), got {cut(text)!r}",
            exit_code=EXIT_USAGE,
        )
    return hours


def parse_start(text: str) -> datetime:
    """Given the --from text, return the datetime (naive when no offset was given).

    Raise a usage error when it is not ISO 8601.
    """
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise CalmcoachError(
            f"calmcoach agenda: --from expects an ISO 8601 date and time like 2026-03-29T08:00 "
            f"or 2026-03-29T08:00+02:00, got {cut(text)!r}",
            exit_code=EXIT_USAGE,
        ) from None


def span_end(start: datetime, hours: float, zone: ZoneInfo, given: str | None) -> datetime:
    """Given the start, the hours and the --from text, return the end of the span in `zone`.

    Raise a usage error when the span runs off the calendar (before year 1 or after 9999).
    """
    try:
        # --hours counts elapsed time (a 24-hour look on the spring night ends at a later
        # wall-clock hour), so the end is worked out in UTC.
        end = (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(zone)
        start.astimezone(UTC) - _TICK  # the planner looks from just before the start
    except OverflowError:
        raise CalmcoachError(
            f"calmcoach agenda: --from {given!r} with --hours {hours:g} runs off the calendar; "
            "expected a span between the years 1 and 9999",
            exit_code=EXIT_USAGE,
        ) from None
    return end


def run(args: argparse.Namespace, ctx: Context) -> int:
    from calmcoach.planner import agenda

    hours = parse_hours(args.hours)
    given_start = parse_start(args.start) if args.start is not None else None
    schedule = load_schedule(args, ctx.paths)
    zone = schedule.settings.timezone
    if given_start is None:
        start = ctx.clock.now(zone)
    elif given_start.tzinfo is None:
        start = given_start.replace(tzinfo=zone)
    else:
        start = given_start.astimezone(zone)
    end = span_end(start, hours, zone, args.start)
    # The planner's (start, end] becomes [start, end).
    firings = agenda(schedule, start.astimezone(UTC) - _TICK, end.astimezone(UTC) - _TICK)
    if args.json:
        _print_json(firings, ctx)
    elif not firings:
        ctx.out(f"Nothing fires {span_text(start, end, zone)}.")
    elif ctx.stdout.isatty():
        _print_rich(firings, start, end, zone, ctx)
    else:
        for line in plain_lines(firings):
            ctx.out(line)
    return EXIT_OK


def span_text(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """Given the span looked at, return it in words: "from Mon 2026-03-09 08:00 CET to ..."."""
    return f"from {_moment(start)} to {_moment(end)} ({zone.key})"


def _moment(at: datetime) -> str:
    return f"{at:%a %Y-%m-%d %H:%M} {at.tzname()}"


def _time_format(firings: list[Firing]) -> str:
    """Show seconds only when some firing has them (an "every 90s" reminder)."""
    return "%H:%M:%S" if any(f.at.second or f.at.microsecond for f in firings) else "%H:%M"


def _row(firing: Firing, time_format: str) -> tuple[str, str, str, str, str]:
    """Given a firing, return its columns: day, time with zone, name, kind, channels."""
    at, reminder = firing.at, firing.reminder
    channels = ", ".join(str(channel) for channel in reminder.say)
    return (
        f"{at:%a %Y-%m-%d}",
        f"{at.strftime(time_format)} {at.tzname()}",
        reminder.name,
        str(reminder.kind),
        channels,
    )


def plain_lines(firings: list[Firing]) -> list[str]:
    """Given the firings, return one aligned line each: day, time, name, kind and channels."""
    time_format = _time_format(firings)
    rows = [_row(firing, time_format) for firing in firings]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    return [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[4]])
        for row in rows
    ]


def _print_json(firings: list[Firing], ctx: Context) -> None:
    import json

    entries = [
        {
            "name": firing.reminder.name,
            "kind": str(firing.reminder.kind),
            "at": firing.at.isoformat(),
            "channels": [str(channel) for channel in firing.reminder.say],
        }
        for firing in firings
    ]
    ctx.out(json.dumps(entries, indent=2, ensure_ascii=False))


def _print_rich(firings: list[Firing], start: datetime, end: datetime, zone: ZoneInfo, ctx: Context) -> None:
    import os

    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # stdout is known to be a terminal; force it so that a stream rich cannot probe is treated alike.
    console = Console(
        file=ctx.stdout, force_terminal=True, highlight=False, no_color=bool(os.environ.get("NO_COLOR"))
    )
    count = f"{len(firings)} firing{'' if len(firings) == 1 else 's'}"
    table = Table(
        title=f"Agenda {span_text(start, end, zone)}",
        caption=count,
        title_justify="left",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
    )
    for heading, style in (("day", "dim"), ("time", "bold"), ("reminder", ""), ("kind", ""), ("say", "dim")):
        table.add_column(heading, style=style or None, no_wrap=heading != "say")
    time_format = _time_format(firings)
    for firing in firings:
        day, when, name, kind, channels = _row(firing, time_format)
        # Text cells, so that a name with brackets in it is not read as rich markup.
        table.add_row(day, when, Text(name), Text(kind, style=_KIND_STYLES.get(kind, "")), channels)
    console.print(table)
