"""`calmcoach check [FILE...]`: validate schedule files, showing every problem in every file.

Exit 0 when valid (with a one-line summary per file on stdout), 1 when anything is wrong (each
problem on its own line on stderr, `FILE:LINE: key.path: message`), 2 for a usage error.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from calmcoach.commands.common import add_schedule_option, schedule_files
from calmcoach.errors import EXIT_FAILURE, EXIT_OK

if TYPE_CHECKING:
    from calmcoach.context import Context
    from calmcoach.schedule.model import Schedule


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check",
        help="validate schedule files and show every problem",
        description=(
            "Validate schedule files and report every problem, one per line, as FILE:LINE: key: "
            "message. With no FILE, check what `calmcoach run` would load: the .toml files in "
            "the config folder, else the packaged default. Exit 0 valid, 1 invalid, 2 usage error."
        ),
    )
    parser.add_argument("files", metavar="FILE", nargs="*", type=Path, help="a schedule file (TOML)")
    add_schedule_option(parser)  # `--schedule FILE` as every command that reads schedules takes it
    parser.set_defaults(func=run)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(schedule: Schedule) -> list[str]:
    """Given a valid schedule, return one line per file, and a total when there are several."""
    lines = []
    for path in schedule.files:
        count = sum(1 for reminder in schedule.reminders if reminder.source.file == path)
        lines.append(f"{path}: {_plural(count, 'reminder')}, valid")
    if len(schedule.files) > 1:
        total = _plural(len(schedule.reminders), "reminder")
        lines.append(f"{total} in {len(schedule.files)} files, valid together")
    return lines


def run(args: argparse.Namespace, ctx: Context) -> int:
    from calmcoach.errors import ScheduleError, readable
    from calmcoach.schedule.loader import load_files

    files = schedule_files([*args.files, *args.schedule], ctx.paths)
    try:
        schedule = load_files(files)
    except ScheduleError as error:
        for problem in error.problems:
            print(readable(str(problem)), file=ctx.stderr)
        touched = len({problem.file for problem in error.problems})
        ctx.warn(f"{_plural(len(error.problems), 'problem')} in {_plural(touched, 'file')}")
        return EXIT_FAILURE
    for line in summary(schedule):
        ctx.out(line)
    return EXIT_OK
