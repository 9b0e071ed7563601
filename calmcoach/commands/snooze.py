"""`calmcoach snooze NAME DURATION`: put one reminder off for a while."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from calmcoach.context import Context
from calmcoach.errors import EXIT_USAGE, CalmcoachError
from calmcoach.service.client import add_json_option, call, when


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "snooze",
        help="put one reminder off: snooze water 20m",
        description="Put one reminder off: it fires once when the time is up, then keeps to its schedule.",
    )
    parser.add_argument("name", help="the reminder's name, as in the schedule file")
    parser.add_argument("duration", help='how long, like "20m" or "1h"')
    add_json_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from calmcoach.service.holds import parse_hold

    try:
        parse_hold(args.duration)
    except ValueError as error:
        raise CalmcoachError(f"calmcoach snooze: {error}", exit_code=EXIT_USAGE) from None
    return call(
        ctx, "snooze", {"name": args.name, "duration": args.duration}, as_json=args.json, render=render
    )


def render(result: Mapping[str, Any]) -> list[str]:
    return [f"Snoozed {result.get('name')} until {when(result.get('until'), result.get('now'))}."]
