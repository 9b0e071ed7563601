"""`calmcoach reload`: read the schedule files again (like SIGHUP, or `systemctl --user reload calmcoach`)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from calmcoach.context import Context
from calmcoach.service.client import add_json_option, call


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "reload",
        help="make the service read its schedule files again",
        description="Make the running service read its schedule files again. If they are "
        "invalid, it keeps the schedule it has and this prints every problem (exit 1).",
    )
    add_json_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    return call(ctx, "reload", {}, as_json=args.json, render=render)


def render(result: Mapping[str, Any]) -> list[str]:
    count = result.get("reminders", 0)
    files = ", ".join(result.get("files") or [])
    return [f"Reloaded: {count} reminder{'s' if count != 1 else ''} from {files}."]
