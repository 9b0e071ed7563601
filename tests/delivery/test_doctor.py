"""`calmcoach doctor`: the installed command in a subprocess, against the real bus, recorder,
speech engine and aplay (writing to a file through the ALSA `file` plugin); and the report logic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from calmcoach.diagnostics.probes import (
    FIX_DBUS_PYTHON,
    FIX_ESPEAK,
    FIX_PLAYER,
    FIX_SERVER,
    FIX_STUCK_SERVER,
    apt_install,
    chosen_voice_check,
)
from calmcoach.diagnostics.report import Check, Need, Report, render
from calmcoach.outputs.wavtools import read_pcm, rms
from tests.desktop import DunstDesktop, Notifications, PrivateBus, RecordingServer, dead_bus_address

# The ALSA `file` plugin writes what is played to a file; its `null` slave needs no sound card.
ASOUNDRC = """\
pcm.!default {{
    type file
    slave.pcm "null"
    file "{capture}"
    format "wav"
}}
"""
# Doctor's own bounds are 2 s for the bus and the server and 15 s for the speech engine; these
# catch a hang, not a slow machine.
DOCTOR_TIMEOUT_S = 60


@dataclass
class DoctorRun:
    code: int
    stdout: str
    stderr: str
    elapsed: float

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data

    def check(self, key: str) -> dict[str, Any]:
        return next(check for check in self.json["checks"] if check["key"] == key)


@pytest.fixture
def capture(xdg_home: Path) -> Path:
    """Point ALSA's default device at a WAV file (through $HOME/.asoundrc); return its path."""
    path = xdg_home / "captured.wav"
    (xdg_home / ".asoundrc").write_text(ASOUNDRC.format(capture=path), encoding="utf-8")
    return path


@pytest.fixture
def only_aplay(tmp_path: Path) -> str:
    """A PATH with aplay and nothing else, so a machine's pw-play or paplay is not preferred."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "aplay").symlink_to("/usr/bin/aplay")
    return str(folder)


def calmcoach_command() -> list[str]:
    script = Path(sys.executable).parent / "calmcoach"
    return [str(script)] if script.exists() else [sys.executable, "-m", "calmcoach"]


def doctor(*args: str, env: dict[str, str]) -> DoctorRun:
    started = time.monotonic()
    result = subprocess.run(
        [*calmcoach_command(), "doctor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=DOCTOR_TIMEOUT_S,
        check=False,
    )
    return DoctorRun(result.returncode, result.stdout, result.stderr, time.monotonic() - started)


def environment(path: str, **changes: str | None) -> dict[str, str]:
    env = {**os.environ, "PATH": path}
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def test_everything_works_exit_0_with_the_server_backend_voices_and_player_named(
    notifications: Notifications, capture: Path, only_aplay: str
) -> None:
    run = doctor("--json", env=environment(only_aplay))

    assert run.code == 0, run.stdout + run.stderr
    data = run.json
    assert (data["ok"], data["notifications"], data["voice"]) == (True, True, True)
    # Presence is worth knowing but needed for nothing (reminders then come regardless); with
    # only aplay on PATH nothing can tell it here.
    assert all(check["ok"] for check in data["checks"] if check["needed_for"])
    assert data["server"]["name"] == "calmcoach-recorder"
    assert data["backend"] == "dbus"
    assert "gmw/en" in data["voices"]
    assert data["player"] == [f"{only_aplay}/aplay", "-q"]
    assert run.check("audio_output")["detail"] == "aplay played a short silent clip"
    assert notifications.received() == []  # without --test, nothing is sent


def test_test_sends_calmcoach_test_and_speaks_through_the_whole_path(
    notifications: Notifications, capture: Path, only_aplay: str
) -> None:
    run = doctor("--json", "--test", env=environment(only_aplay))

    assert run.code == 0, run.stdout + run.stderr
    [received] = notifications.wait_for(1)
    assert (received.app_name, received.summary) == ("calmcoach", "calmcoach test")
    assert run.check("test_notification")["ok"]
    assert run.check("test_voice")["ok"]
    rate, samples = read_pcm(capture)  # what aplay played last: the spoken phrase
    assert len(samples) / rate > 1.0
    assert rms(samples) > 300


def test_no_bus_is_missing_with_the_reason_and_the_fix_and_exits_1(tmp_path: Path, only_aplay: str) -> None:
    address = dead_bus_address(tmp_path)
    run = doctor("--json", env=environment(only_aplay, DBUS_SESSION_BUS_ADDRESS=address))

    assert run.code == 1
    bus = run.check("session_bus")
    assert not bus["ok"]
    assert bus["detail"] == f"cannot connect to the session bus at {address}: Connection refused"
    assert "apt-get install dbus-user-session" in bus["fix"]
    assert run.check("notification_server")["detail"] == "not checked: no session bus"
    assert run.json["notifications"] is False
    assert run.json["server"] is None


def test_no_bus_address_at_all(only_aplay: str, xdg_home: Path) -> None:
    run = doctor("--json", env=environment(only_aplay, DBUS_SESSION_BUS_ADDRESS=None, DISPLAY=None))

    assert run.code == 1
    detail = run.check("session_bus")["detail"]
    assert detail == "DBUS_SESSION_BUS_ADDRESS is not set, and there is no $XDG_RUNTIME_DIR/bus"


def test_a_bus_without_a_notification_server(notifications: Notifications, only_aplay: str) -> None:
    notifications.stop()
    run = doctor("--json", env=environment(only_aplay))

    assert run.code == 1
    assert run.check("session_bus")["ok"]
    server = run.check("notification_server")
    assert not server["ok"]
    assert server["detail"].startswith("no notification server is running on the session bus")
    assert server["fix"] == FIX_SERVER


def test_a_server_that_never_answers_is_bounded(
    notifications: Notifications, session_bus: PrivateBus, tmp_path: Path, only_aplay: str
) -> None:
    notifications.stop()
    with RecordingServer(session_bus, tmp_path / "hung.jsonl", hang="all"):
        run = doctor("--json", env=environment(only_aplay))

    server = run.check("notification_server")
    assert server["detail"] == "the notification server did not answer within 2 s"
    assert server["fix"] == FIX_STUCK_SERVER
    assert run.code == 1


def test_without_dbus_python_the_backend_is_notify_send_and_says_what_to_install(
    notifications: Notifications, tmp_path: Path, only_aplay: str
) -> None:
    # A `dbus` that cannot be imported, shadowing the real one, as on a machine without it.
    hide = tmp_path / "hide"
    (hide / "dbus").mkdir(parents=True)
    (hide / "dbus" / "__init__.py").write_text("raise ImportError('dbus-python is hidden by the test')\n")
    path = f"{only_aplay}:/usr/bin"  # notify-send lives in /usr/bin
    run = doctor("--json", env=environment(path, PYTHONPATH=str(hide)))

    backend = run.check("notification_backend")
    assert run.json["backend"] == "notify-send"
    assert not backend["ok"]
    assert "cannot report failures" in backend["detail"]
    # The child names its own python (.venv/bin/python; pytest runs as python3): compare all but that.
    assert backend["fix"].split(" && ")[0] == FIX_DBUS_PYTHON.split(" && ")[0]
    assert backend["fix"].endswith(" -m pip install dbus-python")
    assert backend["needed_for"] is None  # notify-send still delivers: notifications count as working
    assert run.check("notification_server")["detail"].startswith("calmcoach-recorder")  # via jeepney
    assert run.json["notifications"] is True


def test_no_player(notifications: Notifications, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    run = doctor("--json", env=environment(str(empty)))

    assert run.code == 1
    player = run.check("player")
    assert not player["ok"]
    assert player["fix"] == FIX_PLAYER
    assert run.check("audio_output")["detail"] == "not checked: no player"
    assert run.json["voice"] is False
    assert run.json["notifications"] is True


# Loaded by every Python started with its folder on PYTHONPATH (doctor and its speech probe): the
# loader then answers for libespeak-ng as it does when the package is not installed.
HIDE_ESPEAK = """\
import ctypes, os

_real_dlopen = ctypes._dlopen

def _dlopen(name, *args):
    if name and "espeak" in os.fsdecode(name):
        raise OSError(f"{name}: cannot open shared object file: No such file or directory")
    return _real_dlopen(name, *args)

ctypes._dlopen = _dlopen
"""


def test_without_libespeak_ng_the_speech_engine_is_missing_with_the_install_command(
    notifications: Notifications, tmp_path: Path, capture: Path, only_aplay: str
) -> None:
    site = tmp_path / "hide-espeak"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HIDE_ESPEAK, encoding="utf-8")
    run = doctor("--json", env=environment(only_aplay, PYTHONPATH=str(site)))

    assert run.code == 1
    engine = run.check("speech_engine")
    assert not engine["ok"]
    assert "libespeak-ng1 is not installed" in engine["detail"]
    assert engine["fix"] == FIX_ESPEAK
    assert run.check("voices")["detail"] == "not checked: no speech engine"
    assert (run.json["voice"], run.json["notifications"]) == (False, True)


def test_the_text_report_says_ok_or_missing_with_the_fix(tmp_path: Path, only_aplay: str) -> None:
    run = doctor(env=environment(only_aplay, DBUS_SESSION_BUS_ADDRESS=dead_bus_address(tmp_path)))

    assert run.code == 1
    lines = run.stdout.splitlines()
    assert lines[0].startswith("MISSING  session bus ")
    assert "fix: run calmcoach inside your desktop session" in lines[1]
    assert any(line.startswith("OK       speech engine") for line in lines)
    assert lines[-1].startswith("Not working: notifications")


def test_against_a_real_dunst(dunst: DunstDesktop, capture: Path, only_aplay: str) -> None:
    run = doctor("--json", "--test", env=dunst.bus.env(environment(only_aplay)))

    assert run.json["server"]["name"] == "dunst"
    assert run.code == 0, run.stdout + run.stderr
    assert any(entry["summary"] == "calmcoach test" for entry in dunst.history())


# The report's logic, without the machine.

NOTIFY_OK = Check("session_bus", "session bus", True, "unix:path=/b", needed_for=Need.NOTIFICATIONS)
VOICE_OK = Check("player", "audio player", True, "aplay -q", needed_for=Need.VOICE)
VOICE_BROKEN = Check("audio_output", "audio output", False, "no card", "aplay -l", Need.VOICE)
ADVICE = Check("notification_backend", "notification backend", False, "notify-send", "pip install x")


@pytest.mark.parametrize(
    ("checks", "code"),
    [
        pytest.param([NOTIFY_OK, VOICE_OK], 0, id="both-work"),
        pytest.param([NOTIFY_OK, VOICE_OK, ADVICE], 0, id="advice-does-not-fail"),
        pytest.param([NOTIFY_OK, VOICE_OK, VOICE_BROKEN], 1, id="voice-broken"),
        pytest.param([NOTIFY_OK], 1, id="voice-never-checked"),
    ],
)
def test_exit_code(checks: list[Check], code: int) -> None:
    assert Report(tuple(checks)).exit_code == code


def test_render_aligns_and_shows_fixes_only_for_what_is_missing() -> None:
    lines = render(Report((NOTIFY_OK, VOICE_BROKEN)))
    assert lines == [
        "OK       session bus   unix:path=/b",
        "MISSING  audio output  no card",
        "                       fix: aplay -l",
        "",
        "Not working: the voice. Run the fix commands above, then `calmcoach doctor` again.",
    ]


def test_json_has_the_verdicts_the_checks_and_the_facts() -> None:
    data = Report((NOTIFY_OK, VOICE_OK), {"backend": "dbus"}).as_json()
    assert data["ok"] is True
    assert data["backend"] == "dbus"
    assert data["checks"][0] == {
        "key": "session_bus",
        "title": "session bus",
        "ok": True,
        "detail": "unix:path=/b",
        "fix": None,
        "needed_for": "notifications",
    }


def test_the_schedules_voice_is_checked_and_used_for_the_test(
    notifications: Notifications, capture: Path, only_aplay: str, tmp_path: Path
) -> None:
    schedule = tmp_path / "mine.toml"
    reminder = '[[reminder]]\nname = "w"\nkind = "hydration"\nevery = "45m"\n'
    schedule.write_text(f'[settings.voice]\nvoice = "en-gb"\n{reminder}', encoding="utf-8")
    run = doctor("--json", "--schedule", str(schedule), env=environment(only_aplay))
    assert run.code == 1, run.stdout + run.stderr
    chosen = run.check("chosen_voice")
    assert not chosen["ok"]
    assert "'en-gb'" in chosen["detail"]
    assert "gmw/en-gb-x-rp" in chosen["fix"]  # a close id the engine does have
    assert run.json["voice"] is False

    # A voice it has, slowed down: the test phrase is spoken with it, so it takes longer.
    schedule.write_text(
        f'[settings.voice]\nvoice = "gmw/en-gb-x-rp"\nrate = 80\n{reminder}', encoding="utf-8"
    )
    slow = doctor("--json", "--test", "--schedule", str(schedule), env=environment(only_aplay))
    assert slow.code == 0, slow.stdout + slow.stderr
    assert slow.check("chosen_voice")["ok"]
    rate, samples = read_pcm(capture)
    slow_s = len(samples) / rate
    schedule.write_text(f"[settings.voice]\nrate = 320\n{reminder}", encoding="utf-8")
    fast = doctor("--json", "--test", "--schedule", str(schedule), env=environment(only_aplay))
    assert fast.code == 0, fast.stdout + fast.stderr
    rate, samples = read_pcm(capture)
    assert slow_s > 2 * len(samples) / rate


def test_a_broken_schedule_is_mentioned_and_the_default_voice_is_checked(
    tmp_path: Path, only_aplay: str
) -> None:
    schedule = tmp_path / "broken.toml"
    schedule.write_text("garbage =\n", encoding="utf-8")
    run = doctor("--json", "--schedule", str(schedule), env=environment(only_aplay))
    assert f"{schedule}:1: TOML syntax error" in run.stderr
    assert "Traceback" not in run.stderr
    assert "chosen_voice" not in {check["key"] for check in run.json["checks"]}


def test_fix_commands_can_be_typed_as_they_are() -> None:
    # Not root: apt-get needs sudo in front. pip: the one of calmcoach's own environment, since a
    # bare `pip` may be another Python's.
    assert apt_install("alsa-utils", euid=1000) == "sudo apt-get install alsa-utils"
    assert apt_install("alsa-utils", euid=0) == "apt-get install alsa-utils"
    assert FIX_DBUS_PYTHON.endswith(f"&& {sys.executable} -m pip install dbus-python")
    assert apt_install("alsa-utils") == FIX_PLAYER


def test_the_chosen_voice_may_be_an_id_or_a_name_and_a_miss_suggests_close_ids() -> None:
    voices, names = ["gmw/en", "gmw/en-gb-x-rp", "roa/fr"], ["English (Great Britain)", "French"]
    assert chosen_voice_check("gmw/en-gb-x-rp", voices, names).ok
    assert chosen_voice_check("English (Great Britain)", voices, names).ok
    missed = chosen_voice_check("en-gb", voices, names)
    assert (missed.ok, missed.needed_for) == (False, Need.VOICE)
    assert missed.fix is not None and "gmw/en-gb-x-rp" in missed.fix and "roa/fr" not in missed.fix
