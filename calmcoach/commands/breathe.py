"""`calmcoach breathe [PATTERN]`: a guided breathing session now, spoken and animated.

Patterns are the built-in ones and the person's own from `[settings.patterns]`. The schedule is
read only when it is needed: for a pattern of theirs, and for their voice settings when they have
schedule files. The work is imported inside `run`, so the CLI starts fast.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from calmcoach.units import cut

if TYPE_CHECKING:
    from calmcoach.content.patterns import BreathingPattern, PhaseKind
    from calmcoach.context import Context
    from calmcoach.sessions.timeline import CueStyle

CUE_CHOICES = ("voice", "tone", "both", "silent")
PHASE_NAMES = ("inhale", "top-up", "hold", "exhale", "rest")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from calmcoach.commands.common import add_schedule_option
    from calmcoach.sessions.command import add_sound_options

    parser = subparsers.add_parser(
        "breathe",
        help="a guided breathing session now",
        description=(
            "A guided breathing session: spoken cues (or soft tones), an animation that grows as "
            "you breathe in and shrinks as you breathe out, and cues that stay on time. Ends on a "
            "whole cycle. Ctrl-C stops it calmly."
        ),
    )
    parser.add_argument(
        "pattern", nargs="?", metavar="PATTERN", help="a pattern name (see --list); default: coherent"
    )
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float, metavar="N", help="about this long, rounded to whole cycles")
    length.add_argument("--cycles", type=int, metavar="N", help="exactly this many cycles")
    parser.add_argument("--counts", action="store_true", help="count the seconds of each phase: in, 2, 3, 4")
    parser.add_argument(
        "--cue",
        action="append",
        default=[],
        metavar="PHASE=HOW",
        help="how one phase is cued: voice, tone, both or silent, e.g. --cue hold=silent --cue exhale=tone "
        f"(phases: {', '.join(PHASE_NAMES)})",
    )
    add_sound_options(parser)
    add_schedule_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from calmcoach.content.patterns import BUILT_IN, DEFAULT_PATTERN, built_in_pattern
    from calmcoach.schedule.model import VoiceSettings
    from calmcoach.sessions import guided, scripts
    from calmcoach.sessions.command import closing_of, run_or_save, sound_of, user_schedule

    name = DEFAULT_PATTERN if args.pattern is None else args.pattern  # "" is a mistake, not the default
    wanted_built_in = built_in_pattern(name)
    schedule = user_schedule(args, ctx, required=wanted_built_in is None and not args.list)
    theirs = schedule.settings.patterns if schedule is not None else ()
    if args.list:
        ctx.out(pattern_list([*BUILT_IN, *theirs]))
        return 0
    pattern = wanted_built_in or next((p for p in theirs if p.name == name), None)
    if pattern is None:
        raise _unknown_pattern(name, [p.name for p in (*BUILT_IN, *theirs)])
    cycles = _cycles(args, pattern)
    voice = schedule.settings.voice if schedule is not None else VoiceSettings()
    sound = sound_of(args, voice)
    if args.minutes is not None:
        ctx.out(scripts.minutes_summary(pattern, args.minutes, cycles))
    styles = parse_cues(args.cue)  # checked even with --quiet, so a typo is never silently ignored
    closing = closing_of("breathing", ctx)
    plan = guided.breathing_plan(
        pattern,
        cycles,
        voice=sound.voice,
        tone=sound.tone,
        counts=args.counts,
        styles=styles if not args.quiet else {},
        closing=closing.line,
        rate_wpm=voice.rate,
    )
    return run_or_save(plan, args, ctx, sound=sound, voice=voice, closing=closing)


def _cycles(args: argparse.Namespace, pattern: BreathingPattern) -> int:
    """Given --cycles or --minutes (checked against the bounds schedule files use), return the cycles."""
    from calmcoach.content.patterns import (
        MAX_SESSION_CYCLES,
        MAX_SESSION_MINUTES,
        MIN_SESSION_CYCLES,
        MIN_SESSION_MINUTES,
    )
    from calmcoach.errors import EXIT_USAGE, CalmcoachError

    if args.cycles is not None and not MIN_SESSION_CYCLES <= args.cycles <= MAX_SESSION_CYCLES:
        raise CalmcoachError(
            f"--cycles: expected {MIN_SESSION_CYCLES} to {MAX_SESSION_CYCLES}, got {args.cycles}",
            exit_code=EXIT_USAGE,
        )
    if args.minutes is not None and not MIN_SESSION_MINUTES <= args.minutes <= MAX_SESSION_MINUTES:
        raise CalmcoachError(
            f"--minutes: expected {MIN_SESSION_MINUTES:g} to {MAX_SESSION_MINUTES:g}, got {args.minutes:g}",
            exit_code=EXIT_USAGE,
        )
    return pattern.cycles_wanted(minutes=args.minutes, cycles=args.cycles)


def parse_cues(given: list[str]) -> dict[PhaseKind, CueStyle]:
    """Given `--cue PHASE=HOW` values, return the style of each phase named; raise a usage error."""
    from calmcoach.content.patterns import PhaseKind
    from calmcoach.errors import EXIT_USAGE, CalmcoachError
    from calmcoach.sessions.timeline import CueStyle

    styles: dict[PhaseKind, CueStyle] = {}
    for item in given:
        phase, _, how = item.partition("=")
        phase, how = phase.strip().lower(), how.strip().lower()
        if phase not in PHASE_NAMES or how not in CUE_CHOICES:
            raise CalmcoachError(
                f"--cue: expected PHASE=HOW with PHASE one of {', '.join(PHASE_NAMES)} and HOW one of "
                f"{', '.join(CUE_CHOICES)}, got {cut(item)!r}",
                exit_code=EXIT_USAGE,
            )
        styles[PhaseKind(phase)] = CueStyle(voice=how in ("voice", "both"), tone=how in ("tone", "both"))
    return styles


def _unknown_pattern(name: str, known: list[str]) -> Exception:
    import difflib

    from calmcoach.errors import EXIT_USAGE, CalmcoachError

    close = difflib.get_close_matches(name, known, n=1)
    hint = f' Did you mean "{close[0]}"?' if close else ""
    return CalmcoachError(
        f'calmcoach breathe: unknown pattern "{name}".{hint} Choose one of: {", ".join(known)} '
        "(`calmcoach breathe --list` shows them; your own go in [settings.patterns] of a schedule file)",
        exit_code=EXIT_USAGE,
    )


def pattern_list(patterns: list[BreathingPattern]) -> str:
    """Given patterns, return the text of `--list`: timings, breaths a minute, description, source."""
    from calmcoach.content.patterns import PhaseKind
    from calmcoach.sessions.scripts import plural

    words = {
        PhaseKind.INHALE: "in",
        PhaseKind.TOP_UP: "top up",
        PhaseKind.HOLD_IN: "hold",
        PhaseKind.EXHALE: "out",
        PhaseKind.HOLD_OUT: "rest",
    }
    blocks = []
    for p in patterns:
        phases = ", ".join(f"{words[ph.kind]} {ph.seconds:g} s" for ph in p.phases)
        length = plural(p.session_cycles, "cycle")
        lines = [
            f"{p.name}  ({p.timing})",
            f"  {phases}: {p.cycle_seconds:g} s a cycle, {p.breaths_per_minute:.2f} breaths a minute; "
            f"default {length}",
        ]
        if p.description:
            lines.append(f"  {p.description}")
        if p.source:
            lines.append(f"  Source: {p.source}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
