"""`calmcoach resume`: end a pause."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from calmcoach.context import Context
from calmcoach.service.client import add_json_option, call, when


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "resume", help="end a pause", description="Bring the running service's reminders back after a pause."
    )
    add_json_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    return call(ctx, "resume", {}, as_json=args.json, render=render)


def render(result: Mapping[str, Any]) -> list[str]:
    first = "Resumed." if result.get("was_paused") else "Not paused; nothing to resume."
    upcoming = result.get("next") or []
    if upcoming:
        now = result.get("now")
        return [first + " Next: " + ", ".join(f"{u['name']} at {when(u['at'], now)}" for u in upcoming) + "."]
    return [first]
