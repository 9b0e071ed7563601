"""A session run by the service for a `breathing` or `stretch` reminder: by voice, no terminal.

    from calmcoach.sessions.scheduled import run_scheduled
    result = run_scheduled(reminder.kind, reminder.pattern or reminder.routine, settings=schedule.settings,
                           paths=ctx.paths, clock=ctx.clock, speaker=speaker, stop=stop_event,
                           minutes=reminder.minutes, cycles=reminder.cycles)

This is the one implementation: the service (`calmcoach.service.sessions`) calls it. It plans the
session from the reminder (pattern or routine, length), makes every clip with the service's own
speaker (one pyttsx3 engine per process, owned by its own thread: pass the speaker the service
already has), closes with the shared tip rotation (`closing`), plays it through one player,
records it in the history (unless the caller records it itself), and returns the result, or None
when `stop` was set before it began. `stop` (a `threading.Event`) ends it early from another
thread: the service's pause, stop or shutdown. Nothing is printed; problems come back in
`result.problems`. Two sessions must not overlap: the service runs this on its single speech
worker, and `session_slot` keeps it off a session playing in another process (SessionBusy).

An unknown pattern or routine name is not an error here: the schedule loader has already checked
the names, so one that is unknown now was taken away after the reminder was read (a reload that
removed the person's own pattern). The reminder has been announced, so the session still runs,
with the default, and a warning naming the missing one is logged.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from calmcoach.clock import Clock
from calmcoach.content.patterns import DEFAULT_PATTERN, BreathingPattern, built_in_pattern
from calmcoach.content.routines import DEFAULT_ROUTINE, ROUTINES, Routine
from calmcoach.errors import CalmcoachError
from calmcoach.paths import Paths
from calmcoach.schedule.model import Settings
from calmcoach.sessions import closing, guided, stamps
from calmcoach.sessions.runner import SessionResult, Sleep
from calmcoach.sessions.slot import session_slot

if TYPE_CHECKING:
    from calmcoach.outputs.voice.player import PlayerChoice

log = logging.getLogger("calmcoach.sessions")


class VoicedSynthesizer(Protocol):
    """A Speaker as sessions use it: clips from text, and the player's argv (TtsSpeaker has both)."""

    @property
    def player(self) -> Sequence[str] | None: ...

    def choose_player(self) -> PlayerChoice: ...

    def synthesize(self, text: str) -> Path: ...


def find_pattern(name: str | None, settings: Settings) -> tuple[BreathingPattern, str | None]:
    """Given a pattern name (None: the default) and the settings, return the pattern (the
    person's own first, then the built-in ones) and, when the name is unknown, the warning to give:
    the default is used instead."""
    wanted = name or DEFAULT_PATTERN
    found = next((p for p in settings.patterns if p.name == wanted), None) or built_in_pattern(wanted)
    if found is not None:
        return found, None
    default = built_in_pattern(DEFAULT_PATTERN)
    assert default is not None, "the default pattern is built in"
    return default, (
        f'breathing pattern "{wanted}" is not in the schedule any more (removed by a reload?); '
        f'using "{DEFAULT_PATTERN}" instead'
    )


def find_routine(name: str | None) -> tuple[Routine, str | None]:
    """Given a routine name (None: the default), return the routine and, when the name is unknown,
    the warning to give: the default is used instead."""
    wanted = name or DEFAULT_ROUTINE
    if wanted in ROUTINES:
        return ROUTINES[wanted], None
    warning = f'stretch routine "{wanted}" is unknown; using "{DEFAULT_ROUTINE}" instead'
    return ROUTINES[DEFAULT_ROUTINE], warning


def planned_seconds(
    kind: str,
    name: str | None,
    settings: Settings,
    *,
    minutes: float | None = None,
    cycles: int | None = None,
) -> float:
    """Given what `run_scheduled` would be given, return about how long the session lasts, in seconds
    (the cues alone: spoken words may stretch it a little)."""
    if kind == "breathing":
        pattern, _ = find_pattern(name, settings)
        return pattern.cycles_wanted(minutes=minutes, cycles=cycles) * pattern.cycle_seconds
    if kind == "stretch":
        return find_routine(name)[0].seconds
    raise CalmcoachError(f"a session is breathing or stretch, not {kind!r}")


def run_scheduled(
    kind: str,
    name: str | None,
    *,
    settings: Settings,
    paths: Paths,
    clock: Clock,
    speaker: VoicedSynthesizer | None,
    stop: threading.Event | None = None,
    minutes: float | None = None,
    cycles: int | None = None,
    record: bool = True,
    sleep: Sleep = time.sleep,
    player: Sequence[str] | None = None,
) -> SessionResult | None:
    """Run a breathing ("breathing") or stretch ("stretch") session by voice; record it; return it.

    With no speaker (or the voice turned off in the settings), the session is guided by tones.
    Returns None, having played and recorded nothing, when `stop` is set before the session begins.
    `record=False` leaves recording to the caller (the service records through its own open
    history). `player` overrides the speaker's player (tests).
    """
    voice = speaker is not None and settings.voice.enabled
    rng = random.Random()
    line, tip_id = closing.current(kind, paths.state, rng)
    today = stamps.safety_day(clock, settings.timezone)
    safety = kind == "stretch" and stamps.safety_due(paths.state, today)
    if kind == "breathing":
        pattern, unknown = find_pattern(name, settings)
        plan = guided.breathing_plan(
            pattern,
            pattern.cycles_wanted(minutes=minutes, cycles=cycles),
            voice=voice,
            tone=not voice,
            closing=line,
            rate_wpm=settings.voice.rate,
        )
    elif kind == "stretch":
        routine, unknown = find_routine(name)
        plan = guided.stretch_plan(
            routine, voice=voice, tone=not voice, safety=safety, closing=line, rate_wpm=settings.voice.rate
        )
    else:
        raise CalmcoachError(f"a session is breathing or stretch, not {kind!r}")
    if unknown is not None:
        log.warning("%s", unknown)
    prepared = guided.prepare(plan, synthesizer=speaker if voice else None, tone_cache=paths.cache / "tones")
    if stop is not None and stop.is_set():  # making the clips can take a while; a stop may land meanwhile
        return None
    synthesize = speaker.synthesize if voice and speaker is not None else None
    with session_slot(paths.runtime):  # raises SessionBusy when another session is playing
        started_at = clock.now(settings.timezone)
        choice = _working_player(player, speaker)
        result = guided.play(
            prepared,
            player=choice.player,
            no_player=choice.no_sound(),
            work_dir=paths.cache / "sessions",
            display=None,
            extra=[guided.Background(closing.prepare_next(kind, paths.state, tip_id, synthesize))],
            clock=clock,
            sleep=sleep,
            stop=stop,
        )
    problems = list(prepared.problems)
    if result.issued and safety:  # stopped before its first cue, the line was never heard
        try:
            stamps.mark_safety_said(paths.state, today)
        except OSError as error:
            problems.append(f"could not note that the safety line was said today: {error}")
    if record:
        try:
            guided.record(paths.history_db, prepared.timeline, started_at, result)
        except CalmcoachError as error:
            problems.append(f"the session was not recorded in the history: {error.message}")
    return result if not problems else _with_problems(result, problems)


def _with_problems(result: SessionResult, problems: list[str]) -> SessionResult:
    from dataclasses import replace

    return replace(result, problems=(*problems, *result.problems))


def _working_player(player: Sequence[str] | None, speaker: VoicedSynthesizer | None) -> PlayerChoice:
    """Return `player` when given (tests), else the first player that plays a silent clip: the
    speaker's own choice when there is a speaker, so a fallback it found is kept."""
    from calmcoach.outputs.voice.player import PlayerChoice, choose_player, find_players

    if player is not None:
        return PlayerChoice(list(player), ())
    if speaker is not None:
        return speaker.choose_player()
    return choose_player(find_players())
