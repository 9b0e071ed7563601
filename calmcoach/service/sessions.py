"""Breathing and stretch sessions run by the service: by voice, with no terminal, stoppable.

The same plan, prepare and play steps as `calmcoach breathe` and `calmcoach stretch`
(`calmcoach.sessions.guided`), with no display: the session is heard only, and the service's stop
event ends it at once on shutdown. They run on the single-worker speech executor, so two sessions
(or a session and a spoken reminder) never overlap.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from calmcoach.content.patterns import DEFAULT_PATTERN, BreathingPattern, built_in_pattern
from calmcoach.content.routines import DEFAULT_ROUTINE, ROUTINES, Routine
from calmcoach.schedule.model import Kind, Reminder, Schedule
from calmcoach.service.dispatch import SessionOutcome

if TYPE_CHECKING:
    from calmcoach.clock import Clock
    from calmcoach.outputs.voice import TtsSpeaker

log = logging.getLogger("calmcoach.service")


def pattern_of(reminder: Reminder, schedule: Schedule) -> BreathingPattern:
    """Given a breathing reminder, return its pattern: the user's own first, then the built-in ones."""
    name = reminder.pattern or DEFAULT_PATTERN
    own = next((p for p in schedule.settings.patterns if p.name == name), None)
    found = own or built_in_pattern(name) or built_in_pattern(DEFAULT_PATTERN)
    assert found is not None, "the default pattern is built in"
    return found


def cycles_of(reminder: Reminder, pattern: BreathingPattern) -> int:
    if reminder.cycles is not None:
        return reminder.cycles
    if reminder.minutes is not None:
        return pattern.cycles_for_minutes(reminder.minutes)
    return pattern.session_cycles


def routine_of(reminder: Reminder) -> Routine:
    return ROUTINES.get(reminder.routine or DEFAULT_ROUTINE) or ROUTINES[DEFAULT_ROUTINE]


class VoiceSessions:
    def __init__(
        self,
        speaker: Callable[[], TtsSpeaker],
        state_dir: Path,
        cache_dir: Path,
        clock: Clock,
        runtime_dir: Path,
    ) -> None:
        self.speaker = speaker
        self.state_dir = state_dir
        self.cache_dir = cache_dir
        self.clock = clock
        self.runtime_dir = runtime_dir  # where the one-session-at-a-time lock lives

    def length(self, reminder: Reminder, schedule: Schedule) -> timedelta | None:
        """Given a breathing or stretch reminder, return about how long its session lasts."""
        if reminder.kind is Kind.BREATHING:
            pattern = pattern_of(reminder, schedule)
            return timedelta(seconds=cycles_of(reminder, pattern) * pattern.cycle_seconds)
        if reminder.kind is Kind.STRETCH:
            return timedelta(seconds=routine_of(reminder).seconds)
        return None

    def run(self, reminder: Reminder, schedule: Schedule, stop: threading.Event) -> SessionOutcome | None:
        """Given a session reminder, run its session by voice until done or `stop` is set."""
        from calmcoach.sessions import guided, stamps
        from calmcoach.sessions.slot import SessionBusy, session_slot

        voice = schedule.settings.voice
        speaking = voice.enabled  # without a voice, a soft tone guides the breaths
        today = self.clock.now(schedule.settings.timezone).date()
        safety = False
        if reminder.kind is Kind.BREATHING:
            pattern = pattern_of(reminder, schedule)
            plan = guided.breathing_plan(
                pattern, cycles_of(reminder, pattern), voice=speaking, tone=not speaking, rate_wpm=voice.rate
            )
        else:
            safety = stamps.safety_due(self.state_dir, today)
            plan = guided.stretch_plan(
                routine_of(reminder), voice=speaking, tone=not speaking, safety=safety, rate_wpm=voice.rate
            )
        speaker = self.speaker()
        prepared = guided.prepare(
            plan, synthesizer=speaker if speaking else None, tone_cache=self.cache_dir / "tones"
        )
        for problem in prepared.problems:
            log.warning("session for %s: %s", reminder.name, problem)
        if stop.is_set():
            return None
        try:
            with session_slot(self.runtime_dir):  # never over a `calmcoach breathe` in a terminal
                result = guided.play(
                    prepared, player=speaker.player, work_dir=self.cache_dir / "sessions", stop=stop
                )
        except SessionBusy:
            log.info("session for %s skipped: another calmcoach session is playing", reminder.name)
            return None
        for problem in result.problems:
            log.warning("session for %s: %s", reminder.name, problem)
        if safety and result.issued:  # stopped before its first cue, the line was never heard
            try:
                stamps.mark_safety_said(self.state_dir, today)
            except OSError as error:
                log.warning("could not note that the stretch safety line was said today: %s", error)
        return SessionOutcome(
            planned=result.cycles_planned,
            done=result.cycles_done,
            completed=result.completed,
            name=prepared.timeline.name,
        )
