"""`calmcoach trigger NAME`: fire one reminder now."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from calmcoach.context import Context
from calmcoach.service.client import add_json_option, call


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "trigger",
        help="fire one reminder now",
        description="Fire one reminder at once, on its channels, even while paused; its schedule "
        "is unchanged.",
    )
    parser.add_argument("name", help="the reminder's name, as in the schedule file")
    add_json_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    return call(ctx, "trigger", {"name": args.name}, as_json=args.json, render=render)


def render(result: Mapping[str, Any]) -> list[str]:
    channels = ", ".join(result.get("channels") or [])
    return [f"Firing {result.get('name')} now ({channels})."]
