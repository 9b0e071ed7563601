"""Fakes of our own interfaces for the session tests: a clock that only moves when told to, and
outputs that record what they were given (one of them deliberately slow)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from calmcoach.sessions.runner import SessionResult
from calmcoach.sessions.timeline import Cue


@dataclass
class FakeClock:
    """A monotonic clock that advances only when something sleeps or spends time on it."""

    t: float = 1000.0
    sleeps: list[float] = field(default_factory=list)
    wall_at_zero: datetime = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)  # the wall clock when t was 1000

    def monotonic(self) -> float:
        return self.t

    def now(self, tz: tzinfo | None = None) -> datetime:
        moment = self.wall_at_zero + timedelta(seconds=self.t - 1000.0)
        return moment.astimezone(tz) if tz is not None else moment

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(0.0, seconds)

    def spend(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class RecordingOutput:
    """Records cues and frames; each cue costs `cue_cost_s` and each frame `frame_cost_s` of fake time."""

    clock: FakeClock
    frames_per_second: float = 0.0
    cue_cost_s: float = 0.0
    frame_cost_s: float = 0.0
    stop_after_cues: int | None = None  # set this event after so many cues
    stop: threading.Event | None = None
    interrupt_after_cues: int | None = None  # raise KeyboardInterrupt after so many cues
    started_at: float | None = None
    cues: list[tuple[Cue, float]] = field(default_factory=list)
    cue_clock: list[float] = field(default_factory=list)  # the fake clock when each cue arrived
    frames: list[float] = field(default_factory=list)
    ended: SessionResult | None = None

    def start(self, started_at: float) -> None:
        self.started_at = started_at

    def cue(self, cue: Cue, actual_s: float) -> None:
        self.cue_clock.append(self.clock.t)
        self.cues.append((cue, actual_s))
        self.clock.spend(self.cue_cost_s)  # a slow speaker: every cue takes this long to "say"
        if self.stop is not None and self.stop_after_cues == len(self.cues):
            self.stop.set()
        if self.interrupt_after_cues == len(self.cues):
            raise KeyboardInterrupt

    def frame(self, t_s: float) -> None:
        self.frames.append(t_s)
        self.clock.spend(self.frame_cost_s)

    def end(self, result: SessionResult) -> None:
        self.ended = result

    def problems(self) -> list[str]:
        return []
