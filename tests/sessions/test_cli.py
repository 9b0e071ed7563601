"""`calmcoach breathe` and `calmcoach stretch` through the real entry point, in process."""

from __future__ import annotations

import json
import wave
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmcoach.content.patterns import BUILT_IN
from calmcoach.content.routines import ROUTINES, SAFETY_LINE
from calmcoach.context import Context
from calmcoach.history import History
from calmcoach.paths import Paths
from calmcoach.sessions import stamps
from calmcoach.sessions.audio import SAMPLE_RATE, read_wav
from calmcoach.sessions.onsets import detect_onsets, match_onsets
from tests.sessions.fakes import FakeClock
from tests.support import Cli


def events_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_list_shows_every_pattern_with_timings_rate_description_and_source(cli: Cli) -> None:
    result = cli(["breathe", "--list"])
    assert result.code == 0, result.stderr
    for pattern in BUILT_IN:
        block = result.stdout.split(f"{pattern.name}  (")[1].split("\n\n")[0]
        assert pattern.timing in block
        assert f"{pattern.breaths_per_minute:.2f} breaths a minute" in block
        assert pattern.description in block and pattern.source in block
    assert "in 4 s, hold 7 s, out 8 s: 19 s a cycle" in result.stdout
    assert "default 4 cycles" in result.stdout.split("4-7-8  (")[1].split("\n\n")[0]


def test_list_includes_the_users_own_patterns(cli: Cli, tiny_schedule: Path) -> None:
    result = cli(["breathe", "--list", "--schedule", str(tiny_schedule)])
    assert result.code == 0, result.stderr
    assert "tiny  (0.5-0.5)" in result.stdout
    assert "your own pattern, from your schedule file" in result.stdout


def test_an_unknown_pattern_is_a_usage_error_with_a_suggestion(cli: Cli) -> None:
    result = cli(["breathe", "boxx", "--quiet"])
    assert result.code == 2
    assert 'unknown pattern "boxx". Did you mean "box"?' in result.stderr
    assert "coherent" in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["breathe", "", "--quiet"], 'unknown pattern ""', id="breathe"),
        pytest.param(["stretch", "", "--quiet"], 'unknown routine ""', id="stretch"),
    ],
)
def test_an_empty_name_is_a_mistake_not_the_default(cli: Cli, argv: list[str], message: str) -> None:
    # An empty name once ran the default session (a two-minute one) instead of saying so.
    result = cli(argv)
    assert result.code == 2
    assert message in result.stderr and result.stdout == ""


def test_a_pattern_of_the_users_with_a_broken_schedule_reports_the_schedule(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[settings.patterns]\nmine = { inhale = "four", exhale = 4 }\n', encoding="utf-8")
    result = cli(["breathe", "mine", "--schedule", str(broken)])
    assert result.code == 1
    assert f"{broken}:2: settings.patterns.mine.inhale" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--cycles", "0"], "--cycles: expected 1 to 200, got 0", id="zero-cycles"),
        pytest.param(["--cycles", "201"], "--cycles: expected 1 to 200, got 201", id="too-many-cycles"),
        pytest.param(["--minutes", "0.25"], "--minutes: expected 0.5 to 30, got 0.25", id="too-short"),
        pytest.param(["--minutes", "45"], "--minutes: expected 0.5 to 30, got 45", id="too-long"),
        pytest.param(["--save", "x.wav", "--quiet"], "--save and --quiet contradict", id="save-quiet"),
        pytest.param(["--save", "x.mp3", "--tone"], "give a name ending in .wav", id="save-not-wav"),
        pytest.param(["--save", "x.wav", "--no-voice"], "add --tone to save the tones", id="save-nothing"),
        pytest.param(["--cue", "hold=loud"], "--cue: expected PHASE=HOW", id="bad-cue"),
        # --quiet once skipped checking --cue, so these ran a session instead.
        pytest.param(["--cue", "hold=loud", "--quiet"], "--cue: expected PHASE=HOW", id="bad-cue-quiet"),
        pytest.param(["--cue", "bogus=tone", "--quiet"], "--cue: expected PHASE=HOW", id="bad-phase-quiet"),
        pytest.param(["--cycles", "2", "--minutes", "2"], "not allowed with argument", id="both-lengths"),
    ],
)
def test_contradictory_or_impossible_options_are_usage_errors(
    cli: Cli, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    result = cli(["breathe", "box", *args])
    assert result.code == 2
    assert message in result.stderr + capsys.readouterr().err  # argparse writes to sys.stderr


def test_minutes_round_to_whole_cycles_and_say_so(cli: Cli, tmp_path: Path) -> None:
    wav, events = tmp_path / "box.wav", tmp_path / "box.jsonl"
    result = cli(
        [
            "breathe",
            "box",
            "--minutes",
            "2",
            "--no-voice",
            "--tone",
            "--save",
            str(wav),
            "--events",
            str(events),
        ]
    )
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("2 minutes of box breathing: 8 cycles (2:08)\n")
    lines = events_of(events)
    assert [e["phase"] for e in lines].count("inhale") == 8
    assert lines[-1]["phase"] == "closing"


def test_save_renders_tones_every_cue_on_time_in_the_file(cli: Cli, tmp_path: Path) -> None:
    wav, events = tmp_path / "s.wav", tmp_path / "s.jsonl"
    result = cli(
        [
            "breathe",
            "cyclic-sigh",
            "--cycles",
            "3",
            "--no-voice",
            "--tone",
            "--save",
            str(wav),
            "--events",
            str(events),
        ]
    )
    assert result.code == 0, result.stderr
    assert "Saved" in result.stdout and str(wav) in result.stdout
    with wave.open(str(wav)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, SAMPLE_RATE)
    lines = events_of(events)
    assert all(set(e) >= {"cycle", "phase", "planned_s", "actual_s"} for e in lines)
    assert [e["phase"] for e in lines[1:4]] == ["inhale", "top-up", "exhale"]
    toned = [float(str(e["planned_s"])) for e in lines if e["phase"] not in ("opening", "closing")]
    matches = match_onsets(toned, detect_onsets(read_wav(wav), SAMPLE_RATE))
    errors = [m.error_s for m in matches]
    assert None not in errors
    assert max(abs(e) for e in errors if e is not None) <= 0.010
    for e in lines:  # with --save, actual_s is the position in the file: the plan to the sample
        assert float(str(e["actual_s"])) == pytest.approx(float(str(e["planned_s"])), abs=1 / SAMPLE_RATE)


def test_save_with_the_real_voice_puts_each_spoken_cue_on_its_planned_time(cli: Cli, tmp_path: Path) -> None:
    wav, events = tmp_path / "v.wav", tmp_path / "v.jsonl"
    result = cli(["breathe", "4-7-8", "--cycles", "1", "--save", str(wav), "--events", str(events)])
    assert result.code == 0, result.stderr
    planned = [float(str(e["planned_s"])) for e in events_of(events)]
    assert len(planned) == 5  # opening, in, hold, out, closing
    matches = match_onsets(planned, detect_onsets(read_wav(wav), SAMPLE_RATE))
    assert all(m.error_s is not None and abs(m.error_s) <= 0.010 for m in matches), matches


def test_a_live_session_in_plain_lines_is_recorded_in_the_history(
    cli: Cli, paths: Paths, tiny_schedule: Path, tmp_path: Path
) -> None:
    events = tmp_path / "live.jsonl"
    before = datetime.now().astimezone() - timedelta(seconds=1)
    result = cli(
        [
            "breathe",
            "tiny",
            "--schedule",
            str(tiny_schedule),
            "--cycles",
            "2",
            "--quiet",
            "--events",
            str(events),
        ]
    )
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("0:00  Tiny breathing, 2 cycles")
    assert "cycle 1 of 2  Breathe in (0.5 s)" in lines[1]
    assert "cycle 2 of 2  Breathe out (0.5 s)" in lines[4]
    assert lines[5].startswith("0:04  Well done.")
    assert lines[-1].startswith("Tiny breathing: 2 cycles in 0:0")
    given = events_of(events)
    assert [e["phase"] for e in given] == ["opening", "inhale", "exhale", "inhale", "exhale", "closing"]
    # real time on a shared machine: generous bounds here; the benchmark measures the error
    assert all(0 <= float(str(e["actual_s"])) - float(str(e["planned_s"])) < 0.1 for e in given)
    with History.open(paths.history_db) as history:
        (record,) = history.sessions(before)
    assert (record.kind, record.name, record.cycles_planned, record.cycles_done, record.completed) == (
        "breathing",
        "tiny",
        2,
        2,
        True,
    )


def test_stretch_list_shows_each_routine_and_its_holds(cli: Cli) -> None:
    result = cli(["stretch", "--list"])
    assert result.code == 0, result.stderr
    for routine in ROUTINES.values():
        assert routine.name in result.stdout and routine.description in result.stdout
    assert "Chin tuck: hold 5 s x 10" in result.stdout
    assert "Neck side bend: hold 10 s, left and right" in result.stdout


def test_stretch_unknown_routine_is_a_usage_error(cli: Cli) -> None:
    result = cli(["stretch", "neck-basics"])
    assert result.code == 2
    assert 'unknown routine "neck-basics". Did you mean "neck-basic"?' in result.stderr


def test_stretch_save_counts_down_each_side_and_always_carries_the_safety_line(
    cli: Cli, paths: Paths, tmp_path: Path
) -> None:
    clock = FakeClock()  # the command's "today" is the day marked, even if the test runs across midnight
    stamps.mark_safety_said(paths.state, clock.now().date())  # said today: a saved file still has it
    wav, events = tmp_path / "d.wav", tmp_path / "d.jsonl"
    result = cli(
        ["stretch", "desk-quick", "--no-voice", "--tone", "--save", str(wav), "--events", str(events)],
        Context(paths=paths, clock=clock),
    )
    assert result.code == 0, result.stderr
    given = events_of(events)
    assert given[1]["phase"] == "safety" and given[1]["text"] == SAFETY_LINE
    texts = [e["text"] for e in given]
    left = texts.index("Left side.")
    assert texts[left : left + 6] == ["Left side.", "Hold.", "3", "2", "1", "Release."]
    assert max(int(str(e["cycle"])) for e in given) == 5 + 2 + 2 + 2  # every hold is a cycle


def test_safety_line_is_due_once_a_day(paths: Paths) -> None:
    today = date(2025, 3, 4)
    assert stamps.safety_due(paths.state, today)
    stamps.mark_safety_said(paths.state, today)
    assert not stamps.safety_due(paths.state, today)
    assert stamps.safety_due(paths.state, today + timedelta(days=1))
    assert list(paths.state.iterdir()) == [paths.state / stamps.SAFETY_STAMP]  # no temporary left


def test_a_broken_user_schedule_does_not_stop_a_built_in_pattern(
    cli: Cli, paths: Paths, tmp_path: Path
) -> None:
    paths.config.mkdir(parents=True, exist_ok=True)
    (paths.config / "mine.toml").write_text("[[reminder]]\nname = 3\n", encoding="utf-8")
    wav = tmp_path / "b.wav"
    result = cli(["breathe", "resonant", "--cycles", "1", "--no-voice", "--tone", "--save", str(wav)])
    assert result.code == 0, result.stderr
    assert "its voice settings are not used (see `calmcoach check`)" in result.stderr
    assert wav.exists()


def test_voice_turned_off_in_the_schedule_keeps_sessions_silent_unless_tones_are_asked_for(
    cli: Cli, tmp_path: Path, tiny_schedule: Path
) -> None:
    schedule = tmp_path / "silent.toml"
    schedule.write_text(
        "[settings.voice]\nenabled = false\n\n" + tiny_schedule.read_text(encoding="utf-8"), encoding="utf-8"
    )
    wav, events = tmp_path / "t.wav", tmp_path / "t.jsonl"
    result = cli(
        [
            "breathe",
            "box",
            "--cycles",
            "1",
            "--tone",
            "--schedule",
            str(schedule),
            "--save",
            str(wav),
            "--events",
            str(events),
        ]
    )
    assert result.code == 0, result.stderr
    onsets = detect_onsets(read_wav(wav), SAMPLE_RATE)
    assert len(onsets) == 4  # four phase tones; no spoken opening or closing


def test_the_safety_line_counts_days_in_the_schedules_zone() -> None:
    # At 12:00 UTC it is already tomorrow on Kiritimati (UTC+14): a schedule there says the line
    # is due again, for `calmcoach stretch` and the service alike (both ask stamps.safety_day).
    clock = FakeClock(wall_at_zero=datetime(2025, 3, 4, 12, 0, tzinfo=UTC))
    assert stamps.safety_day(clock, ZoneInfo("Pacific/Kiritimati")) == date(2025, 3, 5)
    assert stamps.safety_day(clock, ZoneInfo("America/Los_Angeles")) == date(2025, 3, 4)
