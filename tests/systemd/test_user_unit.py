"""The shipped unit under a real `systemd --user`, installed and run by an ordinary user.

`calmcoach service install` writes the unit and starts it; the service then answers, delivers to
the user's own session bus, reloads, is restarted by the watchdog when it hangs, stops within its
timeout, and `service status` and `uninstall` say what is true. The log goes to a file through a
drop-in (this machine has no journald); nothing else of the unit is changed, but for the
watchdog test's shorter timings.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.desktop import wait_until
from tests.service.conftest import far_from_now
from tests.systemd.conftest import (
    SCHEDULE,
    UNIT,
    UserNotifications,
    UserSound,
    active,
    loud_seconds,
    service_log,
    unit_dir,
)
from tests.user_session import UserSession, ready

pytestmark = pytest.mark.slow
EXTRA = """
[[reminder]]
name = "evening-tip"
kind = "tip"
at = ["{never}"]
"""


def test_service_install_leaves_the_unit_running_after_ready(service: UserSession) -> None:
    shown = service.show(UNIT, "Type", "ActiveState", "SubState", "MainPID", "FragmentPath", "ExecMainStatus")
    # Type=notify: "active" is reached only once calmcoach sent READY=1.
    assert (shown["Type"], shown["ActiveState"], shown["SubState"]) == ("notify", "active", "running")
    assert shown["FragmentPath"] == str(unit_dir(service) / UNIT)
    status = service.run("calmcoach", "status")
    assert status.returncode == 0, ready(status)
    assert status.stdout.startswith(f"calmcoach is running (pid {shown['MainPID']},"), status.stdout
    assert "Traceback" not in service_log(service)


def test_the_service_delivers_on_the_users_own_session_bus(
    service: UserSession, user_notifications: UserNotifications
) -> None:
    before = len(user_notifications.received())
    result = service.run("calmcoach", "trigger", "water")
    assert result.returncode == 0, ready(result)
    got = user_notifications.wait_for(before + 1)[before:]
    assert [n["app_name"] for n in got] == ["calmcoach"], got
    assert "delivered water (hydration, triggered) via notification" in service_log(service)


def test_a_spoken_reminder_is_heard_through_the_users_pipewire(
    service: UserSession, user_sound: UserSound
) -> None:
    with user_sound.recording("spoken.wav") as recorded:
        result = service.run("calmcoach", "trigger", "spoken-tip")
        assert result.returncode == 0, ready(result)
        wait_until(
            lambda: "delivered spoken-tip (tip, triggered) via voice" in service_log(service),
            timeout=60,
            what="the spoken tip",
        )
    # A tip is a sentence or two: seconds of speech, not a click. Only a PipeWire or PulseAudio
    # client (pw-play, paplay) reaches this sink: there is no sound card for aplay.
    assert loud_seconds(recorded) > 1.0, service_log(service)


def test_systemctl_reload_rereads_the_schedule(service: UserSession, schedule: Path) -> None:
    pid = active(service)["MainPID"]
    service.write(schedule, schedule.read_text() + EXTRA.format(never=far_from_now()))
    result = service.systemctl("reload", UNIT)
    assert result.returncode == 0, ready(result)

    def names() -> list[str] | None:
        answer = service.run("calmcoach", "status", "--json")
        result = json.loads(answer.stdout)["result"] if answer.returncode == 0 else {}
        listed = [reminder["name"] for reminder in result.get("reminders", [])]
        return listed if "evening-tip" in listed else None

    assert sorted(wait_until(names, timeout=20, what="the reloaded schedule")) == [
        "evening-tip",
        "spoken-tip",
        "water",
    ]
    assert active(service)["MainPID"] == pid  # re-read in place, not restarted
    service.write(schedule, SCHEDULE.format(never=far_from_now()))
    service.systemctl("reload", UNIT)


def test_a_hung_service_is_killed_by_the_watchdog_and_restarted(service: UserSession) -> None:
    service.write(
        unit_dir(service) / f"{UNIT}.d" / "watchdog.conf", "[Service]\nWatchdogSec=3\nRestartSec=3\n"
    )
    assert service.systemctl("daemon-reload").returncode == 0
    assert service.systemctl("restart", UNIT).returncode == 0
    before = active(service)
    hung = service.run("kill", f"-{signal.SIGSTOP.name.removeprefix('SIG')}", before["MainPID"])
    assert hung.returncode == 0, ready(hung)
    # Seen while systemd waits RestartSec before starting it again.
    wait_until(
        lambda: service.show(UNIT, "Result")["Result"] == "watchdog",
        timeout=40,
        what="the watchdog to kill the stopped service",
        step=0.05,
    )
    after = active(service)
    assert after["MainPID"] != before["MainPID"]
    assert int(after["NRestarts"]) == int(before["NRestarts"]) + 1
    assert service.run("calmcoach", "status").returncode == 0


def test_systemctl_stop_ends_the_service_within_its_stop_timeout(service: UserSession) -> None:
    result = service.systemctl("stop", UNIT)
    assert result.returncode == 0, ready(result)
    shown = service.show(UNIT, "ActiveState", "Result")
    # Past TimeoutStopSec= systemd kills the service and records Result=timeout.
    assert shown == {"ActiveState": "inactive", "Result": "success"}
    log = service_log(service)
    assert log.rstrip().endswith("stopped"), log[-500:]  # its own last words: a clean exit
    assert "Traceback" not in service_log(service)
    assert not (service.runtime / "calmcoach" / "control.sock").exists()  # no stale socket left


def test_service_status_and_uninstall_tell_the_truth(service: UserSession) -> None:
    status = service.run("calmcoach", "service", "status", "--json")
    assert status.returncode == 0, ready(status)
    found = json.loads(status.stdout)
    assert {k: found[k] for k in ("installed", "up_to_date", "systemd", "enabled", "active", "running")} == {
        "installed": True,
        "up_to_date": True,
        "systemd": True,
        "enabled": "enabled",
        "active": "active",
        "running": True,
    }
    assert found["exec_start"] == f"{service.home}/.local/share/calmcoach-venv/bin/calmcoach run"

    removed = service.run("calmcoach", "service", "uninstall")
    assert removed.returncode == 0, ready(removed)
    assert not (unit_dir(service) / UNIT).exists()
    shown = service.show(UNIT, "ActiveState", "LoadState")
    assert shown == {"ActiveState": "inactive", "LoadState": "not-found"}
    status = service.run("calmcoach", "service", "status")
    assert status.returncode == 1
    assert status.stdout.splitlines() == [
        f"Unit: not installed ({unit_dir(service) / UNIT}); `calmcoach service install` installs it.",
        "systemd: enabled: no, active: inactive",
        "Service: not running",
    ]
    assert service.run("calmcoach", "status").returncode == 1
