"""A session run by the service for a `breathing` or `stretch` reminder: by voice, no terminal.

    from calmcoach.sessions.scheduled import run_scheduled
    result = run_scheduled(reminder.kind, reminder.pattern or reminder.routine, settings=schedule.settings,
                           paths=ctx.paths, clock=ctx.clock, speaker=speaker, stop=stop_event,
                           minutes=reminder.minutes, cycles=reminder.cycles)

It plans the session from the reminder (pattern or routine, length), makes every clip with the
service's own speaker (one pyttsx3 engine per process: pass the speaker the service already has),
plays it through one player, records it in the history, and returns the result. `stop` (a
`threading.Event`) ends it early from another thread: the service's pause, stop or shutdown.
Nothing is printed; problems come back in `result.problems`. Two sessions must not overlap: the
service runs this on its single speech worker, which guarantees that.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from calmcoach.clock import Clock
from calmcoach.content.patterns import BUILT_IN, DEFAULT_PATTERN, BreathingPattern
from calmcoach.content.routines import DEFAULT_ROUTINE, ROUTINES
from calmcoach.errors import CalmcoachError
from calmcoach.paths import Paths
from calmcoach.schedule.model import Settings
from calmcoach.sessions import closing, guided, stamps
from calmcoach.sessions.runner import SessionResult, Sleep
from calmcoach.sessions.slot import session_slot


class VoicedSynthesizer(Protocol):
    """A Speaker as sessions use it: clips from text, and the player's argv (TtsSpeaker has both)."""

    @property
    def player(self) -> list[str] | None: ...

    def synthesize(self, text: str) -> Path: ...


def find_pattern(name: str | None, settings: Settings) -> BreathingPattern:
    """Given a pattern name (None: the default) and the settings, return the pattern or raise."""
    wanted = name or DEFAULT_PATTERN
    for pattern in (*BUILT_IN, *settings.patterns):
        if pattern.name == wanted:
            return pattern
    raise CalmcoachError(f'unknown breathing pattern "{wanted}"')


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
    sleep: Sleep = time.sleep,
    player: Sequence[str] | None = None,
) -> SessionResult:
    """Run a breathing ("breathing") or stretch ("stretch") session by voice; record it; return it.

    With no speaker (or the voice turned off in the settings), the session is guided by tones.
    `player` overrides the speaker's player (tests).
    """
    voice = speaker is not None and settings.voice.enabled
    rng = random.Random()
    line, tip_id = closing.current(kind, paths.state, rng)
    today = clock.now().date()
    safety = kind == "stretch" and stamps.safety_due(paths.state, today)
    if kind == "breathing":
        pattern = find_pattern(name, settings)
        count = cycles or (pattern.cycles_for_minutes(minutes) if minutes else pattern.session_cycles)
        plan = guided.breathing_plan(
            pattern, count, voice=voice, tone=not voice, closing=line, rate_wpm=settings.voice.rate
        )
    elif kind == "stretch":
        routine = ROUTINES.get(name or DEFAULT_ROUTINE)
        if routine is None:
            raise CalmcoachError(f'unknown stretch routine "{name}"')
        plan = guided.stretch_plan(
            routine, voice=voice, tone=not voice, safety=safety, closing=line, rate_wpm=settings.voice.rate
        )
    else:
        raise CalmcoachError(f"a session is breathing or stretch, not {kind!r}")
    prepared = guided.prepare(plan, synthesizer=speaker if voice else None, tone_cache=paths.cache / "tones")
    synthesize = speaker.synthesize if voice and speaker is not None else None
    with session_slot(paths.runtime):  # raises SessionBusy when another session is playing
        started_at = clock.now()
        result = guided.play(
            prepared,
            player=player
            if player is not None
            else (speaker.player if speaker is not None else _find_player()),
            work_dir=paths.cache / "sessions",
            display=None,
            extra=[guided.Background(closing.prepare_next(kind, paths.state, tip_id, synthesize))],
            clock=clock,
            sleep=sleep,
            stop=stop,
        )
    problems = list(prepared.problems)
    if result.issued and safety:
        try:
            stamps.mark_safety_said(paths.state, today)
        except OSError as error:
            problems.append(f"could not note that the safety line was said today: {error}")
    try:
        guided.record(paths.history_db, prepared.timeline, started_at, result)
    except CalmcoachError as error:
        problems.append(f"the session was not recorded in the history: {error.message}")
    return result if not problems else _with_problems(result, problems)


def _with_problems(result: SessionResult, problems: list[str]) -> SessionResult:
    from dataclasses import replace

    return replace(result, problems=(*problems, *result.problems))


def _find_player() -> list[str] | None:
    from calmcoach.outputs.voice import find_player

    return find_player()
