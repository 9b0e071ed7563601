"""A session as a timeline: every cue and every animation segment, computed before it starts.

Pure: no clock, no audio, no terminal. A breathing pattern or a stretch routine and a few choices
go in; a `Timeline` comes out, whose cue times are exact offsets from the session's start. Each
cue time is computed from the cycle number and the phase offset (never by adding up durations),
so a long session carries no floating-point creep either.

How long speech takes is the one outside fact a timeline needs (the opening line must end before
the first breath). It comes in as a function: the real clip lengths once the voice has been
synthesized, or an estimate from the speaking rate.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

from calmcoach.content.patterns import BreathingPattern, PhaseKind
from calmcoach.sessions import scripts

if TYPE_CHECKING:  # the routines' data is loaded only by stretch sessions
    from calmcoach.content.routines import Routine, Stretch

SpeechSeconds = Callable[[str], float]

GAP_S = 1.0  # silence after a spoken line before the next cue
MIN_LEAD_S = 2.0  # the first breath never comes sooner than this after the start
GET_INTO_POSITION_S = 1.5  # after "Left side." before "Hold."
COUNTDOWN = (3, 2, 1)  # said in the last seconds of a stretch hold


class Tone(StrEnum):
    """The generated sounds a cue can carry (see `calmcoach.sessions.audio`)."""

    RISE = "rise"  # breathe in; a hold begins
    TOP_UP = "top-up"  # the short second inhale
    HOLD = "hold"  # hold with full lungs
    FALL = "fall"  # breathe out; release
    REST = "rest"  # rest with empty lungs
    TICK = "tick"  # a count


PHASE_TONES: dict[PhaseKind, Tone] = {
    PhaseKind.INHALE: Tone.RISE,
    PhaseKind.TOP_UP: Tone.TOP_UP,
    PhaseKind.HOLD_IN: Tone.HOLD,
    PhaseKind.EXHALE: Tone.FALL,
    PhaseKind.HOLD_OUT: Tone.REST,
}


@dataclass(frozen=True)
class CueStyle:
    """How a cue is given: spoken, a tone, both, or neither (shown on screen only)."""

    voice: bool = True
    tone: bool = False


@dataclass(frozen=True)
class Cue:
    """One moment of the session: what to say or sound, `at_s` seconds after the start."""

    at_s: float
    cycle: int  # 1-based; 0 before the first cycle and after the last
    phase: str  # the events file's "phase": opening, inhale, hold, exhale, count, closing...
    text: str  # the words, spoken when `voice`, always shown
    voice: bool = True
    tone: Tone | None = None

    @property
    def audible(self) -> bool:
        return (self.voice and bool(self.text)) or self.tone is not None


@dataclass(frozen=True)
class Segment:
    """A stretch of time the animation draws one way: a label and a size moving from..to (0-1)."""

    start_s: float
    end_s: float
    label: str
    cycle: int
    level_from: float = 0.0
    level_to: float = 0.0
    detail: str = ""
    eased: bool = True  # a breath eases in and out; a countdown runs evenly

    def level_at(self, t_s: float) -> float:
        """Given a time inside the segment, return the animation's size there."""
        span = self.end_s - self.start_s
        x = 0.0 if span <= 0 else min(1.0, max(0.0, (t_s - self.start_s) / span))
        if self.eased:
            x = (1.0 - math.cos(math.pi * x)) / 2.0  # lungs neither start nor stop abruptly
        return self.level_from + (self.level_to - self.level_from) * x


@dataclass(frozen=True)
class Timeline:
    kind: str  # "breathing" or "stretch", as reminders and the history name them
    name: str  # the pattern or routine name
    title: str
    unit: str  # what a cycle is called: "cycle" or "hold"
    cycles: int
    cues: tuple[Cue, ...]
    segments: tuple[Segment, ...]
    cycle_ends: tuple[float, ...]  # when each cycle is complete, ascending
    duration_s: float
    lines: dict[str, str] = field(default_factory=dict)  # opening, closing: for plain output

    def cycles_done(self, elapsed_s: float) -> int:
        """Given the time since the start, return how many cycles were complete by then."""
        return bisect.bisect_right(self.cycle_ends, elapsed_s + 1e-9)

    def segment_at(self, t_s: float) -> Segment | None:
        """Given a time since the start, return the segment being drawn then (None past the end)."""
        index = bisect.bisect_right(self._segment_starts, t_s) - 1
        if index < 0 or t_s >= self.duration_s:
            return None
        return self.segments[index]

    @cached_property
    def _segment_starts(self) -> list[float]:
        return [s.start_s for s in self.segments]

    @property
    def spoken_texts(self) -> tuple[str, ...]:
        """Return each distinct text that is spoken, in order of first use."""
        return tuple(dict.fromkeys(c.text for c in self.cues if c.voice and c.text))


def estimate_speech_s(text: str, rate_wpm: int = 160) -> float:
    """Given a text and a speaking rate in words per minute, return a generous estimate of its length."""
    words = max(1, len(text.split()))
    return words * 60.0 / rate_wpm + 0.3 * text.count(".")


def _ms(seconds: float) -> float:
    """Round a planned time to the millisecond, so plans print and compare cleanly."""
    return round(seconds, 3)


@dataclass(frozen=True)
class _PhaseSlot:
    kind: PhaseKind
    offset_s: float  # from the start of the cycle
    seconds: float
    level_from: float
    level_to: float


def _phase_slots(pattern: BreathingPattern) -> list[_PhaseSlot]:
    """Given a pattern, return its phases with their offsets in the cycle and animation sizes."""
    slots: list[_PhaseSlot] = []
    offset, level = 0.0, 0.0
    kinds = [p.kind for p in pattern.phases]
    for index, phase in enumerate(pattern.phases):
        if phase.kind is PhaseKind.INHALE:
            # Leave room at the top when a top-up follows, so the top-up visibly adds the last bit.
            target = 0.8 if PhaseKind.TOP_UP in kinds[index + 1 :] else 1.0
        elif phase.kind is PhaseKind.TOP_UP:
            target = 1.0
        elif phase.kind is PhaseKind.EXHALE:
            target = 0.0
        else:
            target = level
        slots.append(_PhaseSlot(phase.kind, offset, phase.seconds, level, target))
        offset += phase.seconds
        level = target
    return slots


def _count_offsets(seconds: float) -> range:
    """Given a phase length, return the whole seconds into it at which "2, 3, ..." are counted.

    A count is left out when less than 0.75 s of the phase would remain after it.
    """
    return range(1, max(1, math.ceil(seconds - 0.75)))


def breathing_timeline(
    pattern: BreathingPattern,
    cycles: int,
    *,
    opening: str,
    closing: str,
    styles: Mapping[PhaseKind, CueStyle] | None = None,
    default_style: CueStyle = CueStyle(),
    counts: bool = False,
    speech_s: SpeechSeconds = estimate_speech_s,
) -> Timeline:
    """Given a pattern, a number of whole cycles and the lines to say, return the session's timeline."""
    if cycles < 1:
        raise ValueError(f"a session needs at least one cycle, got {cycles}")
    styles = styles or {}
    title = scripts.pattern_title(pattern)
    lead = _ms(max(MIN_LEAD_S, speech_s(opening) + GAP_S))
    cues = [Cue(0.0, 0, "opening", opening, default_style.voice)]
    segments = [Segment(0.0, lead, "Get ready", 0, detail=opening)]
    cycle_s = pattern.cycle_seconds
    slots = _phase_slots(pattern)
    for cycle in range(1, cycles + 1):
        start = lead + (cycle - 1) * cycle_s
        for slot in slots:
            at = _ms(start + slot.offset_s)
            style = styles.get(slot.kind, default_style)
            tone = PHASE_TONES[slot.kind] if style.tone else None
            cues.append(Cue(at, cycle, slot.kind.value, scripts.PHASE_WORDS[slot.kind], style.voice, tone))
            if counts:
                tick = Tone.TICK if style.tone else None
                cues.extend(
                    Cue(_ms(at + k), cycle, "count", str(k + 1), style.voice, tick)
                    for k in _count_offsets(slot.seconds)
                )
            end = _ms(start + slot.offset_s + slot.seconds)
            label = scripts.PHASE_LABELS[slot.kind]
            segments.append(Segment(at, end, label, cycle, slot.level_from, slot.level_to))
    cycle_ends = tuple(_ms(lead + c * cycle_s) for c in range(1, cycles + 1))
    closing_at = cycle_ends[-1]
    cues.append(Cue(closing_at, 0, "closing", closing, default_style.voice))
    duration = _ms(closing_at + speech_s(closing) + GAP_S)
    segments.append(Segment(closing_at, duration, "Well done", 0, detail=closing))
    return Timeline(
        kind="breathing",
        name=pattern.name,
        title=title,
        unit="cycle",
        cycles=cycles,
        cues=tuple(cues),
        segments=tuple(segments),
        cycle_ends=cycle_ends,
        duration_s=duration,
        lines={"opening": opening, "closing": closing},
    )


class _StretchBuilder:
    """Lays a routine's cues one after another; a cursor `t` moves through the session."""

    def __init__(self, speech_s: SpeechSeconds, voice: bool, tone: bool) -> None:
        self.speech_s = speech_s
        self.voice = voice
        self.tone = tone
        self.t = 0.0
        self.cues: list[Cue] = []
        self.segments: list[Segment] = []
        self.cycle_ends: list[float] = []

    def say(
        self, phase: str, text: str, label: str, *, cycle: int = 0, detail: str = "", pause: float = GAP_S
    ) -> None:
        """Say a line now, show `label` while it is said, and move on when it has been said."""
        at = _ms(self.t)
        self.cues.append(Cue(at, cycle, phase, text, self.voice))
        self.t = _ms(at + self.speech_s(text) + pause)
        self.segments.append(Segment(at, self.t, label, cycle, detail=detail or text))

    def hold(
        self, number: int, seconds: float, rest_s: float, *, words: tuple[str, str], label: str, detail: str
    ) -> None:
        """Lay one hold: "Hold." then "3, 2, 1" in its last seconds, "Release." and a rest.

        `words` are what begins and ends the hold ("Hold.", "Release."; "Roll slowly.", "And rest.").
        """
        at = _ms(self.t)
        word, end_word = words
        self.cues.append(Cue(at, number, "hold", word, self.voice, Tone.RISE if self.tone else None))
        # A count needs the hold word said first and a second between counts; short holds count less.
        for n in COUNTDOWN:
            if seconds - n >= self.speech_s(word):
                tick = Tone.TICK if self.tone else None
                self.cues.append(Cue(_ms(at + seconds - n), number, "count", str(n), self.voice, tick))
        end = _ms(at + seconds)
        self.segments.append(Segment(at, end, label, number, 1.0, 0.0, detail, eased=False))
        fall = Tone.FALL if self.tone else None
        self.cues.append(Cue(end, number, "release", end_word, self.voice, fall))
        self.cycle_ends.append(end)
        self.t = _ms(end + rest_s)
        resting = "Release" if end_word == scripts.RELEASE_WORD else "Rest"
        self.segments.append(Segment(end, self.t, resting, number, detail=detail))


def stretch_timeline(
    routine: Routine,
    stretches: Mapping[str, Stretch],
    *,
    opening: str,
    closing: str,
    safety: str | None,
    voice: bool = True,
    tone: bool = False,
    speech_s: SpeechSeconds = estimate_speech_s,
) -> Timeline:
    """Given a routine and the lines to say (with the safety line when it is due), return its timeline.

    Each hold is a cycle: "left side... hold... 3, 2, 1, release" is one, and so is each repetition.
    """
    b = _StretchBuilder(speech_s, voice, tone)
    b.say("opening", opening, routine.title, detail=routine.description)
    if safety:
        b.say("safety", safety, "Gently")
    number = 0
    for step in routine.steps:
        stretch = stretches[step.stretch]
        b.say("instruction", f"{stretch.name}. {stretch.how}", stretch.name, detail=stretch.how)
        for side in step.sides:
            side_text = scripts.SIDE_WORDS.get(side, f"{side.capitalize()}.") if side else ""
            if side_text:
                label = f"{stretch.name}: {side_text.rstrip('.').lower()}"
                b.say("side", side_text, label, pause=GET_INTO_POSITION_S)
            for rep in range(1, step.reps + 1):
                number += 1
                label = f"Hold: {side}" if side else "Hold"
                detail = stretch.name if step.reps == 1 else f"{stretch.name}, {rep} of {step.reps}"
                # "Hold." once, then "Again." for each repetition; a moving stretch keeps its word.
                again = rep > 1 and stretch.begin == scripts.HOLD_WORD
                words = (scripts.AGAIN_WORD if again else stretch.begin, stretch.end)
                b.hold(number, step.hold_s, step.rest_s, words=words, label=label, detail=detail)
    closing_at = b.t
    b.say("closing", closing, "Well done")
    return Timeline(
        kind="stretch",
        name=routine.name,
        title=routine.title,
        unit="hold",
        cycles=number,
        cues=tuple(b.cues),
        segments=tuple(b.segments),
        cycle_ends=tuple(b.cycle_ends),
        duration_s=_ms(max(b.t, closing_at)),
        lines={"opening": opening, "closing": closing, **({"safety": safety} if safety else {})},
    )
