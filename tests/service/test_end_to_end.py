"""The installed `calmcoach run` in a subprocess, on the private bus with the recording server.

The schedule fires "water" every 2 seconds; "tip" fires only when triggered. Every wait has a
timeout and polls for what it expects; silence is shown by the service's own log (a firing that
was skipped), never by sleeping.
"""

from __future__ import annotations

import json
import signal
import time
from datetime import datetime
from pathlib import Path

import pytest

from calmcoach.content.tips import CATEGORY_TITLES
from calmcoach.paths import Paths
from calmcoach.reminders import FIRM_TITLES, TITLES
from calmcoach.schedule.model import Kind
from tests.desktop import Notifications
from tests.service.conftest import Running, calmcoach_argv, start_service, wait_for

WATER_TITLES = set(TITLES[Kind.HYDRATION]) | set(FIRM_TITLES)
TIP_TITLES = set(CATEGORY_TITLES.values())


def water(notifications: Notifications) -> list[str]:
    return [n.summary for n in notifications.received() if n.summary in WATER_TITLES]


def test_notifications_arrive_and_sigterm_stops_quickly(
    notifications: Notifications, service: Running
) -> None:
    received = notifications.wait_for(2, timeout=10)
    assert {n.app_name for n in received} == {"calmcoach"}
    assert {n.summary for n in received} <= WATER_TITLES
    assert all(n.body for n in received)
    service.wait_log("delivered water (hydration) via notification", count=2)
    code, took = service.stop(signal.SIGTERM)
    assert code == 0
    assert took < 2.0
    log = service.log()
    assert "received SIGTERM: stopping" in log
    assert "\x1b[" not in log  # no colours when stderr is not a terminal
    assert not service.paths.control_socket.exists()


def test_sigint_also_stops_cleanly(service: Running) -> None:
    code, took = service.stop(signal.SIGINT)
    assert (code, took < 2.0) == (0, True)


@pytest.mark.slow  # several 2-second intervals, by design
def test_pause_silences_and_resume_brings_them_back(notifications: Notifications, service: Running) -> None:
    notifications.wait_for(1, timeout=10)
    paused = service.cli("pause")
    assert paused.returncode == 0, paused.stderr
    assert "Paused until you resume" in paused.stdout
    # Two firings skipped because of the pause prove that time passed with the pause in force.
    service.wait_log("skipped water (hydration): paused", count=1)
    before = len(water(notifications))
    service.wait_log("skipped water (hydration): paused", count=2)
    assert len(water(notifications)) == before
    status = json.loads(service.cli("status", "--json").stdout)
    assert status["result"]["paused"] is True
    resumed = service.cli("resume")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith("Resumed.")
    wait_for(lambda: len(water(notifications)) > before, timeout=10, what="a notification after resume")


@pytest.mark.slow  # several 2-second intervals, by design
def test_pause_for_a_duration_ends_on_its_own(notifications: Notifications, service: Running) -> None:
    answer = service.cli("pause", "3s", "--json")
    assert answer.returncode == 0, answer.stderr
    until = datetime.fromisoformat(json.loads(answer.stdout)["result"]["paused_until"])
    service.wait_log("skipped water (hydration): paused until")
    count = len(notifications.received())
    arrived = notifications.wait_for(count + 1, timeout=10)[count]
    assert arrived.t >= until.timestamp() - 0.05


@pytest.mark.slow  # several 2-second intervals, by design
def test_snooze_delays_one_reminder(notifications: Notifications, service: Running) -> None:
    notifications.wait_for(1, timeout=10)
    answer = service.cli("snooze", "water", "5s", "--json")
    answered = time.time()  # the snooze is in force from here on
    assert answer.returncode == 0, answer.stderr
    until = datetime.fromisoformat(json.loads(answer.stdout)["result"]["until"]).timestamp()
    status = service.request("status")["result"]
    assert [r["snoozed_until"] for r in status["reminders"] if r["name"] == "water"] != [None]
    # Every 2 s would bring two or three in the 5 s snooze; at most one may land in it, a delivery
    # already in flight when the snooze arrived (however long a loaded machine takes to finish it).
    after = lambda: [n for n in notifications.received() if n.t >= until - 0.05]  # noqa: E731
    wait_for(after, timeout=15, what="the snoozed reminder")
    during = [n for n in notifications.received() if answered < n.t < until - 0.05]
    assert len(during) <= 1, [n.t - answered for n in during]
    human = service.cli("snooze", "water", "soon")
    assert human.returncode == 2
    assert "expected a duration" in human.stderr


def test_trigger_fires_at_once_even_when_paused(notifications: Notifications, service: Running) -> None:
    assert service.cli("pause").returncode == 0
    count = len(notifications.received())
    fired = service.cli("trigger", "tip")
    assert fired.returncode == 0, fired.stderr
    assert fired.stdout.startswith("Firing tip now")
    arrived = notifications.wait_for(count + 1, timeout=10)[count:]
    assert [n.summary for n in arrived if n.summary in TIP_TITLES]
    service.wait_log("delivered tip (tip, triggered) via notification")
    unknown = service.cli("trigger", "coffee")
    assert unknown.returncode == 1
    assert "no reminder named 'coffee'; the reminders are: water, tip" in unknown.stderr


def test_reload_with_a_broken_file_keeps_the_schedule(
    notifications: Notifications, service: Running, schedule_file: Path
) -> None:
    good = schedule_file.read_text()
    schedule_file.write_text(good.replace('every = "2s"', 'every = "soon"'))
    failed = service.cli("reload")
    assert failed.returncode == 1
    assert "kept the current schedule" in failed.stderr
    assert f"{schedule_file}:7: reminder[1].every:" in failed.stderr  # file, line and key
    status = service.cli("status")
    assert status.returncode == 0
    assert "The last reload failed" in status.stdout
    assert "reminder[1].every" in status.stdout
    count = len(notifications.received())
    notifications.wait_for(count + 1, timeout=10)  # the old schedule still fires
    # SIGHUP reads the files too; a good file clears the error and takes effect.
    schedule_file.write_text(good.replace('name = "water"', 'name = "drink"'))
    service.process.send_signal(signal.SIGHUP)
    service.wait_log("reloaded (SIGHUP): 2 reminders")
    result = service.request("status")["result"]
    assert result["reload_error"] is None
    assert [r["name"] for r in result["reminders"]] == ["drink", "tip"]


def test_sighup_with_a_broken_file_is_shown_in_status(service: Running, schedule_file: Path) -> None:
    schedule_file.write_text("[[reminder]\n")
    service.process.send_signal(signal.SIGHUP)
    service.wait_log("reload (SIGHUP) failed; keeping the current schedule")
    error = service.request("status")["result"]["reload_error"]
    assert error["errors"] and str(schedule_file) in error["errors"][0]
    assert [r["name"] for r in service.request("status")["result"]["reminders"]] == ["water", "tip"]


def test_a_second_instance_is_refused(service: Running, schedule_file: Path) -> None:
    second = service.cli("run", "--schedule", str(schedule_file), timeout=30)
    assert second.returncode == 1
    assert f"calmcoach is already running (pid {service.process.pid})" in second.stderr
    assert service.request("status")["ok"]  # the first one is unharmed


def test_status_human_and_json(service: Running) -> None:
    human = service.cli("status")
    assert human.returncode == 0, human.stderr
    assert f"calmcoach is running (pid {service.process.pid}" in human.stdout
    assert "Next reminders:" in human.stdout
    assert "notification" in human.stdout
    data = json.loads(service.cli("status", "--json").stdout)
    assert data["ok"] is True
    result = data["result"]
    assert result["pid"] == service.process.pid
    assert set(result["channels"]) == {"notification", "voice", "terminal"}
    # The outputs are probed in the background after start, and each delivery updates them.
    wait_for(
        lambda: service.request("status")["result"]["channels"]["notification"]["ok"] is True,
        timeout=10,
        what="the notification channel to be known to work",
    )
    assert {r["name"] for r in result["reminders"]} == {"water", "tip"}


def test_a_stale_socket_from_a_crash_is_cleaned_up(paths: Paths, schedule_file: Path) -> None:
    import socket

    paths.runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
        stale.bind(str(paths.control_socket))
    running = start_service(paths, schedule_file)
    try:
        assert running.request("status")["ok"]
        assert oct(paths.control_socket.stat().st_mode & 0o777) == "0o600"
        assert oct(paths.runtime.stat().st_mode & 0o777) == "0o700"
    finally:
        assert running.stop()[0] == 0


def test_an_invalid_schedule_at_start_exits_1_with_every_error(tmp_path: Path) -> None:
    import subprocess

    bad = tmp_path / "bad.toml"
    bad.write_text('[[reminder]]\nname = "water"\nkind = "hydration"\nevery = "soon"\n')
    result = subprocess.run(
        [*calmcoach_argv(), "run", "--schedule", str(bad)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert f"{bad}:4: reminder[1].every" in result.stderr


def test_the_installed_command_with_no_service_says_so(paths: Paths) -> None:
    import subprocess

    for argv in (["status"], ["pause", "10m"], ["reload"]):
        result = subprocess.run(
            [*calmcoach_argv(), *argv], capture_output=True, text=True, timeout=30, check=False
        )
        assert result.returncode == 1
        assert result.stderr.startswith("calmcoach is not running")
        assert str(paths.control_socket) in result.stderr
