"""The deadline runner: walks a timeline on the monotonic clock and hands each cue to the outputs.

Every cue is due at `start + cue.at_s`, a deadline measured from one reading of the monotonic
clock taken when the session starts. The runner sleeps until the next deadline (or the next
animation frame), then issues every cue that is due. Nothing is ever scheduled relative to the
previous cue, so however long speaking, drawing or writing takes, a late cue makes no later cue
late: errors do not accumulate. (nafas, by sleeping phase after phase, runs about 2 s long per
cycle; DESIGN section 5.)

The clock and the sleep are injected: tests step a fake clock, the commands pass the real ones.
The runner never touches the terminal or a sound device itself; its outputs do. It can be
stopped from another thread with a `threading.Event`, and it turns Ctrl-C (KeyboardInterrupt)
into a stopped result after every output has been closed.
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Protocol

from calmcoach.sessions.timeline import Cue, Timeline


class MonotonicClock(Protocol):
    def monotonic(self) -> float: ...


Sleep = Callable[[float], object]

# How long the runner sleeps at most before looking at the stop event again.
MAX_SLEEP_S = 0.05
# A cue this close to its deadline is given now: sleeping a microsecond costs more than it gains,
# and a clock's last bits could otherwise keep the runner waiting for a deadline it never reaches.
DUE_EPSILON_S = 1e-6


@dataclass(frozen=True)
class Issued:
    """A cue as it was given: planned and actual seconds from the session's start."""

    cue: Cue
    actual_s: float

    @property
    def error_s(self) -> float:
        return self.actual_s - self.cue.at_s


@dataclass(frozen=True)
class SessionResult:
    cycles_planned: int
    cycles_done: int
    completed: bool
    elapsed_s: float
    interrupted: bool = False  # Ctrl-C, as opposed to a stop from another thread
    issued: tuple[Issued, ...] = ()
    problems: tuple[str, ...] = ()  # what went wrong in an output, said once each, after the session


class SessionOutput(Protocol):
    """Something a session drives: the audio player, the animation, the events file.

    `frames_per_second` above zero asks for `frame` calls at that rate between cues.
    """

    frames_per_second: float

    def start(self, started_at: float) -> None:
        """The session starts now (`started_at` is the monotonic reading that is its zero)."""
        ...

    def cue(self, cue: Cue, actual_s: float) -> None:
        """A cue is due; `actual_s` is when it is given, in seconds from the start."""
        ...

    def frame(self, t_s: float) -> None:
        """Draw the session as it is `t_s` seconds after the start."""
        ...

    def end(self, result: SessionResult) -> None:
        """The session is over (completed or stopped): release what the output holds."""
        ...

    def problems(self) -> list[str]:
        """Return what went wrong while the session ran, in words (empty when all went well)."""
        ...


def run_session(
    timeline: Timeline,
    outputs: Sequence[SessionOutput],
    clock: MonotonicClock,
    sleep: Sleep,
    *,
    stop: threading.Event | None = None,
) -> SessionResult:
    """Given a timeline and its outputs, run the session to its end (or a stop); return what happened."""
    fps = max((o.frames_per_second for o in outputs), default=0.0)
    walk = _Walk(timeline, outputs, clock, 1.0 / fps if fps > 0 else None)
    interrupted = False
    try:
        with ctrl_c_held_back():
            walk.start()
        while walk.step():
            if stop is not None and stop.is_set():
                break
            delay = walk.delay()
            if delay > 0:
                sleep(min(delay, MAX_SLEEP_S))
    except KeyboardInterrupt:
        interrupted = True
    with ctrl_c_held_back():
        return walk.finish(interrupted)


@contextmanager
def ctrl_c_held_back() -> Iterator[None]:
    """Hold SIGINT back while outputs start or end, and deliver it (as KeyboardInterrupt) after.

    Ctrl-C landing inside a start could leave a player forked but not yet ours to kill, or the
    cursor hidden with nothing left to show it again; inside an end, it could cut the clean-up
    short. Python runs signal handlers in the main thread only, so elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _Walk:
    """The state of one run: where the session started, the next cue, the next frame."""

    def __init__(
        self,
        timeline: Timeline,
        outputs: Sequence[SessionOutput],
        clock: MonotonicClock,
        frame_s: float | None,
    ) -> None:
        self.timeline = timeline
        self.outputs = outputs
        self.clock = clock
        self.frame_s = frame_s
        self.started_at = 0.0
        self.started = False
        self.next_cue = 0
        self.next_frame = 0.0
        self.frame_cost = 0.0  # the longest recent frame, so that no frame delays a cue
        self.issued: list[Issued] = []
        self.completed = False

    def now(self) -> float:
        return self.clock.monotonic() - self.started_at

    def start(self) -> None:
        self.started_at = self.clock.monotonic()
        self.started = True
        for output in self.outputs:
            output.start(self.started_at)

    def step(self) -> bool:
        """Issue every cue that is due, draw a frame if one is due; return False when the session is over."""
        cues = self.timeline.cues
        while self.next_cue < len(cues) and cues[self.next_cue].at_s <= self.now() + DUE_EPSILON_S:
            cue = cues[self.next_cue]
            actual = self.now()
            self.issued.append(Issued(cue, actual))
            for output in self.outputs:
                output.cue(cue, actual)
            self.next_cue += 1
        now = self.now()
        if self.next_cue >= len(cues) and now + DUE_EPSILON_S >= self.timeline.duration_s:
            self.completed = True
            return False
        if self.frame_s is not None and now + DUE_EPSILON_S >= self.next_frame:
            self._frame(now)
        return True

    def _frame(self, now: float) -> None:
        # Frames sit on a fixed grid (k * frame_s), so a slow frame delays none after it.
        assert self.frame_s is not None
        # (from just past `now`, so that rounding can never set the next frame to this very moment)
        self.next_frame = (math.floor((now + DUE_EPSILON_S) / self.frame_s) + 1) * self.frame_s
        cues = self.timeline.cues
        # A frame drawn just before a deadline would make that cue late: skip it; the cue's own
        # frame follows at once.
        if self.next_cue < len(cues) and cues[self.next_cue].at_s - now < self.frame_cost * 1.5 + 0.001:
            return
        began = self.clock.monotonic()
        for output in self.outputs:
            if output.frames_per_second > 0:
                output.frame(now)
        cost = self.clock.monotonic() - began
        self.frame_cost = max(cost, self.frame_cost * 0.9)

    def delay(self) -> float:
        """Return how long to sleep until the next cue, frame or the end, whichever is first."""
        cues = self.timeline.cues
        wake = self.timeline.duration_s
        if self.next_cue < len(cues):
            wake = min(wake, cues[self.next_cue].at_s)
        if self.frame_s is not None:
            wake = min(wake, self.next_frame)
        delay = wake - self.now()
        return delay if delay > DUE_EPSILON_S else 0.0

    def finish(self, interrupted: bool) -> SessionResult:
        elapsed = max(0.0, self.now()) if self.started else 0.0
        done = self.timeline.cycles if self.completed else self.timeline.cycles_done(elapsed)
        problems: list[str] = []
        result = SessionResult(
            cycles_planned=self.timeline.cycles,
            cycles_done=done,
            completed=self.completed,
            elapsed_s=elapsed,
            interrupted=interrupted,
            issued=tuple(self.issued),
        )
        failure: BaseException | None = None
        for output in self.outputs:
            try:
                output.end(result)
            except Exception as error:  # close the others first, then report the first failure
                failure = failure or error
            problems.extend(output.problems())
        if failure is not None:
            raise failure
        return replace(result, problems=tuple(problems))
