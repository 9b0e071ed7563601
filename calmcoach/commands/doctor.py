"""`calmcoach doctor [--json] [--test]`: what works here for notifications and the voice.

Exit 0 when notifications and the voice both work (and, with --test, both test deliveries went
out), 1 otherwise. Every check is bounded in time.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from calmcoach.commands.common import add_schedule_option
from calmcoach.context import Context


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check what works here (bus, notification server, speech, audio) and what to install",
        description=(
            "Check the session bus, the notification server, plyer's backend, the speech engine "
            "and its voices, an audio player and the audio output. Each is printed as OK or "
            "MISSING, with the command that fixes it. Exits 0 when notifications and the voice "
            "both work, 1 otherwise."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object for machines")
    parser.add_argument(
        "--test",
        action="store_true",
        help='also send a real notification ("calmcoach test") and speak a short phrase',
    )
    add_schedule_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from calmcoach.commands.common import load_schedule
    from calmcoach.diagnostics.probes import examine
    from calmcoach.diagnostics.report import render
    from calmcoach.errors import ScheduleError

    # The voice, rate and volume reminders will use; a broken schedule is `check`'s business,
    # so doctor says so and carries on with the built-in voice settings.
    try:
        voice = load_schedule(args, ctx.paths).settings.voice
    except ScheduleError as error:
        ctx.warn(f"{error.problems[0]} (and maybe more: see `calmcoach check`); using the default voice")
        voice = None
    report = examine(ctx.paths, send_test=args.test, voice=voice)
    if args.json:
        ctx.out(json.dumps(report.as_json(), indent=2))
    else:
        for line in render(report):
            ctx.out(line)
    return report.exit_code
