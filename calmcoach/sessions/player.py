"""Playing a session's sound: the whole session rendered to one WAV, played by ONE player process
started at the session's zero.

Why one player and not one per cue: a player started per cue pays its start-up each time (fork
and exec, connecting to PipeWire or PulseAudio, opening the device, filling its buffer), and that
cost varies from cue to cue and grows when the machine is busy: even on an idle machine with
`aplay` on ALSA's null device, start-up to finish took 3.6 ms median and 5.7 ms at worst over 30
runs, before any sound server is involved. With one player, that start-up is paid once, before
the first cue, as a constant offset; after it, the sound card's own clock places every cue at its
sample, exactly where the renderer put it (within half a sample of the plan), so audio cues
cannot drift against each other, whatever Python, the animation or the machine is doing. What is
left is the sound card's clock against the monotonic clock the animation follows: crystals agree
within about 50 ppm, at most 6 ms over a two-minute session.

The player runs in its own process group (`PlayerProcess` from the voice module): Ctrl-C in the
terminal does not reach it, and the session kills it when it stops, so sound never outlives the
session.

A player that ends before the session does has lost its sound server (PipeWire or PulseAudio
stopped, or the person logged out of the desktop session that ran it): pw-play and paplay exit
with status 1 within milliseconds (measured). The session looks at its player several times a
second, so that this is said at once (through `on_problem`) rather than after the session, which
goes on without sound: the animation or the lines still guide the breaths.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from calmcoach.errors import CalmcoachError, DeliveryError
from calmcoach.outputs.voice.player import REAP_TIMEOUT_S, PlayerProcess, player_name
from calmcoach.sessions.audio import RenderedSession, write_wav
from calmcoach.sessions.runner import SessionResult
from calmcoach.sessions.timeline import Cue

FINISH_MARGIN_S = 2.0  # after the session's end, how long the player may take to drain its buffer
# How often the session looks at its player (a poll of the process, a few microseconds): a lost
# sound server is then said within a tenth of a second, long before the next breath.
WATCH_PER_SECOND = 10.0


class SessionPlayer:
    """A session output that plays the rendered session from its start with one player.

    `on_problem`, when given, is told of a problem as soon as it is seen (the player could not
    start, or it ended early); such a problem is not returned again by `problems()`. Without it,
    every problem waits in `problems()` for the end of the session.
    """

    frames_per_second = WATCH_PER_SECOND

    def __init__(
        self,
        argv: Sequence[str],
        rendered: RenderedSession,
        work_dir: Path,
        on_problem: Callable[[str], None] | None = None,
    ) -> None:
        self.argv = list(argv)
        self.rendered = rendered
        self.on_problem = on_problem
        # Written before the session starts, so that starting the player is all t=0 costs.
        try:
            work_dir.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix="session-", suffix=".wav", dir=work_dir)
            os.close(fd)
        except OSError as error:
            raise CalmcoachError(f"cannot write the session's sound to {work_dir}: {error}") from error
        self.wav = Path(name)
        write_wav(self.wav, rendered.samples, rendered.rate)
        self._process: PlayerProcess | None = None
        self._reaped = False  # the player's end was seen during the session (and said, if it failed)
        self._problems: list[str] = []

    def start(self, started_at: float) -> None:
        try:
            # (the runner holds Ctrl-C back while outputs start: no player is left running unseen)
            self._process = PlayerProcess(self.argv, self.wav)
        except DeliveryError as error:
            self._report(f"no sound: {error.message}")

    def cue(self, cue: Cue, actual_s: float) -> None:
        self._watch()  # the sound is already in the file, at the cue's sample

    def frame(self, t_s: float) -> None:
        self._watch()

    def end(self, result: SessionResult) -> None:
        try:
            if self._process is not None and not self._reaped:
                self._finish(self._process, result)
        finally:
            self.wav.unlink(missing_ok=True)

    def _watch(self) -> None:
        """Say at once when the player has ended while the session plays: its sound is gone."""
        process = self._process
        if process is None or self._reaped or not process.ended():
            return
        self._reaped = True
        try:
            process.wait(REAP_TIMEOUT_S, self.rendered.seconds)
        except DeliveryError as error:
            self._report(f"no sound: {error.message}")

    def _report(self, problem: str) -> None:
        if self.on_problem is None:
            self._problems.append(problem)
        else:
            self.on_problem(problem)

    def _finish(self, process: PlayerProcess, result: SessionResult) -> None:
        if not result.completed:
            process.kill()
        remaining = max(0.0, self.rendered.seconds - result.elapsed_s)
        try:
            process.wait(remaining + FINISH_MARGIN_S, self.rendered.seconds)
        except DeliveryError as error:
            if result.completed:  # a stopped session's player is killed on purpose
                self._report(f"no sound: {error.message}")

    def problems(self) -> list[str]:
        return list(self._problems)

    @property
    def name(self) -> str:
        return player_name(self.argv)
