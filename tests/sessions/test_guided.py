"""Putting sessions together: closing tips chosen a session ahead, a voice that fails, no
player, and the per-phase cue choices, each with the real parts where they exist."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from calmcoach.content.patterns import built_in_pattern
from calmcoach.errors import DeliveryError
from calmcoach.paths import Paths
from calmcoach.sessions import closing, guided
from calmcoach.sessions.audio import SAMPLE_RATE, read_wav
from calmcoach.sessions.onsets import detect_onsets
from tests.sessions.fakes import FakeClock
from tests.support import Cli


def test_the_first_session_picks_a_tip_and_the_next_uses_the_one_planned_for_it(paths: Paths) -> None:
    tips = closing.fitting_tips("breathing")
    assert len(tips) >= 3
    first_line, first_id = closing.current("breathing", paths.state, random.Random(1))
    assert first_id in tips and first_line == f"Well done. {tips[first_id]}"
    planned = closing.plan_next("breathing", paths.state, first_id, random.Random(2))
    second_line, second_id = closing.current("breathing", paths.state, random.Random(3))
    assert second_line == planned and second_id != first_id
    stored = json.loads((paths.state / closing.NEXT_TIPS_FILE).read_text(encoding="utf-8"))
    assert stored["breathing"]["id"] == second_id


def test_closing_tips_do_not_start_another_exercise() -> None:
    for kind in ("breathing", "stretch"):
        for tip_id in closing.fitting_tips(kind):
            assert not tip_id.startswith(("stretching-chin", "stress-cyclic", "stress-resonant")), tip_id


def test_a_damaged_plan_file_means_a_fresh_pick(paths: Paths) -> None:
    paths.state.mkdir(parents=True, exist_ok=True)
    (paths.state / closing.NEXT_TIPS_FILE).write_text("{not json", encoding="utf-8")
    line, tip_id = closing.current("stretch", paths.state, random.Random(0))
    assert tip_id in closing.fitting_tips("stretch") and line.startswith("Well done. ")


class BrokenVoice:
    def synthesize(self, text: str) -> Path:
        raise DeliveryError("libespeak-ng1 is not installed: apt-get install libespeak-ng1")


def box_plan(*, voice: bool, tone: bool) -> guided.Plan:
    pattern = built_in_pattern("box")
    assert pattern is not None
    return guided.breathing_plan(pattern, 1, voice=voice, tone=tone, closing="Done.")


def test_a_voice_that_fails_leaves_a_session_guided_by_tones_and_says_why() -> None:
    prepared = guided.prepare(box_plan(voice=True, tone=True), synthesizer=BrokenVoice())
    assert prepared.problems == ("no voice: libespeak-ng1 is not installed: apt-get install libespeak-ng1",)
    assert prepared.audio is not None
    assert len(detect_onsets(prepared.audio.samples, SAMPLE_RATE)) == 4  # the four phase tones


def test_with_no_player_the_session_runs_silent_and_says_so(tmp_path: Path) -> None:
    prepared = guided.prepare(box_plan(voice=False, tone=True), synthesizer=None)
    clock = FakeClock()
    result = guided.play(
        prepared, player=None, work_dir=tmp_path / "sessions", clock=clock, sleep=clock.sleep
    )
    assert result.completed
    assert len(result.problems) == 1 and result.problems[0].startswith("no sound: no audio player on PATH")


def test_a_player_that_fails_is_reported_after_the_session(tmp_path: Path) -> None:
    prepared = guided.prepare(box_plan(voice=False, tone=True), synthesizer=None)
    clock = FakeClock()
    work = tmp_path / "sessions"
    result = guided.play(prepared, player=["false"], work_dir=work, clock=clock, sleep=clock.sleep)
    assert result.completed
    assert result.problems == ("no sound: the audio player false failed (exit status 1)",)
    assert list(work.iterdir()) == []  # the session's WAV file is gone


def test_a_quiet_session_has_no_audio_at_all() -> None:
    prepared = guided.prepare(box_plan(voice=False, tone=False), synthesizer=None)
    assert prepared.audio is None


def test_cue_choices_per_phase_reach_the_saved_audio(cli: Cli, tmp_path: Path) -> None:
    wav = tmp_path / "c.wav"
    args = [
        "breathe",
        "box",
        "--cycles",
        "2",
        "--no-voice",
        "--tone",
        "--cue",
        "hold=silent",
        "--cue",
        "rest=silent",
    ]
    result = cli([*args, "--save", str(wav)])
    assert result.code == 0, result.stderr
    onsets = detect_onsets(read_wav(wav), SAMPLE_RATE)
    assert len(onsets) == 4  # in and out of two cycles; the holds are silent
    assert onsets[1] - onsets[0] == pytest.approx(8.0, abs=0.002)  # in at 0, out at 8 (after the hold)


def test_an_events_file_that_cannot_be_written_stops_before_the_session(cli: Cli, tmp_path: Path) -> None:
    result = cli(["breathe", "box", "--quiet", "--events", str(tmp_path / "no" / "such" / "dir" / "e.jsonl")])
    assert result.code == 1
    assert "cannot write the events file" in result.stderr
    assert "Stopped" not in result.stdout and "Box breathing:" not in result.stdout


def test_a_phase_can_ask_for_a_tone_without_tones_everywhere(cli: Cli, tmp_path: Path) -> None:
    wav = tmp_path / "e.wav"
    result = cli(
        ["breathe", "box", "--cycles", "2", "--no-voice", "--cue", "exhale=tone", "--save", str(wav)]
    )
    assert result.code == 0, result.stderr
    onsets = detect_onsets(read_wav(wav), SAMPLE_RATE)
    assert len(onsets) == 2 and onsets[1] - onsets[0] == pytest.approx(16.0, abs=0.002)  # one exhale a cycle
