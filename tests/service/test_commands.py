"""The control commands and `calmcoach service`, through the real entry point."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from calmcoach.commands.pause import request_args
from calmcoach.errors import CalmcoachError
from calmcoach.service.client import when
from calmcoach.service.unit import render
from tests.support import Cli


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["status"], id="status"),
        pytest.param(["pause"], id="pause"),
        pytest.param(["pause", "30m"], id="pause-30m"),
        pytest.param(["resume"], id="resume"),
        pytest.param(["snooze", "water", "10m"], id="snooze"),
        pytest.param(["trigger", "water"], id="trigger"),
        pytest.param(["reload"], id="reload"),
    ],
)
def test_with_no_service_each_command_says_so_and_exits_1(cli: Cli, argv: list[str]) -> None:
    result = cli(argv)
    assert result.code == 1
    assert result.stderr.startswith("calmcoach is not running (nothing answers on ")
    assert "calmcoach run" in result.stderr
    assert result.stdout == ""


def test_with_no_service_json_says_so_on_stdout(cli: Cli) -> None:
    result = cli(["status", "--json"])
    assert result.code == 1
    answer = json.loads(result.stdout)
    assert answer["ok"] is False and answer["running"] is False
    assert "not running" in answer["error"]


@pytest.mark.parametrize(
    ("words", "args"),
    [([], {}), (["45m"], {"duration": "45m"}), (["until", "14:00"], {"until": "14:00"})],
)
def test_pause_arguments(words: list[str], args: dict[str, str]) -> None:
    assert request_args(words) == args


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["pause", "soon"], 'expected a duration like "45m"', id="pause-word"),
        pytest.param(["pause", "until", "25:00"], "between 00:00 and 23:59", id="pause-until"),
        pytest.param(
            ["pause", "for", "a", "while"], 'expected a duration like "30m" or "until 14:00"', id="pause-many"
        ),
        pytest.param(["snooze", "water", "later"], 'expected a duration like "45m"', id="snooze"),
        # Checked before asking the service, so these are usage errors (exit 2) even offline.
        pytest.param(["pause", "0s"], "longer than 0s", id="pause-zero"),
        pytest.param(["pause", "99999999h"], "at most 366 days", id="pause-huge"),
        pytest.param(["snooze", "water", "0s"], "longer than 0s", id="snooze-zero"),
        pytest.param(["snooze", "water", "9000h"], "at most 366 days", id="snooze-huge"),
    ],
)
def test_usage_errors_exit_2_before_asking_the_service(cli: Cli, argv: list[str], message: str) -> None:
    result = cli(argv)
    assert result.code == 2
    assert message in result.stderr


def test_request_args_refuses_garbage() -> None:
    with pytest.raises(CalmcoachError):
        request_args(["until"])


# -- calmcoach service -------------------------------------------------------------------------


def fake_systemctl(folder: Path, state: str) -> Path:
    """A `systemctl` on PATH that records its arguments and answers is-system-running with `state`."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "systemctl.log"
    script = folder / "systemctl"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{log}"\n'
        f'if [ "$2" = "is-system-running" ]; then echo {state}; [ {state} = running ]; exit $?; fi\n'
        'if [ "$2" = "is-enabled" ]; then echo enabled; fi\n'
        'if [ "$2" = "is-active" ]; then echo active; fi\n'
        "exit 0\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return log


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `calmcoach` command on PATH (what the unit's ExecStart must name)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    command = bin_dir / "calmcoach"
    command.write_text("#!/bin/sh\n")
    command.chmod(0o755)
    monkeypatch.setattr("sys.argv", [str(command)])
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return command


def test_install_with_systemd_writes_the_unit_and_enables_it(
    cli: Cli, installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_systemctl(installed.parent, "running")
    result = cli(["service", "install"])
    assert result.code == 0, result.stderr
    unit = Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user" / "calmcoach.service"
    assert unit.read_text() == render(str(installed.resolve()))
    assert f"ExecStart={installed.resolve()} run" in unit.read_text()
    assert log.read_text().splitlines() == [
        "--user is-system-running",
        "--user daemon-reload",
        "--user enable --now calmcoach.service",
    ]
    assert "enabled and started" in result.stdout
    status = cli(["service", "status", "--json"])
    found = json.loads(status.stdout)
    assert found["installed"] and found["up_to_date"] and found["systemd"]
    assert (found["enabled"], found["active"], found["running"]) == ("enabled", "active", False)
    assert status.code == 1  # the unit is there, but no service answers here
    removed = cli(["service", "uninstall"])
    assert removed.code == 0
    assert not unit.exists()
    assert log.read_text().splitlines()[-2:] == [
        "--user disable --now calmcoach.service",
        "--user daemon-reload",
    ]


def test_install_without_systemd_prints_exactly_what_to_do(cli: Cli, installed: Path) -> None:
    log = fake_systemctl(installed.parent, "offline")
    result = cli(["service", "install"])
    assert result.code == 0, result.stderr
    assert "systemd is not available here" in result.stdout
    assert (
        "  systemctl --user daemon-reload\n  systemctl --user enable --now calmcoach.service\n"
        in result.stdout
    )
    assert f"  {installed.resolve()} run" in result.stdout
    assert log.read_text().splitlines() == ["--user is-system-running"]  # nothing else was tried
    human = cli(["service", "status"])
    assert "systemd: not available" in human.stdout
    assert "Service: not running" in human.stdout


def test_install_print_shows_the_unit_and_writes_nothing(cli: Cli, installed: Path) -> None:
    result = cli(["service", "install", "--print"])
    assert result.stdout == render(str(installed.resolve()))
    assert not (Path(os.environ["XDG_CONFIG_HOME"]) / "systemd").exists()


def test_status_notices_a_unit_for_another_path(cli: Cli, installed: Path) -> None:
    fake_systemctl(installed.parent, "offline")
    unit = Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user" / "calmcoach.service"
    unit.parent.mkdir(parents=True)
    unit.write_text(render("/old/place/calmcoach"))
    result = cli(["service", "status"])
    assert "is not the one this calmcoach would write (ExecStart=/old/place/calmcoach run)" in result.stdout


def test_a_failing_systemctl_is_reported_with_exit_1(cli: Cli, installed: Path) -> None:
    fake_systemctl(installed.parent, "running")
    script = installed.parent / "systemctl"
    script.write_text(script.read_text().replace("exit 0\n", 'echo "Unit not found" >&2; exit 5\n'))
    result = cli(["service", "install"])
    assert result.code == 1
    assert "`systemctl --user daemon-reload` failed (exit 5): Unit not found" in result.stderr


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param("2026-11-26T14:05:00+01:00", "14:05", id="today"),
        pytest.param("2026-11-26T14:05:09+01:00", "14:05:09", id="seconds"),
        pytest.param("2026-11-27T09:00:00+01:00", "Fri 09:00", id="tomorrow"),
        # A weekday alone would read as this week: a far snooze once showed "Tue 15:58:05".
        pytest.param("2027-12-07T15:58:00+01:00", "Tue 7 Dec 2027 15:58", id="far"),
        pytest.param("2026-12-03T09:00:00+01:00", "Thu 3 Dec 2026 09:00", id="a-week-on"),
    ],
)
def test_times_from_the_service_name_the_day_when_it_is_not_today(moment: str, expected: str) -> None:
    assert when(moment, "2026-11-26T10:00:00+01:00") == expected


def test_pause_snooze_and_resume_say_which_day_when_it_is_not_today() -> None:
    from calmcoach.commands import pause, resume, snooze

    now = "2026-11-26T23:00:00+01:00"
    tomorrow = "2026-11-27T08:00:00+01:00"
    assert pause.render({"paused_until": tomorrow, "now": now})[0].startswith("Paused until Fri 08:00.")
    assert snooze.render({"name": "water", "until": tomorrow, "now": now}) == [
        "Snoozed water until Fri 08:00."
    ]
    answer = {"was_paused": True, "now": now, "next": [{"name": "water", "at": tomorrow}]}
    assert resume.render(answer) == ["Resumed. Next: water at Fri 08:00."]
