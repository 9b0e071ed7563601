"""Stretch routines for the neck and shoulders, built from the stretches in DESIGN section 5.

Holds follow Mayo Clinic and ACSM guidance: 15-30 s for static stretches, no bouncing, never into
pain; full head circles are left out on purpose. A routine is data; `calmcoach.sessions` turns it
into a timeline of spoken cues.
"""

from __future__ import annotations

from dataclasses import dataclass

SAFETY_LINE = (
    "Move gently and slowly. A stretch should feel like mild tension, never pain. "
    "If you feel dizzy, numb or tingling, stop and rest."
)
SOURCE = "Mayo Clinic and ACSM stretching guidance: hold 15-30 s, no bouncing, never into pain"


@dataclass(frozen=True)
class Stretch:
    key: str
    name: str
    how: str  # how to do it, spoken before the first hold
    source: str = SOURCE
    begin: str = "Hold."  # said as each hold begins (a moving stretch says what to keep doing)
    end: str = "Release."  # said as it ends


@dataclass(frozen=True)
class Step:
    stretch: str  # a key of STRETCHES
    hold_s: float
    reps: int = 1
    sides: tuple[str, ...] = ("",)  # ("left", "right") for one-sided stretches
    rest_s: float = 3.0  # the pause after each hold, to release and reset

    @property
    def seconds(self) -> float:
        return len(self.sides) * self.reps * (self.hold_s + self.rest_s)


@dataclass(frozen=True)
class Routine:
    name: str
    title: str
    description: str
    steps: tuple[Step, ...]

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


STRETCHES: dict[str, Stretch] = {
    s.key: s
    for s in (
        Stretch(
            "chin-tuck",
            "Chin tuck",
            "Sit tall. Draw your chin straight back, as if making a double chin, and hold.",
        ),
        Stretch(
            "side-bend",
            "Neck side bend",
            "Let your ear sink toward your shoulder, keeping the shoulder down, and hold.",
        ),
        Stretch(
            "neck-turn",
            "Neck turn",
            "Turn your head slowly to look over your shoulder, only as far as is comfortable.",
        ),
        Stretch(
            "upper-trapezius",
            "Upper trapezius stretch",
            "Tilt your head to the side and rest that hand lightly on your head; "
            "let its weight deepen the stretch along the top of the other shoulder.",
        ),
        Stretch(
            "levator-scapulae",
            "Levator scapulae stretch",
            "Turn your head about 45 degrees and look down toward your armpit, "
            "then let your chin sink gently.",
        ),
        Stretch(
            "shoulder-shrug",
            "Shoulder shrug",
            "Lift both shoulders toward your ears, hold, then let them drop.",
        ),
        Stretch(
            "shoulder-roll",
            "Shoulder rolls",
            "Roll your shoulders in slow, wide circles.",
            begin="Roll slowly.",
            end="And rest.",
        ),
    )
}

BOTH_SIDES = ("left", "right")
BOTH_WAYS = ("backwards", "forwards")

ROUTINES: dict[str, Routine] = {
    r.name: r
    for r in (
        Routine(
            "neck-basic",
            "Neck basics",
            "Chin tucks, side bends, turns and the two big neck stretches; about five minutes.",
            (
                Step("chin-tuck", hold_s=5, reps=10, rest_s=2),
                Step("side-bend", hold_s=10, sides=BOTH_SIDES),
                Step("neck-turn", hold_s=10, sides=BOTH_SIDES),
                Step("upper-trapezius", hold_s=20, sides=BOTH_SIDES, rest_s=5),
                Step("levator-scapulae", hold_s=20, sides=BOTH_SIDES, rest_s=5),
            ),
        ),
        Routine(
            "shoulders",
            "Shoulders",
            "Shrugs, rolls and the stretches that reach the top of the shoulders; about four minutes.",
            (
                Step("shoulder-shrug", hold_s=5, reps=10, rest_s=2),
                Step("shoulder-roll", hold_s=10, sides=BOTH_WAYS),
                Step("upper-trapezius", hold_s=20, sides=BOTH_SIDES, rest_s=5),
                Step("levator-scapulae", hold_s=20, sides=BOTH_SIDES, rest_s=5),
            ),
        ),
        Routine(
            "desk-quick",
            "Quick desk stretch",
            "Two minutes at the desk: chin tucks, side bends, shoulder rolls.",
            (
                Step("chin-tuck", hold_s=5, reps=5, rest_s=2),
                Step("side-bend", hold_s=10, sides=BOTH_SIDES),
                Step("shoulder-roll", hold_s=10, sides=BOTH_WAYS),
                Step("upper-trapezius", hold_s=15, sides=BOTH_SIDES, rest_s=4),
            ),
        ),
    )
}

DEFAULT_ROUTINE = "neck-basic"
