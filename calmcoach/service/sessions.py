"""Breathing and stretch sessions run by the service: by voice, with no terminal, stoppable.

The session itself is `calmcoach.sessions.scheduled.run_scheduled`, the one implementation; this
adapts it to the dispatcher's `Sessions`: the reminder's pattern or routine and length in, a
`SessionOutcome` out, problems logged. The dispatcher records the outcome through the service's
own open history (`figures`), so `run_scheduled` is told not to record it a second time. Sessions
run on the single-worker speech executor (`jobs.SPEECH_EXECUTOR`), so two sessions (or a session
and a spoken reminder) never overlap in this process, and the session slot keeps them off a
`calmcoach breathe` playing in a terminal.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from calmcoach.paths import Paths
from calmcoach.schedule.model import Kind, Reminder, Schedule
from calmcoach.service.dispatch import SessionOutcome

if TYPE_CHECKING:
    from calmcoach.clock import Clock
    from calmcoach.outputs.voice import TtsSpeaker

log = logging.getLogger("calmcoach.service")


def _name(reminder: Reminder) -> str | None:
    return reminder.pattern if reminder.kind is Kind.BREATHING else reminder.routine


def _played_name(reminder: Reminder, schedule: Schedule) -> str:
    """Given a session reminder, return the name of what its session plays (the default if unknown)."""
    from calmcoach.sessions.scheduled import find_pattern, find_routine

    if reminder.kind is Kind.BREATHING:
        return find_pattern(reminder.pattern, schedule.settings)[0].name
    return find_routine(reminder.routine)[0].name


class VoiceSessions:
    def __init__(
        self,
        speaker: Callable[[], TtsSpeaker],
        paths: Paths,  # state (tip rotation, safety line), cache, runtime (the session slot), history
        clock: Clock,
    ) -> None:
        self.speaker = speaker
        self.paths = paths
        self.clock = clock

    def length(self, reminder: Reminder, schedule: Schedule) -> timedelta | None:
        """Given a breathing or stretch reminder, return about how long its session lasts."""
        from calmcoach.sessions.scheduled import planned_seconds

        if reminder.kind not in (Kind.BREATHING, Kind.STRETCH):
            return None
        seconds = planned_seconds(
            str(reminder.kind),
            _name(reminder),
            schedule.settings,
            minutes=reminder.minutes,
            cycles=reminder.cycles,
        )
        return timedelta(seconds=seconds)

    def run(self, reminder: Reminder, schedule: Schedule, stop: threading.Event) -> SessionOutcome | None:
        """Given a session reminder, run its session by voice until done or `stop` is set."""
        from calmcoach.sessions.scheduled import run_scheduled
        from calmcoach.sessions.slot import SessionBusy

        try:
            result = run_scheduled(
                str(reminder.kind),
                _name(reminder),
                settings=schedule.settings,
                paths=self.paths,
                clock=self.clock,
                speaker=self.speaker(),
                stop=stop,
                minutes=reminder.minutes,
                cycles=reminder.cycles,
                record=False,  # the dispatcher records it, through the service's open history
            )
        except SessionBusy:  # never over a `calmcoach breathe` in a terminal
            log.info("session for %s skipped: another calmcoach session is playing", reminder.name)
            return None
        if result is None:  # stopped before it began
            return None
        for problem in result.problems:
            log.warning("session for %s: %s", reminder.name, problem)
        return SessionOutcome(
            planned=result.cycles_planned,
            done=result.cycles_done,
            completed=result.completed,
            name=_played_name(reminder, schedule),
        )
