"""`calmcoach pause [DURATION | until HH:MM]`: hold every reminder back for a while."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from calmcoach.context import Context
from calmcoach.errors import EXIT_USAGE, CalmcoachError
from calmcoach.service.client import add_json_option, call, when


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "pause",
        help="pause every reminder: for a while (30m), until a time (until 14:00), or until resumed",
        description='Pause the running service\'s reminders. With a duration ("30m", "1h30m") '
        'or "until HH:MM" they come back on their own; with nothing, at `calmcoach resume`. '
        "`calmcoach trigger` still fires a reminder while paused.",
    )
    parser.add_argument("when", nargs="*", metavar="DURATION | until HH:MM", help="how long to pause")
    add_json_option(parser)
    parser.set_defaults(func=run)


def request_args(words: list[str]) -> dict[str, str]:
    """Given the words after `pause`, return the request's arguments; raise a usage error otherwise."""
    from calmcoach.service.holds import parse_hold
    from calmcoach.units import parse_clock

    try:
        if not words:
            return {}
        if len(words) == 2 and words[0] == "until":
            parse_clock(words[1])
            return {"until": words[1]}
        if len(words) == 1:
            parse_hold(words[0])
            return {"duration": words[0]}
    except ValueError as error:
        raise CalmcoachError(f"calmcoach pause: {error}", exit_code=EXIT_USAGE) from None
    raise CalmcoachError(
        f'calmcoach pause: expected a duration like "30m" or "until 14:00", got {" ".join(words)!r}',
        exit_code=EXIT_USAGE,
    )


def run(args: argparse.Namespace, ctx: Context) -> int:
    return call(ctx, "pause", request_args(args.when), as_json=args.json, render=render)


def render(result: Mapping[str, Any]) -> list[str]:
    until = result.get("paused_until")
    if until:
        shown = when(until, result.get("now"))
        return [f"Paused until {shown}. `calmcoach resume` brings the reminders back sooner."]
    return ["Paused until you resume with `calmcoach resume`."]
