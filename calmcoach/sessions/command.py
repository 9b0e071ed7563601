"""What `calmcoach breathe` and `calmcoach stretch` share: the sound options, the user's schedule
(for their voice and patterns), and running or saving a session with kind words at the end.

Exit codes: 0 when the session ran to its end (or was saved); 130 when Ctrl-C stopped it, the
shell's convention for an interrupted command, so that `calmcoach breathe && next-thing` does not
carry on as if the session had been completed. The person still sees a calm line, never a
traceback, and the stopped session is recorded as stopped. A session whose sound is lost on the
way (the sound server went away) is said at once, on stderr, and goes on to its end on the screen:
it exits 0, as a session that ran to its end.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from calmcoach.errors import EXIT_USAGE, CalmcoachError, ScheduleError

if TYPE_CHECKING:
    from concurrent.futures import Future

    from calmcoach.context import Context
    from calmcoach.outputs.voice import TtsSpeaker
    from calmcoach.outputs.voice.player import PlayerChoice
    from calmcoach.schedule.model import Schedule, VoiceSettings
    from calmcoach.sessions.guided import Plan, Prepared
    from calmcoach.sessions.runner import SessionOutput, SessionResult

EXIT_INTERRUPTED = 130


def add_sound_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--list", action="store_true", help="list what can be chosen, and exit")
    parser.add_argument("--no-voice", action="store_true", help="no spoken cues")
    parser.add_argument(
        "--tone", action="store_true", help="a soft tone at each cue (with the voice, or instead)"
    )
    parser.add_argument("--quiet", action="store_true", help="no sound at all: the animation only")
    parser.add_argument(
        "--save",
        type=Path,
        metavar="FILE.wav",
        help="render the whole session (voice and tones) to one WAV file instead of playing it",
    )
    parser.add_argument(
        "--events",
        type=Path,
        metavar="FILE",
        help="write one JSON line per cue: cycle, phase, planned_s, actual_s (seconds from the start)",
    )


@dataclass(frozen=True)
class Sound:
    voice: bool
    tone: bool


def sound_of(args: argparse.Namespace, voice: VoiceSettings) -> Sound:
    """Given the options (and the schedule's voice settings), return what is to be heard.

    Raise a usage error for choices that contradict each other.
    """
    if args.save is not None and args.save.suffix.lower() != ".wav":
        raise CalmcoachError(f"--save writes a WAV file: give a name ending in .wav, got {str(args.save)!r}",
                             exit_code=EXIT_USAGE)  # fmt: skip
    if args.save is not None and args.quiet:
        raise CalmcoachError("--save and --quiet contradict each other: a quiet session has nothing to save",
                             exit_code=EXIT_USAGE)  # fmt: skip
    if args.save is not None and args.no_voice and not args.tone and not getattr(args, "cue", None):
        raise CalmcoachError(
            "nothing to save with --no-voice: add --tone to save the tones", exit_code=EXIT_USAGE
        )
    if args.quiet:
        return Sound(voice=False, tone=False)
    return Sound(voice=voice.enabled and not args.no_voice, tone=args.tone)


def user_schedule(args: argparse.Namespace, ctx: Context, *, required: bool) -> Schedule | None:
    """Return the user's schedule (for their voice settings and patterns), or None if they have none.

    When it is invalid: raise if it is `required` (a pattern of theirs was asked for), else warn
    and go on with the default voice: a typo in a reminder must not stop a breathing session.
    """
    from calmcoach.commands.common import load_schedule

    if not args.schedule and not ctx.paths.user_schedules:
        return None
    try:
        return load_schedule(args, ctx.paths)
    except ScheduleError as error:
        if required:
            raise
        ctx.warn(
            f"your schedule has {len(error.problems)} problem(s), so its voice settings are not used "
            "(see `calmcoach check`)"
        )
        return None


def open_speaker(voice: VoiceSettings, ctx: Context) -> TtsSpeaker:
    """Return the voice; it loads espeak-ng only if a line is not in its cache yet."""
    from calmcoach.outputs.voice import TtsSpeaker

    return TtsSpeaker(voice, ctx.paths.cache / "voice")


@dataclass(frozen=True)
class Closing:
    """This session's closing line, and the id of its tip (so the next session picks another)."""

    kind: str
    line: str
    tip_id: str | None


def closing_of(kind: str, ctx: Context) -> Closing:
    """Return this session's closing line (see `calmcoach.sessions.closing`)."""
    from calmcoach.sessions import closing

    line, tip_id = closing.current(kind, ctx.paths.state, random.Random())
    return Closing(kind, line, tip_id)


def choose_display(ctx: Context, prepared: Prepared) -> SessionOutput:
    """Return the rich animation when stdout is a terminal, else plain lines (without importing rich)."""
    from calmcoach.sessions.animation import LiveAnimation, PlainLines

    isatty = getattr(ctx.stdout, "isatty", None)
    if isatty is not None and isatty():
        from rich.console import Console

        console = Console(file=ctx.stdout)
        if console.is_terminal and not console.is_dumb_terminal:
            return LiveAnimation(console, prepared.timeline)
    return PlainLines(ctx.stdout, prepared.timeline)


def run_or_save(
    plan: Plan,
    args: argparse.Namespace,
    ctx: Context,
    *,
    sound: Sound,
    voice: VoiceSettings,
    closing: Closing | None = None,
    on_started: Callable[[], None] | None = None,
) -> int:
    """Prepare the session, then save it (`--save`) or run it live; return the exit code.

    A live session chooses the next session's closing tip and makes its clip while it runs.
    """
    from calmcoach.sessions import guided

    speaker = open_speaker(voice, ctx) if sound.voice else None
    # Which player works is found while the clips are made: a session has to know before its zero.
    choosing = (
        _choose_player_meanwhile(speaker) if args.save is None and (sound.voice or sound.tone) else None
    )
    try:
        prepared = guided.prepare(plan, synthesizer=speaker, tone_cache=ctx.paths.cache / "tones")
        for problem in prepared.problems:
            ctx.warn(problem)
        if args.save is not None:
            saved = guided.save(prepared, args.save, args.events)
            what = prepared.timeline.title.lower()
            ctx.out(f"Saved {saved.seconds:.1f} s of {what} to {saved.path} ({saved.cues} cues).")
            return 0
        choice = choosing.result() if choosing is not None else None
        return _run_live(
            prepared, args, ctx, choice=choice, speaker=speaker, closing=closing, on_started=on_started
        )
    finally:
        if speaker is not None:
            speaker.close()


def _run_live(
    prepared: Prepared,
    args: argparse.Namespace,
    ctx: Context,
    *,
    choice: PlayerChoice | None,
    speaker: TtsSpeaker | None,
    closing: Closing | None,
    on_started: Callable[[], None] | None,
) -> int:
    from calmcoach.sessions import guided

    if prepared.audio is None:
        choice = None
    from calmcoach.sessions.slot import session_slot

    with session_slot(ctx.paths.runtime):  # never over a scheduled session from the service
        started_at = ctx.clock.now()
        result = guided.play(
            prepared,
            player=choice.player if choice is not None else None,
            no_player=choice.no_sound() if choice is not None else None,
            work_dir=ctx.paths.cache / "sessions",
            display=choose_display(ctx, prepared),
            events=args.events,
            extra=[guided.Background(_next_closing_work(ctx, closing, speaker))]
            if closing is not None
            else [],
            clock=ctx.clock,
            on_problem=ctx.warn,  # a lost sound server is said when it happens, not after the session
        )
    if result.issued and on_started is not None:
        on_started()
    _tell(ctx, prepared, result)
    record_session(ctx, prepared, started_at, result)
    return EXIT_INTERRUPTED if result.interrupted else 0


def _next_closing_work(ctx: Context, closing: Closing, speaker: TtsSpeaker | None) -> Callable[[], None]:
    from calmcoach.sessions import closing as closings

    synthesize = speaker.synthesize if speaker is not None else None
    return closings.prepare_next(closing.kind, ctx.paths.state, closing.tip_id, synthesize)


def _tell(ctx: Context, prepared: Prepared, result: SessionResult) -> None:
    from calmcoach.sessions import scripts

    timeline = prepared.timeline
    if result.completed:
        ctx.out(scripts.finished_message(timeline.title, result.cycles_done, timeline.unit, result.elapsed_s))
    else:
        ctx.out(scripts.stopped_message(result.cycles_done, result.cycles_planned, timeline.unit))
    for problem in result.problems:
        ctx.warn(problem)


def record_session(ctx: Context, prepared: Prepared, started_at: datetime, result: SessionResult) -> None:
    """Record the session in the history; a history that cannot be written is a warning, not a failure."""
    from calmcoach.sessions import guided

    try:
        guided.record(ctx.paths.history_db, prepared.timeline, started_at, result, warn=ctx.warn)
    except CalmcoachError as error:
        ctx.warn(f"the session was not recorded in the history: {error.message}")


def _choose_player_meanwhile(speaker: TtsSpeaker | None) -> Future[PlayerChoice]:
    """Start finding the first installed player that plays a silent clip (the speaker's, when
    there is one) on a thread of its own; return its future."""
    from concurrent.futures import ThreadPoolExecutor

    from calmcoach.outputs.voice.player import choose_player, find_players

    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="calmcoach-player-choice")
    future = executor.submit(
        speaker.choose_player if speaker is not None else lambda: choose_player(find_players())
    )
    executor.shutdown(wait=False)  # the one job still runs; nothing else is ever submitted
    return future
