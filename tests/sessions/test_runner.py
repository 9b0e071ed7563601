"""The deadline runner on a fake clock: cues land on their planned times however slow the
outputs are, frames come at the asked rate, and stops (Ctrl-C, another thread) end it calmly."""

from __future__ import annotations

import threading

import pytest

from calmcoach.content.patterns import built_in_pattern, make_pattern
from calmcoach.sessions.runner import MAX_SLEEP_S, run_session
from calmcoach.sessions.timeline import Timeline, breathing_timeline
from tests.sessions.fakes import FakeClock, RecordingOutput


def box_timeline(cycles: int = 4) -> Timeline:
    box = built_in_pattern("box")
    assert box is not None
    return breathing_timeline(box, cycles, opening="Begin.", closing="Done.", speech_s=lambda text: 1.0)


def test_every_cue_is_given_at_its_planned_time() -> None:
    clock = FakeClock()
    out = RecordingOutput(clock)
    timeline = box_timeline()
    result = run_session(timeline, [out], clock, clock.sleep)
    assert result.completed and result.cycles_done == result.cycles_planned == 4
    assert [cue for cue, _ in out.cues] == list(timeline.cues)
    assert [actual for _, actual in out.cues] == [pytest.approx(c.at_s, abs=1e-9) for c in timeline.cues]
    assert result.elapsed_s == pytest.approx(timeline.duration_s)
    assert out.started_at == 1000.0 and out.ended == result


def test_a_slow_speaker_makes_no_cue_late_and_nothing_accumulates() -> None:
    # Each cue costs 0.9 s of (fake) time to hand over: a runner that slept "phase length" after
    # each cue would run 0.9 s late per cue, 15 s by the end. Deadlines from the start keep every
    # cue on time as long as one cue's cost fits in the gap before the next.
    clock = FakeClock()
    slow = RecordingOutput(clock, cue_cost_s=0.9)
    timeline = box_timeline(cycles=4)
    result = run_session(timeline, [slow], clock, clock.sleep)
    errors = [
        clock_at - 1000.0 - cue.at_s for (cue, _), clock_at in zip(slow.cues, slow.cue_clock, strict=True)
    ]
    assert max(abs(e) for e in errors) == pytest.approx(0.0, abs=1e-9)
    assert result.elapsed_s == pytest.approx(timeline.duration_s, abs=1.0)


def test_a_cue_slower_than_its_gap_delays_only_the_next_cue() -> None:
    # 1.5 s per cue: the 1 s inhale's cue overruns into the exhale, whose cue is 0.5 s late; the
    # 3 s exhale absorbs it and the next inhale is on time again. A runner that slept each phase's
    # length after its cue would fall 1.5 s further behind at every cue.
    pattern = make_pattern("uneven", 1, 0, 3)
    timeline = breathing_timeline(pattern, 6, opening="Go.", closing="Done.", speech_s=lambda text: 1.0)
    clock = FakeClock()
    slow = RecordingOutput(clock, cue_cost_s=1.5)
    result = run_session(timeline, [slow], clock, clock.sleep)
    lateness = [actual - cue.at_s for cue, actual in slow.cues]
    assert max(lateness) == pytest.approx(0.5, abs=1e-9)
    assert [round(x, 6) for x in lateness[1:13]] == [0.0, 0.5] * 6
    assert result.completed


@pytest.mark.parametrize("fps", [25.0, 30.0, 60.0])
def test_frames_come_at_least_twenty_times_a_second(fps: float) -> None:
    # 30 and 60 a second put frame times on values floating point cannot hold exactly: the
    # runner once redrew forever at the same moment there
    clock = FakeClock()
    display = RecordingOutput(clock, frames_per_second=fps, frame_cost_s=0.004)
    timeline = box_timeline(cycles=1)
    run_session(timeline, [display], clock, clock.sleep)
    per_second = len(display.frames) / timeline.duration_s
    assert 20.0 <= per_second <= fps + 1
    gaps = [b - a for a, b in zip(display.frames, display.frames[1:], strict=False)]
    assert max(gaps) <= 0.1  # never a visible stall, even around cues


def test_a_frame_is_never_drawn_when_it_would_make_a_cue_late() -> None:
    clock = FakeClock()
    display = RecordingOutput(clock, frames_per_second=30.0, frame_cost_s=0.02)
    timeline = box_timeline(cycles=2)
    run_session(timeline, [display], clock, clock.sleep)
    late = [actual - cue.at_s for cue, actual in display.cues]
    assert max(late) < 0.001


def test_the_runner_never_sleeps_long_so_a_stop_is_seen_quickly() -> None:
    clock = FakeClock()
    run_session(box_timeline(1), [RecordingOutput(clock)], clock, clock.sleep)
    assert max(clock.sleeps) <= MAX_SLEEP_S


def test_a_stop_from_another_thread_ends_the_session_with_what_was_done() -> None:
    clock = FakeClock()
    stop = threading.Event()
    # opening + 4 phases of cycle 1 + 4 of cycle 2 + the first of cycle 3 = 10 cues
    out = RecordingOutput(clock, stop=stop, stop_after_cues=10)
    timeline = box_timeline(cycles=4)
    result = run_session(timeline, [out], clock, clock.sleep, stop=stop)
    assert not result.completed and not result.interrupted
    assert result.cycles_done == 2 and result.cycles_planned == 4
    assert len(result.issued) == 10
    assert out.ended == result


def test_ctrl_c_is_a_calm_stop_and_every_output_is_closed() -> None:
    clock = FakeClock()
    out = RecordingOutput(clock, interrupt_after_cues=6)
    other = RecordingOutput(clock)
    result = run_session(box_timeline(cycles=4), [out, other], clock, clock.sleep)
    assert result.interrupted and not result.completed
    assert result.cycles_done == 1
    assert out.ended == result and other.ended == result


def test_an_output_failing_to_close_still_lets_the_others_close() -> None:
    clock = FakeClock()

    class Broken(RecordingOutput):
        def end(self, result: object) -> None:
            raise OSError("disk full")

    after = RecordingOutput(clock)
    with pytest.raises(OSError, match="disk full"):
        run_session(box_timeline(1), [Broken(clock), after], clock, clock.sleep)
    assert after.ended is not None
