"""What a session says and shows: opening and closing lines, phase words, stretch prompts.

Only words live here; when they are said is the timeline's business. Nothing here makes a health
claim: the lines invite the person to settle, follow, and stop when something feels wrong.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from calmcoach.content.patterns import BreathingPattern, PhaseKind

if TYPE_CHECKING:
    from calmcoach.content.routines import Routine

# Spoken at the start of each phase. Short, so that a clip ends well before a one-second phase does.
PHASE_WORDS: dict[PhaseKind, str] = {
    PhaseKind.INHALE: "breathe in",
    PhaseKind.TOP_UP: "top up",
    PhaseKind.HOLD_IN: "hold",
    PhaseKind.EXHALE: "breathe out",
    PhaseKind.HOLD_OUT: "rest",
}

# Shown above the animation.
PHASE_LABELS: dict[PhaseKind, str] = {
    PhaseKind.INHALE: "Breathe in",
    PhaseKind.TOP_UP: "Top up",
    PhaseKind.HOLD_IN: "Hold",
    PhaseKind.EXHALE: "Breathe out",
    PhaseKind.HOLD_OUT: "Rest",
}

_TITLES = {
    "box": "Box breathing",
    "4-7-8": "4-7-8 breathing",
    "coherent": "Coherent breathing",
    "resonant": "Resonant breathing",
    "extended-exhale": "Extended exhale breathing",
    "cyclic-sigh": "Cyclic sighing",
}

SIDE_WORDS = {
    "left": "Left side.",
    "right": "Right side.",
    "backwards": "Backwards.",
    "forwards": "Forwards.",
}
HOLD_WORD = "Hold."
AGAIN_WORD = "Again."
RELEASE_WORD = "Release."

BREATHING_SETTLE = "Sit comfortably, let your shoulders drop, and breathe with me."
STRETCH_SETTLE = "Sit tall, let your shoulders drop, and follow along."

DEFAULT_BREATHING_CLOSING = (
    "Well done. Let your breath find its own rhythm again, and notice how your neck and shoulders feel."
)
DEFAULT_STRETCH_CLOSING = "Well done. Let your shoulders rest, and notice how your neck feels now."


def pattern_title(pattern: BreathingPattern) -> str:
    """Given a pattern, return its name as a heading: "Box breathing"."""
    return _TITLES.get(pattern.name, f"{pattern.name.replace('-', ' ').capitalize()} breathing")


def spoken_length(seconds: float) -> str:
    """Given a length in seconds, return it as a person would say it: "about 2 minutes"."""
    if seconds < 50:
        return f"about {round(seconds)} seconds"
    minutes = round(seconds / 60)
    return "about a minute" if minutes <= 1 else f"about {minutes} minutes"


def clock_length(seconds: float) -> str:
    """Given seconds, return "m:ss"."""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def breathing_opening(pattern: BreathingPattern, cycles: int) -> str:
    """Given the pattern and the number of cycles, return the calm line that opens the session."""
    length = spoken_length(cycles * pattern.cycle_seconds)
    return f"{pattern_title(pattern)}, {plural(cycles, 'cycle')}, {length}. {BREATHING_SETTLE}"


def stretch_opening(routine: Routine) -> str:
    """Given a routine, return the line that opens it."""
    return f"{routine.title}. {STRETCH_SETTLE}"


def minutes_summary(pattern: BreathingPattern, minutes: float, cycles: int) -> str:
    """Given what was asked and what it rounds to, say so: "2 minutes of box breathing: 8 cycles (2:08)"."""
    asked = f"{minutes:g} minute" if minutes == 1 else f"{minutes:g} minutes"
    actual = clock_length(cycles * pattern.cycle_seconds)
    return f"{asked} of {pattern_title(pattern).lower()}: {plural(cycles, 'cycle')} ({actual})"


def closing_line(tip: str | None, *, stretch: bool = False) -> str:
    """Given a tip from the catalogue (or None), return the closing line."""
    if tip:
        return f"Well done. {tip}"
    return DEFAULT_STRETCH_CLOSING if stretch else DEFAULT_BREATHING_CLOSING


def stopped_message(done: int, planned: int, unit: str) -> str:
    """Given how far a stopped session got, return the kind words said when it ends early."""
    return f"Stopped after {done} of {plural(planned, unit)}. That still counts."


def finished_message(title: str, done: int, unit: str, seconds: float) -> str:
    return f"{title}: {plural(done, unit)} in {clock_length(seconds)}."
