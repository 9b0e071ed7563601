"""The log commands' settings: remembered after the full loader validated the very same files, and
taken from the full loader (with its errors) whenever anything differs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmcoach.errors import ScheduleError
from calmcoach.intake import log_settings as module
from calmcoach.intake.log_settings import CACHE_NAME, log_settings
from calmcoach.paths import Paths
from calmcoach.schedule import loader
from calmcoach.schedule.loader import load_files
from tests.history.conftest import SCHEDULE, Run

BROKEN = SCHEDULE.replace('every = "45m"', 'every = "45x"')  # as long as the valid one


class Loads:
    """Counts the full loader's runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = loader.load_files

        def counting(*args: object, **kwargs: object) -> object:
            self.count += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(loader, "load_files", counting)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Loads:
    return Loads(monkeypatch)


def test_the_same_values_from_the_loader_and_from_the_cache(
    schedule_file: Path, paths: Paths, loads: Loads
) -> None:
    first = log_settings([schedule_file], paths.cache)
    second = log_settings([schedule_file], paths.cache)
    assert loads.count == 1  # the second came from the cache
    assert first.timezone is second.timezone is ZoneInfo("Europe/Berlin")
    assert first.water_goal_ml == second.water_goal_ml == 2000.0
    assert (first.water_window.start, first.water_window.end) == (time(8), time(20))
    assert (second.water_window.start, second.water_window.end) == (time(8), time(20))


def test_a_schedule_broken_after_it_was_remembered_fails_as_the_loader_says(
    run: Run, schedule_file: Path, paths: Paths
) -> None:
    run.ok("log", "water")
    stat = schedule_file.stat()
    schedule_file.write_text(BROKEN, encoding="utf-8")
    os.utime(schedule_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same time
    with pytest.raises(ScheduleError) as expected:
        load_files([schedule_file])
    result = run("log", "water")
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == expected.value.message + "\n"
    assert f"{schedule_file}:" in result.stderr and "every" in result.stderr
    # A failed validation is never remembered: it fails every time.
    assert run("log", "twitch").stderr == expected.value.message + "\n"
    assert "45x" not in (paths.cache / CACHE_NAME).read_text()


def test_the_fast_path_imports_neither_the_loader_nor_the_reminder_checks(
    schedule_file: Path,
) -> None:
    probe = (
        "import sys; from calmcoach.cli import main; code = main(sys.argv[1:]); "
        "print(code, 'calmcoach.schedule.loader' in sys.modules, 'calmcoach.planner' in sys.modules, "
        "'calmcoach.schedule.values' in sys.modules)"
    )

    def log_water() -> str:
        done = subprocess.run(
            [sys.executable, "-c", probe, "log", "water"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.stderr == ""
        return done.stdout.splitlines()[-1]

    assert log_water() == "0 True True True"  # the first run validates the whole schedule
    assert log_water() == "0 False False False"  # not even the value checkers


def test_a_zone_left_to_the_system_is_looked_up_each_time(
    paths: Paths, loads: Loads, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    no_zone = tmp_path / "no-zone.toml"
    no_zone.write_text(SCHEDULE.replace('timezone = "Europe/Berlin"\n', ""), encoding="utf-8")
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert log_settings([no_zone], paths.cache).timezone == ZoneInfo("Asia/Tokyo")
    monkeypatch.setenv("TZ", "America/New_York")
    assert log_settings([no_zone], paths.cache).timezone == ZoneInfo("America/New_York")
    assert loads.count == 1


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b"[]", id="not-an-object"),
        pytest.param(b'{"format": 2, "entries": []}', id="other-format"),
        pytest.param(b'{"format": 1, "entries": [[], "x", {"files": 1}]}', id="odd-entries"),
    ],
)
def test_a_damaged_cache_is_ignored_and_rewritten(
    schedule_file: Path, paths: Paths, loads: Loads, damage: bytes
) -> None:
    log_settings([schedule_file], paths.cache)
    (paths.cache / CACHE_NAME).write_bytes(damage)
    assert log_settings([schedule_file], paths.cache).water_goal_ml == 2000.0
    assert log_settings([schedule_file], paths.cache).water_goal_ml == 2000.0
    assert loads.count == 2  # once at first, once after the damage, then from the new cache


def test_an_entry_with_a_damaged_value_falls_back_to_the_loader(
    schedule_file: Path, paths: Paths, loads: Loads
) -> None:
    log_settings([schedule_file], paths.cache)
    cache = paths.cache / CACHE_NAME
    data = json.loads(cache.read_text())
    data["entries"][0]["water_window"] = ["8 o'clock", "20:00"]
    cache.write_text(json.dumps(data))
    assert log_settings([schedule_file], paths.cache).water_window.start == time(8)
    assert loads.count == 2


def test_a_cache_that_cannot_be_written_costs_only_speed(
    schedule_file: Path, paths: Paths, loads: Loads
) -> None:
    paths.cache.parent.mkdir(parents=True, exist_ok=True)
    paths.cache.write_text("a file where the cache folder should be")
    for _ in range(2):
        assert log_settings([schedule_file], paths.cache).water_goal_ml == 2000.0
    assert loads.count == 2


def test_other_code_is_a_miss_and_each_code_keeps_its_entries(
    schedule_file: Path, paths: Paths, loads: Loads, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = module.code_stamp()
    log_settings([schedule_file], paths.cache)
    monkeypatch.setattr(module, "code_stamp", lambda: ["an edited calmcoach"])
    log_settings([schedule_file], paths.cache)
    assert loads.count == 2
    for stamp in (real, ["an edited calmcoach"]):  # both are remembered now, side by side
        monkeypatch.setattr(module, "code_stamp", lambda stamp=stamp: stamp)
        log_settings([schedule_file], paths.cache)
    assert loads.count == 2


def test_each_set_of_files_is_remembered_apart(
    schedule_file: Path, paths: Paths, loads: Loads, tmp_path: Path
) -> None:
    other = tmp_path / "other.toml"
    other.write_text(SCHEDULE.replace('water_goal = "2l"', 'water_goal = "3l"'), encoding="utf-8")
    for _ in range(2):
        assert log_settings([schedule_file], paths.cache).water_goal_ml == 2000.0
        assert log_settings([other], paths.cache).water_goal_ml == 3000.0
        # Each is valid alone; together they clash, and the loader says so every time.
        with pytest.raises(ScheduleError, match=r"settings\.water_goal: set to \"3l\" here but to \"2l\""):
            log_settings([schedule_file, other], paths.cache)
    assert loads.count == 4  # each file once, the clashing pair each time


def test_a_pipe_is_left_to_the_loader_which_refuses_it(paths: Paths, tmp_path: Path) -> None:
    fifo = tmp_path / "schedule.toml"
    os.mkfifo(fifo)
    with pytest.raises(ScheduleError, match="is not a regular file"):
        log_settings([fifo], paths.cache)
    assert not (paths.cache / CACHE_NAME).exists()


def test_a_file_edited_while_the_loader_reads_it_is_not_remembered(
    schedule_file: Path, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = loader.load_files

    def edited_meanwhile(*args: object, **kwargs: object) -> object:
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        schedule_file.write_text(SCHEDULE.replace('"2l"', '"3l"'), encoding="utf-8")
        return found

    monkeypatch.setattr(loader, "load_files", edited_meanwhile)
    assert log_settings([schedule_file], paths.cache).water_goal_ml == 2000.0
    assert not (paths.cache / CACHE_NAME).exists()  # neither text is filed with the other's values


def test_the_code_stamp_covers_every_module_the_loader_runs() -> None:
    # An edit to any of them can change whether a schedule is valid (the cron parser lives in
    # the planner), so each must be in the stamp, or an edited calmcoach would trust old entries.
    listing = (
        "import sys, calmcoach.schedule.loader, calmcoach.intake.hydration, calmcoach.intake.log_settings\n"
        "for name, m in sys.modules.items():\n"
        "    if name.startswith('calmcoach') and getattr(m, '__file__', None): print(m.__file__)\n"
    )
    found = subprocess.run([sys.executable, "-c", listing], capture_output=True, text=True, check=True)
    package = Path(module.__file__).resolve().parent.parent
    loaded = {Path(line).resolve().relative_to(package).as_posix() for line in found.stdout.split()}
    stamped = {str(item[0]) for item in module.code_stamp()[1:]}
    assert "planner/cron.py" in loaded
    assert loaded - stamped == set()
