"""`calmcoach run`: the reminder service, in the foreground (what the systemd unit starts)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import timedelta
from typing import TYPE_CHECKING

from calmcoach.commands.common import add_schedule_option
from calmcoach.context import Context
from calmcoach.errors import EXIT_OK

if TYPE_CHECKING:
    from calmcoach.schedule.model import Settings


def _lead(text: str) -> timedelta:
    from calmcoach.units import parse_duration

    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the reminder service in the foreground (systemd runs this)",
        description="Run the reminder service in the foreground: it delivers the schedule's "
        "reminders until stopped (SIGTERM or Ctrl-C), reloads its schedule on SIGHUP or "
        "`calmcoach reload`, and answers `calmcoach status`, `pause`, `resume`, `snooze` and "
        "`trigger`. Logs go to stderr. `calmcoach service install` sets it up as a systemd user "
        "service.",
    )
    add_schedule_option(parser)
    parser.add_argument(
        "--session-lead",
        type=_lead,
        default=timedelta(seconds=30),
        metavar="DURATION",
        help="time between a breathing or stretch announcement and its session (default 30s)",
    )
    parser.add_argument(
        "--no-presence",
        dest="presence",
        action="store_false",
        help="do not ask the desktop whether you are away, locked or busy: every reminder comes "
        "on time, and the schedule's idle_after and respect_dnd have no effect",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from calmcoach.service.daemon import Service, ServiceOptions
    from calmcoach.service.logsetup import configure
    from calmcoach.service.outputs import ServiceOutputs, build_outputs, build_sessions

    configure(ctx.stderr, debug=ctx.debug)
    options = ServiceOptions(
        schedule_given=list(args.schedule), session_lead=args.session_lead, presence=args.presence
    )
    if not options.presence:
        # Said before starting, so that the log explains why no "presence:" line follows.
        logging.getLogger("calmcoach.service").info(
            "presence detection is off (--no-presence): reminders come whether you are away or busy"
        )
    built: list[ServiceOutputs] = []

    def outputs_for(settings: Settings) -> ServiceOutputs:
        built.append(build_outputs(settings, ctx.paths, ctx.stdout))
        return built[-1]

    service = Service(
        ctx.paths,
        ctx.clock,
        options,
        outputs_factory=outputs_for,
        # Sessions share the outputs' speaker: one engine, one voice at a time.
        sessions_factory=lambda _: build_sessions(built[-1], ctx.paths, ctx.clock),
    )
    service.install_signal_handlers()  # before start: a SIGTERM while starting waits in the pipe
    service.start()
    try:
        service.serve()
    finally:
        idle = service.shutdown()
    if not idle:
        # A worker is still busy past the stop deadline (a hung output): the interpreter would wait
        # for it at exit. The state is saved and further saves refused, so leave at once.
        ctx.stderr.flush()
        sys.stdout.flush()
        os._exit(EXIT_OK)
    return EXIT_OK
