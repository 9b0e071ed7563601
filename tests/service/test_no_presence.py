"""`calmcoach run --no-presence`: the service does not ask the desktop whether the person is away.

The end-to-end test uses a desktop whose idle monitor (a stand-in for Mutter's, on the private
session bus) says the person has been gone for two minutes, with `idle_after = "1m"`. Without the
flag the real service skips "water" because the person is away, which shows that this desktop
does hold reminders back; with the flag the same service delivers them, says at start that
presence detection is off, and `status --json` shows no presence at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from calmcoach.cli import build_parser
from calmcoach.paths import Paths
from calmcoach.reminders import FIRM_TITLES, TITLES
from calmcoach.schedule.model import Kind
from tests.desktop import Notifications, PrivateBus, dead_bus_address
from tests.presence.standins import IdleDesktop
from tests.service.conftest import Running, start_service, wait_for
from tests.support import Cli

SCHEDULE = """\
[settings]
timezone = "UTC"
idle_after = "1m"

[[reminder]]
name = "water"
kind = "hydration"
every = "2s"
say = ["notification"]
"""

OFF = "presence detection is off (--no-presence)"
WATER_TITLES = set(TITLES[Kind.HYDRATION]) | set(FIRM_TITLES)


def test_the_flag_turns_presence_off_and_is_on_by_default() -> None:
    parser = build_parser("run")
    assert parser.parse_args(["run"]).presence is True
    assert parser.parse_args(["run", "--no-presence"]).presence is False


def test_run_help_explains_the_flag(cli: Cli) -> None:
    result = cli(["run", "--help"])
    assert result.code == 0
    assert "--no-presence" in result.stdout
    assert "away, locked or busy" in " ".join(result.stdout.split())


@pytest.fixture
def away(session_bus: PrivateBus) -> Iterator[IdleDesktop]:
    """A desktop on the session bus whose person left two minutes ago and stays away."""
    with IdleDesktop(session_bus.address) as desktop:
        desktop.leave(120)
        yield desktop


def start(paths: Paths, tmp_path: Path, *extra: str) -> Running:
    schedule = tmp_path / "schedule.toml"
    if not schedule.exists():
        schedule.write_text(SCHEDULE, encoding="utf-8")
    dead = tmp_path / "dead-bus"
    # No system bus (logind): only the idle monitor speaks, and it says "away".
    address = f"unix:path={dead}" if dead.exists() else dead_bus_address(tmp_path)
    return start_service(paths, schedule, *extra, env={"DBUS_SYSTEM_BUS_ADDRESS": address})


def stop(service: Running) -> None:
    print(service.log())  # pytest shows it when the test fails
    if service.process.poll() is None:
        assert service.stop()[0] == 0


def water(notifications: Notifications) -> int:
    return sum(n.summary in WATER_TITLES for n in notifications.received())


@pytest.mark.slow  # two services and several 2-second intervals
def test_no_presence_delivers_while_the_desktop_says_away(
    paths: Paths, tmp_path: Path, notifications: Notifications, away: IdleDesktop
) -> None:
    # Without the flag this desktop holds "water" back: the person is away.
    service = start(paths, tmp_path)
    try:
        log = service.wait_log("skipped water (hydration): away", count=1, timeout=20)
        assert "presence: idle time from mutter" in log
        assert OFF not in log
        assert service.request("status")["result"]["presence"]["state"] == "away"
    finally:
        stop(service)

    before = water(notifications)
    service = start(paths, tmp_path, "--no-presence")
    try:
        log = service.wait_log("delivered water (hydration) via notification", count=2, timeout=20)
        wait_for(lambda: water(notifications) >= before + 2, timeout=10, what="two water notifications")
        assert OFF in log
        assert log.index(OFF) < log.index("started (pid")  # said before anything else happens
        assert "skipped water" not in log
        assert "presence:" not in log  # no backend was even looked for
        status = service.cli("status", "--json")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["result"]["presence"] is None
        human = service.cli("status")
        assert "Presence: off; reminders come whether you are away or busy." in human.stdout
    finally:
        stop(service)
