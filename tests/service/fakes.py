"""Fakes of *our* interfaces (Outputs, Sessions, Clock) for the service's unit tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from calmcoach.outputs import Message
from calmcoach.outputs.voice.player import PlayerChoice
from calmcoach.schedule.model import Channel, Reminder, Schedule, Settings
from calmcoach.service.dispatch import SessionOutcome


@dataclass
class FakeClock:
    current: datetime

    def now(self, tz: tzinfo | None = None) -> datetime:
        return self.current.astimezone(tz) if tz is not None else self.current

    def monotonic(self) -> float:
        return time.monotonic()

    def advance(self, delta: timedelta) -> None:
        self.current += delta


@dataclass
class FakeOutputs:
    """Records deliveries; `works` says which channels succeed; `on_deliver` runs inside deliver."""

    works: set[str] = field(default_factory=lambda: {"notification", "voice", "terminal"})
    delivered: list[tuple[Message, tuple[Channel, ...]]] = field(default_factory=list)
    on_deliver: Callable[[Message], None] | None = None
    closed: bool = False
    settings: Settings | None = None
    probed: bool = False

    def deliver(self, message: Message, channels: Sequence[Channel]) -> list[str]:
        if self.on_deliver is not None:
            self.on_deliver(message)
        self.delivered.append((message, tuple(channels)))
        return [c.value for c in channels if c.value in self.works]

    def probe(self) -> None:
        self.probed = True

    def health(self) -> dict[str, dict[str, Any]]:
        return {
            c: {"ok": True, "state": "ok", "reason": None, "failures": 0}
            if c in self.works
            else {"ok": False, "state": "broken", "reason": "broken in the test", "failures": 1}
            for c in ("notification", "voice", "terminal")
        }

    def reconfigure(self, settings: Settings) -> None:
        self.settings = settings

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeSessions:
    seconds: float = 120.0
    runs: list[str] = field(default_factory=list)

    def length(self, reminder: Reminder, schedule: Schedule) -> timedelta | None:
        return timedelta(seconds=self.seconds)

    def run(self, reminder: Reminder, schedule: Schedule, stop: threading.Event) -> SessionOutcome | None:
        self.runs.append(reminder.name)
        return SessionOutcome(planned=8, done=8, completed=True, name=reminder.pattern or "box")


class ToneOnlySpeaker:
    """Stands in for TtsSpeaker with the voice off: only its player is used, and `true` plays."""

    player = ("true",)

    def choose_player(self) -> PlayerChoice:
        return PlayerChoice(list(self.player), ())
