"""Several processes writing to one history at once lose nothing, and a process killed mid-write
leaves a sound database with every committed entry in it. Real processes, real SQLite."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from calmcoach.history import History
from calmcoach.paths import Paths

ROOT = Path(__file__).resolve().parents[2]


def writer(
    db: Path, mode: str, count: int, pace: float = 0.0, follow: int | str = 0
) -> subprocess.Popen[str]:
    """Start tests/history/writer.py; `follow` is the entry count to follow, or the CLI's words."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.history.writer", str(db), mode, str(count), str(pace), str(follow)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def calmcoach_command() -> str:
    beside = Path(sys.executable).with_name("calmcoach")
    found = str(beside) if beside.exists() else shutil.which("calmcoach")
    assert found, "the calmcoach command is not installed in this environment"
    return found


def cli_env(tmp_path: Path) -> Mapping[str, str]:
    # Cache compiled bytecode outside the tree, so 800 starts do not each compile every module.
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def finish(process: subprocess.Popen[str], timeout: float = 600) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return out


def test_five_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    processes = [writer(db, "water", 200) for _ in range(4)] + [writer(db, "service", 200)]
    outputs = [finish(p) for p in processes]
    assert all(len(out.splitlines()) == 200 for out in outputs)
    with History.open(db) as history:
        assert history.count("water") == 800
        assert history.count("journal") == 800
        assert (history.count("delivery"), history.count("session")) == (100, 100)
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


LOOPS = (
    "log water 100ml",
    "log caffeine 1mg",
    "log twitch --where neck --stress 3",
    "log water glass",
)


def assert_all_arrived(paths: Paths, per_process: int) -> None:
    with History.open(paths.history_db) as history:
        assert history.count("water") == 2 * per_process
        assert history.count("caffeine") == per_process
        assert history.count("twitch") == per_process
        assert history.count("journal") == 4 * per_process
        assert (history.count("delivery"), history.count("session")) == (100, 100)
    with sqlite3.connect(paths.history_db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


@pytest.mark.usefixtures("schedule_file")
def test_four_cli_processes_and_the_service_log_200_each_and_lose_nothing(paths: Paths) -> None:
    """Four processes each run the real command line 200 times (`calmcoach log ...` through
    `cli.main`, with its own connection per run) while a fifth stands in for the service."""
    History.open(paths.history_db).close()  # the service usually starts first and creates it
    clis = [writer(paths.history_db, "cli", 200, 0.0, words) for words in LOOPS]
    # The service's 200 entries keep pace with the loops' progress, so they overlap them throughout.
    service = writer(paths.history_db, "service", 200, 0.01, follow=4 * 200)
    for process in clis:
        finish(process)
    assert len(finish(service).splitlines()) == 200
    assert_all_arrived(paths, 200)


@pytest.mark.usefixtures("schedule_file")
def test_four_installed_commands_and_the_service_lose_nothing(paths: Paths, tmp_path: Path) -> None:
    """The same with the installed `calmcoach` started anew for every entry (10 each: a start
    costs about 0.2 s of CPU, and the 200-each run above covers the volume)."""
    per_process = 10
    command = calmcoach_command()
    History.open(paths.history_db).close()
    env = cli_env(tmp_path)
    clis = [
        subprocess.Popen(
            [
                "bash",
                "-c",
                f'for i in $(seq {per_process}); do "$0" {words} >/dev/null || exit 1; done',
                command,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for words in LOOPS
    ]
    service = writer(paths.history_db, "service", 200, 0.01, follow=4 * per_process)
    for process in clis:
        finish(process, timeout=270)
    assert len(finish(service).splitlines()) == 200
    assert_all_arrived(paths, per_process)


def test_a_writer_killed_mid_write_leaves_every_committed_entry(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    process = writer(db, "water", 1_000_000)
    assert process.stdout is not None
    committed: list[int] = []
    for line in process.stdout:
        committed.append(int(line.split()[1]))
        if len(committed) == 300:
            process.send_signal(signal.SIGKILL)
            break
    # Read on through the same buffered stream: lines it already holds were committed too.
    rest = process.stdout.read()
    process.wait(timeout=30)
    committed += [int(line.split()[1]) for line in rest.splitlines() if line.strip()]
    assert process.returncode == -signal.SIGKILL
    assert (tmp_path / "history.sqlite3-wal").exists()  # killed before it could clean up
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        present = {row[0] for row in raw.execute("SELECT id FROM water")}
    assert set(committed) <= present
    # At most the one entry committed between its last print and the kill is not in `committed`.
    assert len(present) - len(committed) in (0, 1)
    with History.open(db) as history:  # and it carries on as before
        history.log_water(250, datetime(2024, 5, 7, 8, 0, tzinfo=UTC))
        assert history.count("water") == len(present) + 1
