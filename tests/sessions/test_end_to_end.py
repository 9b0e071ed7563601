"""The installed `calmcoach` in a subprocess: real player, real terminal, real Ctrl-C."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time
from array import array
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from calmcoach.history import History
from calmcoach.paths import Paths
from calmcoach.sessions import stamps
from calmcoach.sessions.audio import SAMPLE_RATE
from calmcoach.sessions.onsets import detect_onsets, match_onsets
from tests.sessions.conftest import calmcoach_command, subprocess_env

SHOW_CURSOR, HIDE_CURSOR = "\x1b[?25h", "\x1b[?25l"
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*calmcoach_command(), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=subprocess_env(),
        check=False,
    )


def raw_samples(path: Path) -> array[int]:
    samples = array("h")
    samples.frombytes(path.read_bytes())
    return samples


def test_list_and_a_bad_pattern_through_the_installed_command() -> None:
    listed = run(["breathe", "--list"])
    assert listed.returncode == 0 and "cyclic-sigh  (3-1-8)" in listed.stdout
    bad = run(["breathe", "no-such-pattern"])
    assert bad.returncode == 2
    assert 'calmcoach breathe: unknown pattern "no-such-pattern"' in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_live_session_is_played_by_the_real_player_with_every_cue_where_planned(
    tiny_schedule: Path, alsa_capture: Path, tmp_path: Path
) -> None:
    events = tmp_path / "e.jsonl"
    args = ["breathe", "tiny", "--schedule", str(tiny_schedule), "--cycles", "3", "--no-voice", "--tone"]
    done = run([*args, "--events", str(events)])
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # the player worked: no "no sound" warning
    given = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]
    assert [e["phase"] for e in given][1:3] == ["inhale", "exhale"]
    # what aplay played, analysed: a tone at every breath, on its planned time
    planned = [e["planned_s"] for e in given if e["phase"] in ("inhale", "exhale")]
    matches = match_onsets(planned, detect_onsets(raw_samples(alsa_capture), SAMPLE_RATE))
    assert all(m.error_s is not None and abs(m.error_s) <= 0.010 for m in matches), matches
    # the events file holds the runner's own times on the monotonic clock
    assert all(0 <= e["actual_s"] - e["planned_s"] < 0.1 for e in given)
    assert all(
        e["monotonic_s"] == pytest.approx(given[0]["monotonic_s"] - given[0]["actual_s"] + e["actual_s"])
        for e in given
    )


@pytest.mark.slow
def test_a_live_spoken_session_plays_the_voice_on_time(
    tiny_schedule: Path, alsa_capture: Path, tmp_path: Path
) -> None:
    events = tmp_path / "v.jsonl"
    done = run(
        ["breathe", "short", "--schedule", str(tiny_schedule), "--cycles", "1", "--events", str(events)]
    )
    assert done.returncode == 0, done.stderr
    given = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]
    matches = match_onsets(
        [e["planned_s"] for e in given], detect_onsets(raw_samples(alsa_capture), SAMPLE_RATE)
    )
    assert all(m.error_s is not None and abs(m.error_s) <= 0.010 for m in matches), matches


def wait_for_line(process: subprocess.Popen[str], prefix: str, timeout: float = 60) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(prefix):
            return line
    raise AssertionError(f"no line starting with {prefix!r} within {timeout} s")


def test_sigint_stops_calmly_with_what_was_done(paths: Paths) -> None:
    process = subprocess.Popen(
        [*calmcoach_command(), "breathe", "--cycles", "3", "--no-voice"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    wait_for_line(process, "0:00  Coherent breathing, 3 cycles")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert out.strip().endswith("Stopped after 0 of 3 cycles. That still counts.")
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    with History.open(paths.history_db) as history:
        (record,) = history.sessions(LONG_AGO)
    assert (record.kind, record.name, record.cycles_planned, record.cycles_done, record.completed) == (
        "breathing",
        "coherent",
        3,
        0,
        False,
    )


def read_pty(fd: int, until: float, stop_when: str | None = None) -> str:
    """Read what the program writes to its terminal until it closes, `until`, or `stop_when` appears."""
    out = b""
    while time.monotonic() < until:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the program ended and its side of the terminal is gone
            break
        if not chunk:
            break
        out += chunk
        if stop_when is not None and stop_when in out.decode("utf-8", "replace"):
            break
    return out.decode("utf-8", "replace")


def test_ctrl_c_in_a_terminal_stops_the_animation_and_restores_the_cursor(tiny_schedule: Path) -> None:
    argv = [*calmcoach_command(), "breathe", "tiny", "--schedule", str(tiny_schedule), "--cycles", "50"]
    pid, fd = pty.fork()
    if pid == 0:  # the child: a real terminal is its stdin, stdout and stderr
        os.execve(argv[0], [*argv, "--no-voice"], subprocess_env())  # noqa: S606 - a fixed argv, no shell
    try:
        drawn = read_pty(fd, time.monotonic() + 60, stop_when="Breathe ")
        assert HIDE_CURSOR in drawn, "the animation did not start"
        time.sleep(0.5)
        os.write(fd, b"\x03")  # Ctrl-C, typed: the terminal sends SIGINT to the foreground group
        rest = read_pty(fd, time.monotonic() + 30)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    screen = drawn + rest
    assert os.waitstatus_to_exitcode(status) == 130
    assert "Stopped after" in rest and "of 50 cycles. That still counts." in rest
    assert screen.rfind(SHOW_CURSOR) > screen.rfind(HIDE_CURSOR)
    assert "Traceback" not in screen
    assert screen.count("Breathe in") > 5  # redrawn many times: it animates


def test_sigint_during_a_stretch_stops_calmly_and_notes_the_safety_line(paths: Paths) -> None:
    started_on = date.today()  # the command's "today" is this day or, past midnight, the next
    process = subprocess.Popen(
        [*calmcoach_command(), "stretch", "desk-quick", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    wait_for_line(process, "0:00  Quick desk stretch.")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert out.strip().endswith("Stopped after 0 of 11 holds. That still counts.")
    # Said at the start: not again that day (read at both ends, as midnight may have passed).
    assert not stamps.safety_due(paths.state, started_on) or not stamps.safety_due(paths.state, date.today())
