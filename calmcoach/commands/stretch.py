"""`calmcoach stretch [ROUTINE]`: a guided neck and shoulder stretch routine now.

Spoken step by step, with holds and counts per side ("left side... hold... 3, 2, 1, release"),
on the same runner and with the same sound options as `calmcoach breathe`. The first routine of
the day begins with the safety line: gently, never into pain, stop if dizzy.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calmcoach.content.routines import Routine
    from calmcoach.context import Context


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from calmcoach.commands.common import add_schedule_option
    from calmcoach.sessions.command import add_sound_options

    parser = subparsers.add_parser(
        "stretch",
        help="a guided neck and shoulder stretch routine now",
        description=(
            "A guided stretch routine, spoken step by step with holds counted down per side. "
            "Move gently and never into pain. Ctrl-C stops it calmly."
        ),
    )
    parser.add_argument(
        "routine", nargs="?", metavar="ROUTINE", help="a routine name (see --list); default: neck-basic"
    )
    add_sound_options(parser)
    add_schedule_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from calmcoach.content.routines import DEFAULT_ROUTINE, ROUTINES
    from calmcoach.schedule.model import VoiceSettings
    from calmcoach.sessions import guided, stamps
    from calmcoach.sessions.command import closing_of, run_or_save, sound_of, user_schedule

    if args.list:
        ctx.out(routine_list(list(ROUTINES.values())))
        return 0
    name = DEFAULT_ROUTINE if args.routine is None else args.routine  # "" is a mistake, not the default
    routine = ROUTINES.get(name)
    if routine is None:
        raise _unknown_routine(name, list(ROUTINES))
    schedule = user_schedule(args, ctx, required=False)
    voice = schedule.settings.voice if schedule is not None else VoiceSettings()
    sound = sound_of(args, voice)
    today = stamps.safety_day(ctx.clock, schedule.settings.timezone if schedule is not None else None)
    # A saved file may be played on any day, so it always carries the safety line.
    safety = args.save is not None or stamps.safety_due(ctx.paths.state, today)
    closing = closing_of("stretch", ctx)
    plan = guided.stretch_plan(
        routine, voice=sound.voice, tone=sound.tone, safety=safety, closing=closing.line, rate_wpm=voice.rate
    )

    def said_safety_line() -> None:
        if safety and args.save is None:
            try:
                stamps.mark_safety_said(ctx.paths.state, today)
            except OSError as error:
                ctx.warn(f"could not note that the safety line was said today: {error.strerror or error}")

    return run_or_save(
        plan, args, ctx, sound=sound, voice=voice, closing=closing, on_started=said_safety_line
    )


def _unknown_routine(name: str, known: list[str]) -> Exception:
    import difflib

    from calmcoach.errors import EXIT_USAGE, CalmcoachError

    close = difflib.get_close_matches(name, known, n=1)
    hint = f' Did you mean "{close[0]}"?' if close else ""
    return CalmcoachError(
        f'calmcoach stretch: unknown routine "{name}".{hint} Choose one of: {", ".join(known)} '
        "(`calmcoach stretch --list` shows them)",
        exit_code=EXIT_USAGE,
    )


def routine_list(routines: list[Routine]) -> str:
    """Given routines, return the text of `--list`: each with its length, steps and holds."""
    from calmcoach.content.routines import STRETCHES
    from calmcoach.sessions.scripts import clock_length

    blocks = []
    for routine in routines:
        lines = [
            f"{routine.name}  {routine.title}, about {clock_length(routine.seconds)} of holds",
            f"  {routine.description}",
        ]
        for step in routine.steps:
            stretch = STRETCHES[step.stretch]
            sides = f", {' and '.join(step.sides)}" if any(step.sides) else ""
            reps = f" x {step.reps}" if step.reps > 1 else ""
            lines.append(f"  - {stretch.name}: hold {step.hold_s:g} s{reps}{sides}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
