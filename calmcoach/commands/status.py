"""`calmcoach status`: what the running service will do next, and how it is doing."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from calmcoach.context import Context
from calmcoach.service.client import add_json_option, call, when


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show the running service: next reminders, pause, last deliveries, channels",
        description="Ask the running service what comes next, whether it is paused, what it "
        "delivered last, whether each channel works, and whether the last reload failed. "
        "Exit 1 when no service is running.",
    )
    add_json_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    return call(ctx, "status", {}, as_json=args.json, render=render)


def presence_lines(presence: Mapping[str, Any] | None, now: str | None) -> list[str]:
    """Given the service's presence status (None: turned off), return its lines: backends and state."""
    if not presence:
        return ["", "Presence: off; reminders come whether you are away or busy."]
    backends = presence.get("backends")
    if backends == "choosing":
        return ["", "Presence: still looking for a way to tell whether you are away."]
    if not isinstance(backends, Mapping) or not any(backends.values()):
        return ["", "Presence: none works here; reminders come whether you are away or busy."]
    dnd = ", ".join(backends.get("dnd") or []) or "nothing"
    lines = [
        "",
        f"Presence: you are {presence.get('state')}"
        + (f" (since {when(presence['away_since'], now)})" if presence.get("away_since") else ""),
        f"  idle time from {backends.get('idle') or 'nothing'}, lock and sleep from "
        f"{backends.get('lock') or 'nothing'}, do-not-disturb from {dnd}",
    ]
    waiting = presence.get("waiting") or []
    if waiting:
        lines.append(f"  waiting until you are back or free: {', '.join(waiting)}")
    return lines


def render(result: Mapping[str, Any]) -> list[str]:
    """Given the service's status, return the lines a person reads."""
    now = result.get("now")
    started = result.get("started_at")
    reminders = result.get("reminders") or []
    lines = [
        f"calmcoach is running (pid {result.get('pid')}, since {when(started, now)}), "
        f"{len(reminders)} reminder{'s' if len(reminders) != 1 else ''}, times in {result.get('timezone')}",
        f"Schedule: {', '.join(result.get('files') or [])}",
    ]
    if result.get("paused"):
        until = result.get("paused_until")
        lines.append(
            f"Paused until {when(until, now)}." if until else "Paused until you resume (`calmcoach resume`)."
        )
    lines += ["", "Next reminders:"]
    width = max((len(r["name"]) for r in reminders), default=4)
    for item in reminders:
        note = f"  (snoozed until {when(item['snoozed_until'], now)})" if item.get("snoozed_until") else ""
        lines.append(
            f"  {when(item.get('next'), now):>9}  {item['name']:<{width}}  {item['kind']:<9}  "
            f"{', '.join(item.get('channels') or [])}{note}"
        )
    deliveries = result.get("last_deliveries") or []
    lines += ["", "Last deliveries:" if deliveries else "Nothing delivered since the service started."]
    for item in deliveries[:5]:
        via = "+".join(item.get("channels") or []) or "no channel worked"
        lines.append(f"  {when(item['at'], now):>9}  {item['name']:<{width}}  via {via}: {item['title']}")
    lines += ["", "Channels:"]
    for channel, health in (result.get("channels") or {}).items():
        if health.get("ok") is None:
            words = "not tried yet"
        elif health.get("ok"):
            words = "ok"
        else:
            words = f"not working: {health.get('reason')}"
        lines.append(f"  {channel:<12}  {words}")
    lines += presence_lines(result.get("presence"), now)
    error = result.get("reload_error")
    if error:
        at = datetime.fromisoformat(error["at"]).astimezone()
        lines += ["", f"The last reload failed at {at:%H:%M:%S}; the service kept the schedule it had:"]
        lines += [f"  {problem}" for problem in error.get("errors") or []]
    return lines
