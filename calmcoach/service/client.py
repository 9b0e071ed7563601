"""The control commands' side of the socket: send one command, print the answer (or --json).

Imported by `calmcoach status|pause|resume|snooze|trigger|reload`, so it stays light: the standard
library and the control module only.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from calmcoach.context import Context
from calmcoach.errors import EXIT_FAILURE, EXIT_OK, CalmcoachError
from calmcoach.service.control import ControlClient, ServiceNotRunning

Render = Callable[[Mapping[str, Any]], list[str]]


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the service's answer as JSON")


def call(ctx: Context, command: str, args: Mapping[str, Any], *, as_json: bool, render: Render) -> int:
    """Given a command, its arguments and how to show the result, talk to the service; return the exit code.

    Without --json, failures are raised as CalmcoachError (the CLI prints them on stderr). With
    --json, every answer is printed on stdout as it came, and "not running" as {"ok": false, ...}.
    """
    client = ControlClient(ctx.paths.control_socket)
    try:
        answer = client.request(command, args)
    except ServiceNotRunning as error:
        if not as_json:
            raise
        ctx.out(json.dumps({"ok": False, "running": False, "error": error.message}, indent=2))
        return EXIT_FAILURE
    if as_json:
        ctx.out(json.dumps(answer, indent=2, ensure_ascii=False))
        return EXIT_OK if answer["ok"] else EXIT_FAILURE
    if not answer["ok"]:
        details = [str(d) for d in answer.get("details") or []]
        raise CalmcoachError("\n".join([f"calmcoach {command}: {answer.get('error', 'failed')}", *details]))
    for line in render(answer.get("result") or {}):
        ctx.out(line)
    return EXIT_OK


def when(text: str | None, now: str | None = None) -> str:
    """Given an ISO time from the service (and its "now"), return "14:05" today, "Tue 09:00"
    within the week, else "Tue 2 Dec 2026 09:00"."""
    if not text:
        return "never"
    moment = datetime.fromisoformat(text)
    shown = f"{moment:%H:%M}" if moment.second == 0 else f"{moment:%H:%M:%S}"
    if now is None:
        return shown
    days = (moment.date() - datetime.fromisoformat(now).date()).days
    if days == 0:
        return shown
    # A weekday alone would be ambiguous a week or more away (or in the past): give the date.
    if 0 < days < 7:
        return f"{moment:%a} {shown}"
    return f"{moment:%a} {moment.day} {moment:%b %Y} {shown}"
