"""What a session shows: the disc grows and shrinks with the breath, the bar is smooth, the
countdown counts as people do, and plain lines carry the same facts without escape codes."""

from __future__ import annotations

import io

from rich.console import Console

from calmcoach.content.patterns import built_in_pattern
from calmcoach.sessions.animation import LiveAnimation, PlainLines, bar, disc_lines, seconds_left
from calmcoach.sessions.runner import run_session
from calmcoach.sessions.timeline import Segment, Timeline, breathing_timeline
from tests.sessions.fakes import FakeClock


def box(cycles: int = 1) -> Timeline:
    pattern = built_in_pattern("box")
    assert pattern is not None
    return breathing_timeline(pattern, cycles, opening="Begin.", closing="Done.", speech_s=lambda text: 1.0)


def filled(lines: list[str]) -> int:
    return sum(2 if c == "█" else 1 if c in "▀▄" else 0 for line in lines for c in line)


def test_the_disc_grows_with_the_level_and_is_round_and_centred() -> None:
    sizes = [filled(disc_lines(level / 10)) for level in range(11)]
    assert sizes == sorted(sizes) and sizes[0] > 0  # never nothing: a dot at empty lungs
    assert sizes[-1] > 20 * sizes[0]
    full = disc_lines(1.0)
    assert (
        full == full[::-1]
        or [line.replace("▀", "x").replace("▄", "▀").replace("x", "▄") for line in full[::-1]] == full
    )
    assert all(line == line[::-1] for line in full)  # symmetric left to right


def test_the_bar_moves_by_eighths_of_a_cell() -> None:
    assert bar(0.0, 4) == "    "
    assert bar(1.0, 4) == "████"
    assert bar(0.5 + 1 / 32, 4) == "██▏ "
    assert len({bar(i / 320, 40) for i in range(321)}) == 321  # every step of 1/320 is visible


def test_seconds_left_count_down_like_a_person() -> None:
    segment = Segment(10.0, 14.0, "Breathe in", 1, 0.0, 1.0)
    assert [seconds_left(segment, t) for t in (10.0, 10.5, 11.0, 13.9, 14.0)] == [4, 4, 3, 1, 0]


def test_the_animation_draws_into_a_terminal_and_restores_it() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80, height=30, color_system="standard")
    timeline = box()
    clock = FakeClock()
    run_session(timeline, [LiveAnimation(console, timeline)], clock, clock.sleep)
    screen = out.getvalue()
    assert "Breathe in" in screen and "Breathe out" in screen and "Rest" in screen
    assert "Box breathing" in screen and "cycle 1 of 1" in screen
    assert screen.rfind("\x1b[?25h") > screen.rfind("\x1b[?25l") >= 0  # the cursor is shown again


def test_plain_lines_show_each_phase_once_without_escape_codes() -> None:
    out = io.StringIO()
    timeline = breathing_timeline(
        built_in_pattern("4-7-8") or box().cues[0],  # type: ignore[arg-type]
        1,
        opening="Begin.",
        closing="Done.",
        counts=True,
        speech_s=lambda text: 1.0,
    )
    clock = FakeClock()
    run_session(timeline, [PlainLines(out, timeline)], clock, clock.sleep)
    assert out.getvalue().splitlines() == [
        "0:00  Begin.",
        "0:02  cycle 1 of 1  Breathe in (4 s)",
        "0:06  cycle 1 of 1  Hold (7 s)",
        "0:13  cycle 1 of 1  Breathe out (8 s)",
        "0:21  Done.",
    ]
