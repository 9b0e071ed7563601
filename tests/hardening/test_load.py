"""Load: 500 reminders in five files load, validate and plan a 24-hour agenda, correctly; a burst of
1,000 control requests from 8 threads is answered in full by the running service.

Times are printed (run with -s), never asserted: performance is measured in benchmarks/.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from calmcoach.paths import Paths
from calmcoach.planner import agenda
from calmcoach.schedule.loader import load_files
from calmcoach.service.control import ControlClient
from tests.hardening.support import service_running
from tests.service.conftest import Running
from tests.support import Cli

FILES, PER_FILE = 5, 100
# From a Monday 00:30 to Tuesday 00:30 UTC: away from midnight, so an "every" counted from the
# start of the day fires exactly 1440 / N times in the window.
START = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
END = START + timedelta(hours=24)
EVERY_MINUTES = (30, 45, 60, 90, 120, 180, 240, 360, 480, 720)  # each divides a day


@dataclass(frozen=True)
class Planned:
    toml: str
    times: list[datetime]  # every firing on the Monday and the Tuesday, worked out by hand

    def within(self, low: datetime, high: datetime) -> list[datetime]:
        """The firings in (low, high]."""
        return [moment for moment in self.times if low < moment <= high]


MONDAY = START.replace(hour=0, minute=0)
DAYS = (MONDAY, MONDAY + timedelta(days=1))


def _reminder(number: int) -> Planned:
    """The number-th reminder (0-499): a mix of every, at and cron, with when it fires."""
    name = f"r{number:03d}"
    head = f'[[reminder]]\nname = "{name}"\nkind = "{("hydration", "tip", "stretch")[number % 3]}"\n'
    match number % 5:
        case 0:
            # Counted from midnight, k >= 1: midnight itself is k = 0 of the new day, never fired.
            minutes = EVERY_MINUTES[number // 5 % len(EVERY_MINUTES)]
            steps = range(1, 1440 // minutes)
            times = [day + timedelta(minutes=minutes * k) for day in DAYS for k in steps]
            return Planned(head + f'every = "{minutes}m"\n', times)
        case 1:
            hour, minute = 1 + number % 23, number % 60
            hours = sorted({hour, (hour + 12) % 24})
            moments = [f"{h:02d}:{minute:02d}" for h in hours]
            times = [day + timedelta(hours=h, minutes=minute) for day in DAYS for h in hours]
            return Planned(head + f"at = {json.dumps(moments)}\n", times)
        case 2:
            hour, minute = number % 24, (number * 7) % 60
            times = [day + timedelta(hours=hour, minutes=minute) for day in DAYS]
            return Planned(head + f'cron = "{minute} {hour} * * *"\n', times)
        case 3:
            # Weekdays, every 30 minutes from 09:00 to 17:30.
            times = [day + timedelta(hours=9, minutes=30 * k) for day in DAYS for k in range(18)]
            return Planned(head + 'cron = "*/30 9-17 * * mon-fri"\n', times)
        case _:
            # Weekends only: nothing on these two days.
            return Planned(head + 'at = "10:00"\ndays = "sat-sun"\n', [])


@pytest.fixture
def big_schedule(tmp_path: Path) -> tuple[list[Path], dict[str, Planned]]:
    files, expected = [], {}
    for index in range(FILES):
        parts = ['[settings]\ntimezone = "UTC"\n'] if index == 0 else []
        for number in range(index * PER_FILE, (index + 1) * PER_FILE):
            planned = _reminder(number)
            parts.append(planned.toml)
            expected[f"r{number:03d}"] = planned
        path = tmp_path / f"part-{index}.toml"
        path.write_text("\n".join(parts))
        files.append(path)
    return files, expected


def test_500_reminders_load_validate_and_plan_a_day(
    big_schedule: tuple[list[Path], dict[str, Planned]],
) -> None:
    files, expected = big_schedule
    started = time.perf_counter()
    schedule = load_files(files)
    loaded = time.perf_counter()
    firings = agenda(schedule, START, END)
    planned = time.perf_counter()
    print(
        f"\nload: 500 reminders in {FILES} files loaded and validated in {(loaded - started) * 1000:.0f} ms, "
        f"24 h agenda ({len(firings)} firings) planned in {(planned - loaded) * 1000:.0f} ms"
    )
    assert len(schedule.reminders) == FILES * PER_FILE
    assert len(schedule.files) == FILES
    got: dict[str, list[datetime]] = {name: [] for name in expected}
    for firing in firings:
        got[firing.reminder.name].append(firing.at)
    assert got == {name: planned.within(START, END) for name, planned in expected.items()}
    assert [(f.at, f.reminder.name) for f in firings] == sorted((f.at, f.reminder.name) for f in firings)
    assert sum(not times for times in got.values()) == 100  # the weekend-only reminders


def test_check_and_agenda_commands_take_the_500_reminders(
    cli: Cli, big_schedule: tuple[list[Path], dict[str, Planned]]
) -> None:
    files, expected = big_schedule
    started = time.perf_counter()
    checked = cli(["check", *map(str, files)])
    took = time.perf_counter() - started
    assert checked.code == 0, checked.stderr
    assert checked.stdout.splitlines()[-1] == "500 reminders in 5 files, valid together"
    schedules = [word for path in files for word in ("--schedule", str(path))]
    started = time.perf_counter()
    shown = cli(["agenda", "--from", START.isoformat(), "--hours", "24", "--json", *schedules])
    shown_in = time.perf_counter() - started
    print(f"\nload: `check` {took * 1000:.0f} ms, `agenda --json` {shown_in * 1000:.0f} ms")
    assert shown.code == 0, shown.stderr
    # The command shows [from, from + hours): at whole minutes, (START - 1 s, END - 1 s].
    second = timedelta(seconds=1)
    wanted = {name: planned.within(START - second, END - second) for name, planned in expected.items()}
    listed = json.loads(shown.stdout)
    assert len(listed) == sum(len(times) for times in wanted.values())
    assert Counter(item["name"] for item in listed) == Counter({n: len(t) for n, t in wanted.items() if t})
    assert {(item["name"], datetime.fromisoformat(item["at"])) for item in listed} == {
        (name, moment) for name, times in wanted.items() for moment in times
    }


# -- a burst of control requests ------------------------------------------------------------------

BURST, THREADS = 1000, 8
SCHEDULE = (
    '[settings]\ntimezone = "UTC"\n\n[[reminder]]\nname = "water"\nkind = "hydration"\nat = ["03:33"]\n'
)


@pytest.fixture
def service(paths: Paths, short_runtime: Path, tmp_path: Path) -> Iterator[Running]:
    with service_running(SCHEDULE, tmp_path) as running:
        yield running


def test_a_burst_of_1000_status_requests_is_answered_in_full(service: Running) -> None:
    client = ControlClient(service.paths.control_socket)

    def ask(_: int) -> dict[str, Any]:
        return client.request("status")

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(ask, range(BURST)))
    took = time.perf_counter() - started
    print(f"\nload: {BURST} status requests from {THREADS} threads in {took:.2f} s ({BURST / took:.0f}/s)")
    refused = Counter(a.get("error") for a in answers if not a["ok"])
    assert refused == Counter(), refused
    assert all(a["result"]["pid"] == service.process.pid for a in answers)
    assert all(a["result"]["reminders"][0]["name"] == "water" for a in answers)
    assert service.process.poll() is None
    assert service.request("status")["ok"]


def test_more_clients_at_once_than_the_queue_holds_are_all_answered(service: Running) -> None:
    # 64 at once overflow the listen queue (16) and the service's 8 answering slots: each client
    # waits for room to connect, then for a slot, and is answered; never a socket error or "busy".
    client = ControlClient(service.paths.control_socket)
    with ThreadPoolExecutor(64) as pool:
        answers = list(pool.map(lambda _: client.request("status"), range(640)))
    refused = Counter(a.get("error") for a in answers if not a["ok"])
    print(f"\nload: 640 status requests from 64 threads: {len(answers) - sum(refused.values())} answered")
    assert refused == Counter(), refused
    assert all(a["result"]["pid"] == service.process.pid for a in answers)
    assert service.request("status")["ok"]
