"""Putting a session together: plan it, give it a voice, then play it live or save it.

The commands and the service use the same three steps:

    plan = breathing_plan(pattern, cycles, voice=True, tone=False, rng=random.Random())
    prepared = prepare(plan, synthesizer=speaker)          # every clip made before the start
    result = play(prepared, player=speaker.player, work_dir=paths.cache / "sessions",
                  display=None, stop=stop_event)           # voice only, no terminal needed
    record(paths.history_db, prepared.timeline, started_at, result)

`play` needs no terminal: with `display=None` the session is heard only, and a
`threading.Event` passed as `stop` ends it from another thread (the service's pause, or its
shutdown). Nothing here prints; problems come back as words for the caller to show.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from calmcoach.content.patterns import BreathingPattern, PhaseKind
from calmcoach.errors import CalmcoachError, DeliveryError
from calmcoach.sessions import scripts
from calmcoach.sessions.audio import SAMPLE_RATE, Clip, RenderedSession, ToneBank, read_wav, render, write_wav
from calmcoach.sessions.events import EventsOutput, write_saved_events
from calmcoach.sessions.player import SessionPlayer
from calmcoach.sessions.runner import MonotonicClock, SessionOutput, SessionResult, Sleep, run_session
from calmcoach.sessions.timeline import (
    Cue,
    CueStyle,
    SpeechSeconds,
    Timeline,
    breathing_timeline,
    estimate_speech_s,
    stretch_timeline,
)


@dataclass(frozen=True)
class Plan:
    """A session before its voice exists: how to lay the timeline once speech lengths are known."""

    lay: Callable[[SpeechSeconds], Timeline]
    rate_wpm: int = 160  # for estimates of lines that have no clip

    def estimate(self, text: str) -> float:
        return estimate_speech_s(text, self.rate_wpm)


class Synthesizer(Protocol):
    """What a session needs of a Speaker: a WAV file of each line (TtsSpeaker does this)."""

    def synthesize(self, text: str) -> Path: ...


def breathing_plan(
    pattern: BreathingPattern,
    cycles: int,
    *,
    voice: bool,
    tone: bool,
    counts: bool = False,
    styles: Mapping[PhaseKind, CueStyle] | None = None,
    closing: str | None = None,
    rng: random.Random | None = None,
    rate_wpm: int = 160,
) -> Plan:
    """Given a pattern and how it should sound, return the plan: speech lengths -> timeline."""
    opening = scripts.breathing_opening(pattern, cycles)
    if closing is None:
        closing = random_closing("breathing", rng or random.Random())
    default = CueStyle(voice=voice, tone=tone)
    # A phase's own choice stands, except that there is no voice to speak with when it is off.
    chosen = {kind: CueStyle(voice=s.voice and voice, tone=s.tone) for kind, s in (styles or {}).items()}

    def lay(speech_s: SpeechSeconds) -> Timeline:
        return breathing_timeline(
            pattern,
            cycles,
            opening=opening,
            closing=closing,
            styles=chosen,
            default_style=default,
            counts=counts,
            # Unspoken, the opening is a line on the screen: the first breath need not wait for
            # it to be "said" (the timeline still leaves a moment to settle).
            speech_s=speech_s if voice else _unspoken,
        )

    return Plan(lay, rate_wpm)


def _unspoken(text: str) -> float:
    return 0.0


if TYPE_CHECKING:
    from calmcoach.content.routines import Routine
    from calmcoach.history import History


def stretch_plan(
    routine: Routine,
    *,
    voice: bool,
    tone: bool,
    safety: bool,
    closing: str | None = None,
    rng: random.Random | None = None,
    rate_wpm: int = 160,
) -> Plan:
    """Given a routine, whether the safety line is due, and how it should sound, return the plan."""
    from calmcoach.content.routines import SAFETY_LINE, STRETCHES

    if closing is None:
        closing = random_closing("stretch", rng or random.Random())

    def lay(speech_s: SpeechSeconds) -> Timeline:
        return stretch_timeline(
            routine,
            STRETCHES,
            opening=scripts.stretch_opening(routine),
            closing=closing,
            safety=SAFETY_LINE if safety else None,
            voice=voice,
            tone=tone,
            speech_s=speech_s,
        )

    return Plan(lay, rate_wpm)


def random_closing(kind: str, rng: random.Random) -> str:
    """Return a closing line with a fitting tip picked at random (see `closing` to pick ahead)."""
    from calmcoach.sessions import closing

    tips = closing.fitting_tips(kind)
    return closing.closing_for(kind, tips[rng.choice(sorted(tips))] if tips else None)


@dataclass(frozen=True)
class Prepared:
    """A session ready to start: its timeline and, when anything is to be heard, its audio."""

    timeline: Timeline
    audio: RenderedSession | None
    problems: tuple[str, ...] = ()  # e.g. why the voice is missing, said before the session
    seconds_to_prepare: float = 0.0


def prepare(
    plan: Plan,
    *,
    synthesizer: Synthesizer | None,
    tone_cache: Path | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Prepared:
    """Given a plan and a voice (or None), synthesize every line, lay the timeline, render the audio.

    The timeline is laid twice: once with estimated speech lengths to learn what is said, then
    with the real clip lengths, so that the opening line has ended before the first breath.
    When the voice fails, the session goes on without it and the problem is returned.
    """
    began = clock()
    draft = plan.lay(plan.estimate)
    clips: dict[str, Clip] = {}
    problems: list[str] = []
    if synthesizer is not None:
        try:
            for text in draft.spoken_texts:
                clips[text] = Clip.of_speech(read_wav(synthesizer.synthesize(text), SAMPLE_RATE))
        except (DeliveryError, CalmcoachError) as error:
            problems.append(f"no voice: {error.message}")
            clips = {}

    def speech_s(text: str) -> float:
        return clips[text].audible_seconds() if text in clips else plan.estimate(text)

    timeline = plan.lay(speech_s) if clips else draft
    audible = bool(clips) or any(cue.tone is not None for cue in timeline.cues)
    audio = None
    if audible:
        audio = render(timeline, clips.__getitem__ if clips else None, ToneBank(SAMPLE_RATE, tone_cache))
    return Prepared(timeline, audio, tuple(problems), clock() - began)


def play(
    prepared: Prepared,
    *,
    player: Sequence[str] | None,
    work_dir: Path,
    display: SessionOutput | None = None,
    events: Path | None = None,
    extra: Sequence[SessionOutput] = (),
    clock: MonotonicClock | None = None,
    sleep: Sleep = time.sleep,
    stop: threading.Event | None = None,
    no_player: str | None = None,
    on_problem: Callable[[str], None] | None = None,
) -> SessionResult:
    """Run a prepared session live: its audio through one player, the display, the events file
    (and `extra` outputs, after those).

    With no player, the session runs silent and says so in the result's problems: `no_player`
    says why (the players' failures), by default that none is installed. `on_problem` is told at
    once when the player fails during the session (its sound server went away); the session goes
    on without sound, and that problem is not repeated in the result.
    """
    outputs: list[SessionOutput] = []
    problems: list[str] = []
    events_output = EventsOutput(events) if events is not None else None  # fails before any sound
    if prepared.audio is not None:
        if player:
            outputs.append(SessionPlayer(player, prepared.audio, work_dir, on_problem))
        else:
            from calmcoach.outputs.voice.player import NO_PLAYER

            problems.append(f"no sound: {no_player or NO_PLAYER}")
    if display is not None:
        outputs.append(display)
    if events_output is not None:
        outputs.append(events_output)
    outputs.extend(extra)
    result = run_session(prepared.timeline, outputs, clock or _SystemMonotonic(), sleep, stop=stop)
    if problems:
        result = replace(result, problems=(*problems, *result.problems))
    return result


class _SystemMonotonic:
    def monotonic(self) -> float:
        return time.monotonic()


@dataclass(frozen=True)
class Saved:
    path: Path
    seconds: float
    cues: int
    events: Path | None


class Background:
    """A session output that does some work in the background (choosing and voicing the next
    session's closing line), starting once the first cue has been given so that it delays none."""

    frames_per_second = 0.0

    def __init__(self, work: Callable[[], None], join_timeout_s: float = 5.0) -> None:
        self.work = work
        self.join_timeout_s = join_timeout_s
        self._thread: threading.Thread | None = None

    def start(self, started_at: float) -> None:
        pass

    def cue(self, cue: Cue, actual_s: float) -> None:
        if self._thread is None:
            thread = threading.Thread(target=self.work, name="calmcoach-session-background", daemon=True)
            thread.start()
            self._thread = thread  # only once started: Ctrl-C may interrupt start() itself

    def frame(self, t_s: float) -> None:
        pass

    def end(self, result: SessionResult) -> None:
        if self._thread is not None:
            self._thread.join(self.join_timeout_s)  # before the voice is closed under it

    def problems(self) -> list[str]:
        return []


def save(prepared: Prepared, path: Path, events: Path | None = None) -> Saved:
    """Write a prepared session's audio to `path` (and its cue positions to `events`), unplayed."""
    if prepared.audio is None:
        raise CalmcoachError("nothing to save: this session has no sound (drop --no-voice, or add --tone)")
    write_wav(path, prepared.audio.samples, prepared.audio.rate)
    if events is not None:
        write_saved_events(events, prepared.audio)
    return Saved(path, prepared.audio.seconds, len(prepared.audio.placements), events)


def record(
    history_db: Path,
    timeline: Timeline,
    started_at: datetime,
    result: SessionResult,
    *,
    warn: Callable[[str], None] | None = None,
) -> None:
    """Record a session that ran in the history; raise CalmcoachError when the store cannot be used.

    A damaged history is moved aside and the session recorded in a new one, as the other commands
    do (calmcoach.history.recovery), with one message to `warn` (the command's stderr), or to the
    log without it. Opened without the full check, which reads every page, like theirs.
    """
    from calmcoach.history.recovery import with_history

    def write(history: History) -> None:
        history.record_session(
            timeline.kind,
            timeline.name,
            started_at,
            result.cycles_planned,
            result.cycles_done,
            result.completed,
        )

    # The time now only names the copy set aside; the session keeps its own start time.
    with_history(history_db, write, now=datetime.now(UTC), warn=warn or _log_warning)


def _log_warning(text: str) -> None:
    import logging

    logging.getLogger("calmcoach.sessions").warning("%s", text)
