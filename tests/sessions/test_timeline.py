"""Timelines are pure: cue times, segments and cycle bookkeeping, computed with no clock."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from calmcoach.content.patterns import BreathingPattern, PhaseKind, built_in_pattern, make_pattern
from calmcoach.content.routines import ROUTINES, SAFETY_LINE, STRETCHES
from calmcoach.sessions.timeline import (
    MIN_LEAD_S,
    CueStyle,
    Timeline,
    Tone,
    breathing_timeline,
    stretch_timeline,
)


def fixed(seconds: float) -> Callable[[str], float]:
    """Return a speech-length function that says every line takes `seconds`."""
    return lambda text: seconds


def box() -> BreathingPattern:
    found = built_in_pattern("box")
    assert found is not None
    return found


def build(
    pattern: BreathingPattern,
    cycles: int,
    *,
    counts: bool = False,
    styles: dict[PhaseKind, CueStyle] | None = None,
    default_style: CueStyle | None = None,
) -> Timeline:
    return breathing_timeline(
        pattern,
        cycles,
        opening="Let us begin.",
        closing="Well done.",
        speech_s=fixed(1.5),
        counts=counts,
        styles=styles,
        default_style=default_style or CueStyle(),
    )


def test_box_cues_fall_on_the_phase_boundaries() -> None:
    timeline = build(box(), 2)
    phases = [(c.at_s, c.cycle, c.phase, c.text) for c in timeline.cues]
    lead = 2.5  # the opening line (1.5 s) and a second of quiet
    assert phases == [
        (0.0, 0, "opening", "Let us begin."),
        (lead + 0, 1, "inhale", "breathe in"),
        (lead + 4, 1, "hold", "hold"),
        (lead + 8, 1, "exhale", "breathe out"),
        (lead + 12, 1, "rest", "rest"),
        (lead + 16, 2, "inhale", "breathe in"),
        (lead + 20, 2, "hold", "hold"),
        (lead + 24, 2, "exhale", "breathe out"),
        (lead + 28, 2, "rest", "rest"),
        (lead + 32, 0, "closing", "Well done."),
    ]
    assert timeline.cycle_ends == (lead + 16, lead + 32)
    assert timeline.duration_s == pytest.approx(lead + 32 + 1.5 + 1.0)
    assert timeline.cycles == 2


def test_a_short_opening_still_leaves_time_to_settle() -> None:
    timeline = breathing_timeline(box(), 1, opening="Hi.", closing="Bye.", speech_s=fixed(0.2))
    assert timeline.cues[1].at_s == MIN_LEAD_S


def test_fractional_phases_do_not_creep_over_many_cycles() -> None:
    coherent = built_in_pattern("coherent")
    assert coherent is not None
    timeline = build(coherent, 1000)
    inhales = [c.at_s for c in timeline.cues if c.phase == "inhale"]
    # each time computed from its cycle number, not summed: the 1000th is exactly where it belongs
    assert inhales[-1] == pytest.approx(2.5 + 999 * 11.0, abs=1e-9)
    assert all(b - a == pytest.approx(11.0, abs=1e-6) for a, b in itertools.pairwise(inhales))


def test_counts_fill_the_whole_seconds_of_each_phase() -> None:
    timeline = build(make_pattern("478", 4, 7, 8), 1, counts=True)
    said = [(c.phase, c.text) for c in timeline.cues if c.cycle == 1]
    inhale = said[: said.index(("hold", "hold"))]
    assert inhale == [("inhale", "breathe in"), ("count", "2"), ("count", "3"), ("count", "4")]
    assert [t for p, t in said if p == "count"] == [
        "2",
        "3",
        "4",
        *map(str, range(2, 8)),
        *map(str, range(2, 9)),
    ]


def test_cyclic_sigh_says_top_up_and_its_animation_fills_in_two_steps() -> None:
    sigh = built_in_pattern("cyclic-sigh")
    assert sigh is not None
    timeline = build(sigh, 1)
    assert [c.text for c in timeline.cues[1:4]] == ["breathe in", "top up", "breathe out"]
    inhale, top_up, exhale = timeline.segments[1:4]
    assert (inhale.level_from, inhale.level_to) == (0.0, 0.8)
    assert (top_up.level_from, top_up.level_to) == (0.8, 1.0)
    assert (exhale.level_from, exhale.level_to) == (1.0, 0.0)


def test_styles_choose_voice_tone_or_silence_per_phase() -> None:
    styles = {
        PhaseKind.HOLD_IN: CueStyle(voice=False, tone=False),
        PhaseKind.HOLD_OUT: CueStyle(voice=False, tone=True),
    }
    timeline = build(box(), 1, styles=styles, default_style=CueStyle(voice=True, tone=True))
    by_phase = {c.phase: c for c in timeline.cues}
    assert (by_phase["inhale"].voice, by_phase["inhale"].tone) == (True, Tone.RISE)
    assert (by_phase["hold"].voice, by_phase["hold"].tone) == (False, None)
    assert not by_phase["hold"].audible
    assert (by_phase["rest"].voice, by_phase["rest"].tone) == (False, Tone.REST)
    assert timeline.spoken_texts == ("Let us begin.", "breathe in", "breathe out", "Well done.")


def test_segments_cover_the_session_without_gaps_and_animate_smoothly() -> None:
    timeline = build(box(), 3)
    segments = timeline.segments
    assert segments[0].start_s == 0.0
    assert all(a.end_s == b.start_s for a, b in itertools.pairwise(segments))
    assert segments[-1].end_s == timeline.duration_s
    inhale = segments[1]
    assert inhale.label == "Breathe in"
    assert inhale.level_at(inhale.start_s) == 0.0
    assert inhale.level_at((inhale.start_s + inhale.end_s) / 2) == pytest.approx(0.5)
    assert inhale.level_at(inhale.end_s) == 1.0
    assert timeline.segment_at(inhale.start_s + 1) == inhale
    assert timeline.segment_at(timeline.duration_s) is None


@pytest.mark.parametrize(("elapsed", "done"), [(0.0, 0), (18.49, 0), (18.5, 1), (40.0, 2), (1000.0, 3)])
def test_cycles_done_counts_only_whole_cycles(elapsed: float, done: int) -> None:
    assert build(box(), 3).cycles_done(elapsed) == done


def test_zero_cycles_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one cycle"):
        build(box(), 0)


def test_stretch_routine_counts_down_each_side_and_releases() -> None:
    routine = ROUTINES["neck-basic"]
    timeline = stretch_timeline(
        routine,
        STRETCHES,
        opening="Neck basics.",
        closing="Well done.",
        safety=SAFETY_LINE,
        speech_s=fixed(2.0),
    )
    said = [c.text for c in timeline.cues]
    assert said[:2] == ["Neck basics.", SAFETY_LINE]
    side_bend = said.index(f"Neck side bend. {STRETCHES['side-bend'].how}")
    assert said[side_bend + 1 : side_bend + 7] == ["Left side.", "Hold.", "3", "2", "1", "Release."]
    # every hold is a cycle: 10 chin tucks and two sides of each of the four other stretches
    assert timeline.cycles == 10 + 4 * 2
    assert timeline.unit == "hold"
    assert len(timeline.cycle_ends) == timeline.cycles
    left = next(c for c in timeline.cues[side_bend:] if c.text == "Hold.")
    release = next(c for c in timeline.cues[side_bend:] if c.text == "Release.")
    assert release.at_s - left.at_s == pytest.approx(10.0)  # the side bend's hold
    three = next(c for c in timeline.cues[side_bend:] if c.text == "3")
    assert release.at_s - three.at_s == pytest.approx(3.0)


def test_stretch_safety_line_only_when_due() -> None:
    routine = ROUTINES["desk-quick"]
    timeline = stretch_timeline(
        routine, STRETCHES, opening="Go.", closing="Done.", safety=None, speech_s=fixed(1.0)
    )
    assert SAFETY_LINE not in [c.text for c in timeline.cues]
    assert [c.phase for c in timeline.cues][:2] == ["opening", "instruction"]


def test_short_holds_count_down_only_what_fits() -> None:
    # chin tucks hold 5 s; with a 1 s "Hold." there is room for "3, 2, 1"; with 2.5 s only "2, 1"
    routine = ROUTINES["desk-quick"]
    roomy = stretch_timeline(
        routine, STRETCHES, opening="Go.", closing="Done.", safety=None, speech_s=fixed(1.0)
    )
    tight = stretch_timeline(
        routine, STRETCHES, opening="Go.", closing="Done.", safety=None, speech_s=fixed(2.5)
    )
    first_hold = [c.text for c in roomy.cues if c.cycle == 1]
    assert first_hold == ["Hold.", "3", "2", "1", "Release."]
    assert [c.text for c in tight.cues if c.cycle == 1] == ["Hold.", "2", "1", "Release."]


def test_a_moving_stretch_is_cued_with_its_own_words() -> None:
    routine = ROUTINES["shoulders"]
    timeline = stretch_timeline(
        routine, STRETCHES, opening="Go.", closing="Done.", safety=None, speech_s=fixed(1.0)
    )
    said = [c.text for c in timeline.cues]
    backwards = said.index("Backwards.")
    assert said[backwards : backwards + 6] == ["Backwards.", "Roll slowly.", "3", "2", "1", "And rest."]
    shrugs = [t for t in said if t in ("Hold.", "Again.")]
    assert shrugs[:3] == ["Hold.", "Again.", "Again."]  # ten shrugs: "Hold." once, then "Again."


def test_a_stretch_hold_counts_down_evenly() -> None:
    timeline = stretch_timeline(
        ROUTINES["desk-quick"], STRETCHES, opening="Go.", closing="Done.", safety=None, speech_s=fixed(1.0)
    )
    hold = next(s for s in timeline.segments if s.label == "Hold")
    quarter = hold.start_s + (hold.end_s - hold.start_s) / 4
    assert hold.level_at(quarter) == pytest.approx(0.75)
