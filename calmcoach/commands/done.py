"""`calmcoach done NAME`: say a reminder was acted on. For a hydration reminder it also logs a glass."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from calmcoach.commands.common import add_schedule_option
from calmcoach.commands.log import add_when_option
from calmcoach.units import cut

if TYPE_CHECKING:
    from calmcoach.context import Context
    from calmcoach.history import History


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "done",
        help="mark the last reminder of a name as acted on",
        description="Mark the last delivery of the reminder NAME as acted on. For a hydration "
        "reminder this also logs a glass of water (250 ml).",
    )
    parser.add_argument("name", metavar="NAME", help="the reminder's name in the schedule (e.g. water)")
    add_when_option(parser)
    add_schedule_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from calmcoach.commands.common import load_schedule
    from calmcoach.commands.log import moment, usage_error
    from calmcoach.history.recovery import with_history
    from calmcoach.history.views import water_total_line
    from calmcoach.intake.fmt import format_volume
    from calmcoach.intake.hydration import GLASS_ML, drinking_window
    from calmcoach.schedule.model import Kind

    schedule = load_schedule(args, ctx.paths)
    settings = schedule.settings
    now = ctx.clock.now(settings.timezone)
    at = moment(args, "done", now, settings.timezone)
    reminder = schedule.reminder(args.name)

    def mark(history: History) -> str:
        last = history.last_delivery(args.name)
        if last is None and reminder is None:
            known = ", ".join(r.name for r in schedule.reminders) or "none"
            raise usage_error("done", f"no reminder named {cut(args.name)!r} (the schedule has: {known})")
        marked = history.mark_acted(args.name, at)
        kind = last.kind if last is not None else str(reminder.kind if reminder else "")
        when = " by then" if args.at else " yet"
        said = (
            f"Marked {cut(args.name)!r} as done."
            if marked
            else f"No delivery of {cut(args.name)!r} is recorded{when}, so nothing to mark."
        )
        if kind == Kind.HYDRATION.value:
            history.log_water(GLASS_ML, at)
            total = water_total_line(
                history, settings.water_goal_ml, drinking_window(schedule), settings.timezone, now
            )
            said += f" Logged {format_volume(GLASS_ML)} of water. {total}"
        return said

    ctx.out(with_history(ctx.paths.history_db, mark, now=now, warn=ctx.warn))
    return 0
