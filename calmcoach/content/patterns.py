"""Breathing patterns: named sequences of timed phases, the built-in ones with their sources.

A pattern is pure data. Sessions (`calmcoach.sessions`) turn a pattern and a length into a
timeline of cues; schedule files may add patterns of their own, validated by the schedule loader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

# A session with no length given lasts about this long: long enough to settle, short enough to do
# at the desk. Patterns with an advised number of cycles (4-7-8) use that instead.
DEFAULT_SESSION_MINUTES = 2.0
# The lengths one session may be given, on the command line and in schedule files alike. The
# whole session's audio is rendered in memory first: 30 minutes is about 80 MB.
MIN_SESSION_MINUTES = 0.5
MAX_SESSION_MINUTES = 30.0
MIN_SESSION_CYCLES = 1
MAX_SESSION_CYCLES = 200


class PhaseKind(StrEnum):
    INHALE = "inhale"
    TOP_UP = "top-up"  # the short second inhale of the cyclic sigh
    HOLD_IN = "hold"  # holding with full lungs
    EXHALE = "exhale"
    HOLD_OUT = "rest"  # holding with empty lungs

    @property
    def fills(self) -> bool:
        return self in (PhaseKind.INHALE, PhaseKind.TOP_UP)


@dataclass(frozen=True)
class Phase:
    kind: PhaseKind
    seconds: float


@dataclass(frozen=True)
class BreathingPattern:
    name: str
    phases: tuple[Phase, ...]  # only phases longer than zero seconds
    description: str
    source: str
    default_cycles: int | None = None  # the advised number of cycles, when the source gives one

    @property
    def cycle_seconds(self) -> float:
        return sum(p.seconds for p in self.phases)

    def cycles_for_minutes(self, minutes: float) -> int:
        """Given a wanted length in minutes, return the nearest whole number of cycles (at least 1).

        Sessions end on a whole cycle, so the length is rounded, halves up: 2 minutes of box
        breathing (16 s cycles, 7.5 of them) is 8 cycles.
        """
        return max(1, math.floor(minutes * 60.0 / self.cycle_seconds + 0.5))

    @property
    def session_cycles(self) -> int:
        """Return how many cycles a session has when the person does not say."""
        return self.default_cycles or self.cycles_for_minutes(DEFAULT_SESSION_MINUTES)

    def cycles_wanted(self, *, minutes: float | None = None, cycles: int | None = None) -> int:
        """Given the length asked for (cycles, or else minutes, or neither), return the cycles to run.

        The one rule for `calmcoach breathe` and scheduled sessions alike; the bounds
        (MIN_/MAX_SESSION_*) are checked where the numbers are read, not here.
        """
        if cycles is not None:
            return cycles
        if minutes is not None:
            return self.cycles_for_minutes(minutes)
        return self.session_cycles

    @property
    def breaths_per_minute(self) -> float:
        return 60.0 / self.cycle_seconds

    @property
    def timing(self) -> str:
        """The phases as people write them, "4-7-8" or "3+1-8"."""
        return "-".join(f"{p.seconds:g}" for p in self.phases)


def make_pattern(
    name: str,
    inhale: float,
    hold_in: float = 0.0,
    exhale: float = 0.0,
    hold_out: float = 0.0,
    *,
    top_up: float = 0.0,
    description: str = "",
    source: str = "",
    default_cycles: int | None = None,
) -> BreathingPattern:
    """Given phase lengths in seconds (zero to leave a phase out), return the pattern."""
    ordered = (
        (PhaseKind.INHALE, inhale),
        (PhaseKind.TOP_UP, top_up),
        (PhaseKind.HOLD_IN, hold_in),
        (PhaseKind.EXHALE, exhale),
        (PhaseKind.HOLD_OUT, hold_out),
    )
    phases = tuple(Phase(kind, float(s)) for kind, s in ordered if s > 0)
    return BreathingPattern(name, phases, description, source, default_cycles)


BUILT_IN: tuple[BreathingPattern, ...] = (
    make_pattern(
        "box",
        4,
        4,
        4,
        4,
        description="Four equal sides: in, hold, out, hold. Steadying and easy to remember.",
        source="Box (square) breathing, a widely taught slow-breathing exercise; no single study",
    ),
    make_pattern(
        "4-7-8",
        4,
        7,
        8,
        description="A long hold and a longer sigh out; start with four rounds.",
        source="Weil's 4-7-8 breath: four cycles at first, the ratio matters more than the seconds",
        default_cycles=4,
    ),
    make_pattern(
        "coherent",
        5.5,
        0,
        5.5,
        description="Slow, even breathing at 5.5 breaths a minute.",
        source="Lin et al. 2014, Int J Psychophysiol 91:206 (higher HRV than 6 a minute)",
    ),
    make_pattern(
        "resonant",
        5,
        0,
        5,
        description="Even five-second breaths, six a minute.",
        source="Steffen et al. 2017, Frontiers in Public Health",
    ),
    make_pattern(
        "extended-exhale",
        4,
        0,
        8,
        description="Breathe out twice as long as you breathe in.",
        source="A 1:2 inhale-to-exhale ratio, a widely taught slow-breathing exercise; no single study",
    ),
    make_pattern(
        "cyclic-sigh",
        3,
        0,
        8,
        top_up=1,
        description="In through the nose, a short top-up sip, then a long slow sigh out.",
        source="Balban et al. 2023, Cell Rep Med 4:100895 (five minutes a day)",
    ),
)

DEFAULT_PATTERN = "coherent"


def built_in_pattern(name: str) -> BreathingPattern | None:
    return next((p for p in BUILT_IN if p.name == name), None)
