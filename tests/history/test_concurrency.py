"""Several processes writing to one history at once lose nothing, and a process killed mid-write
leaves a sound database with every committed entry in it. Real processes, real SQLite, and for
issue 6's "four CLI processes and the service" the real service: the installed `calmcoach run`
on the private session bus, delivering to the recording notification server."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from calmcoach.history import History
from calmcoach.history.store import to_text
from calmcoach.paths import Paths
from calmcoach.service.control import ControlClient
from tests.desktop import Notifications, dead_bus_address, read_line, temporary_socket_dir
from tests.service.conftest import Running, start_service, wait_for

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 90.0  # every wait for progress: a loaded machine is slow, and a real loss never arrives


def writer(
    db: Path, mode: str, count: int, *options: str, env: Mapping[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start tests/history/writer.py (see its docstring for the modes and options)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.history.writer", str(db), mode, str(count), *options],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def calmcoach_command() -> str:
    beside = Path(sys.executable).with_name("calmcoach")
    found = str(beside) if beside.exists() else shutil.which("calmcoach")
    assert found, "the calmcoach command is not installed in this environment"
    return found


def cli_env(tmp_path: Path) -> dict[str, str]:
    # Cache compiled bytecode outside the tree, so many starts do not each compile every module.
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def finish(process: subprocess.Popen[str], timeout: float = WAIT_S) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return out


def assert_sound(db: Path) -> None:
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_five_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    """History itself, from five processes: four log water, a fifth records deliveries and sessions."""
    db = tmp_path / "history.sqlite3"
    processes = [writer(db, "water", 200) for _ in range(4)] + [writer(db, "deliveries", 200)]
    outputs = [finish(p) for p in processes]
    assert all(len(out.splitlines()) == 200 for out in outputs)
    with History.open(db) as history:
        assert history.count("water") == 800
        assert history.count("journal") == 800
        assert (history.count("delivery"), history.count("session")) == (100, 100)
    assert_sound(db)


# -- four CLI processes and the real service ---------------------------------------------------

# What each CLI process logs, over and over; its entry k is logged `--at` FIRST_AT + p hours + k s.
LOOPS = (
    "log water 100ml",
    "log caffeine 1mg",
    "log twitch --where neck --stress 3",
    "log water glass",
)
FIRST_AT = datetime(2024, 5, 6, 4, 0, tzinfo=UTC)
LOG_TABLES = ("water", "caffeine", "twitch")
# What the service logs when a triggered reminder or its record is lost (dispatch.py, figures.py,
# daemon.py): none of it may appear.
LOSSES = (
    "could not record the delivery",
    "could not deliver",
    "could not run in time and was dropped",
    "running without history",
)


@dataclass(frozen=True)
class Plan:
    per_process: int  # entries each CLI process logs
    service_entries: int  # reminders the service delivers and records
    lag: int  # how many deliveries the CLIs may run ahead of the service by (see writer.py)

    @property
    def cli_entries(self) -> int:
        return len(LOOPS) * self.per_process

    def name(self, i: int) -> str:
        return f"entry-{i:03d}"

    def message(self, i: int) -> str:
        return f"Service entry {i} of {self.service_entries}."

    def expected(self, p: int) -> list[tuple[str, str]]:
        """Given a CLI process, return the (table, stored time) of every entry it logs."""
        table = LOOPS[p].split()[1]
        first = FIRST_AT + timedelta(hours=p)
        return [(table, to_text(first + timedelta(seconds=k))) for k in range(self.per_process)]


@pytest.fixture
def runtime_paths(xdg_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Paths]:
    """The test's paths with a short XDG_RUNTIME_DIR: the control socket's path must fit in 108
    bytes, and pytest's tmp paths may not; the system bus is one where nothing listens, so the
    service's presence checks never reach the machine's logind."""
    with temporary_socket_dir("cc-") as folder:
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", dead_bus_address(folder))
        yield Paths.from_environment()


def service_schedule(path: Path, plan: Plan) -> Path:
    """Write a schedule of `plan.service_entries` notification reminders, each with its own words.

    They fire at a time twelve hours away, so none fires on its own while the test runs: every
    delivery is one the test triggered, and can be told apart by its reminder name and its text.
    """
    never = f"{datetime.now(UTC) + timedelta(hours=12):%H:%M}"
    tables = [
        f'[[reminder]]\nname = "{plan.name(i)}"\nkind = "tip"\nat = ["{never}"]\n'
        f'say = ["notification"]\nmessage = "{plan.message(i)}"\n'
        for i in range(plan.service_entries)
    ]
    path.write_text('[settings]\ntimezone = "UTC"\n\n' + "\n".join(tables), encoding="utf-8")
    return path


def start_clis(
    paths: Paths, plan: Plan, env: Mapping[str, str], *installed: str
) -> list[subprocess.Popen[str]]:
    """Start the four CLI processes, each held at a barrier until `release`."""
    clis = [
        writer(
            paths.history_db,
            "cli",
            plan.per_process,
            "--words",
            words,
            "--first-at",
            (FIRST_AT + timedelta(hours=p)).isoformat(),
            "--service-entries",
            str(plan.service_entries),
            "--lag",
            str(plan.lag),
            "--barrier",
            *installed,
            env=env,
        )
        for p, words in enumerate(LOOPS)
    ]
    for process in clis:
        assert process.stdout is not None
        assert read_line(process.stdout, timeout=WAIT_S, what="a CLI process to be ready") == "ready"
    return clis


def release(clis: Sequence[subprocess.Popen[str]]) -> None:
    for process in clis:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()


def trigger_in_step(service: Running, clis: Sequence[subprocess.Popen[str]], plan: Plan) -> None:
    """Trigger the service's reminders one by one, entry i once the CLIs have logged their share.

    So the service cannot get ahead of the CLIs, and the CLIs wait for its deliveries (writer.py's
    --lag): each side's writes are spread over the other's, whatever the load.
    """
    # A longer answer timeout than the command's 5 s: a trigger that timed out could not be sent
    # again without risking a second delivery, and a loaded machine may answer slowly.
    control = ControlClient(service.paths.control_socket, timeout_s=WAIT_S)
    with closing(sqlite3.connect(service.paths.history_db, timeout=30)) as reader:

        def logged(needed: int) -> bool:
            for process in clis:
                if process.poll() not in (None, 0):
                    finish(process)  # raises, with what the process said
            return int(reader.execute("SELECT COUNT(*) FROM journal").fetchone()[0]) >= needed

        for i in range(plan.service_entries):
            needed = i * plan.cli_entries // plan.service_entries
            wait_for(partial(logged, needed), timeout=WAIT_S, what=f"{needed} CLI entries")
            answer = control.request("trigger", {"name": plan.name(i)})
            assert answer["ok"], answer


def stop_service(service: Running) -> int | None:
    """Stop the service with SIGTERM (kill it if it hangs); return its exit code, None if killed."""
    process = service.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)
            return None
    return process.returncode


def run_together(
    paths: Paths, tmp_path: Path, notifications: Notifications, plan: Plan, *installed: str
) -> tuple[list[list[list[str]]], str]:
    """Run four CLI processes and the real service at once; return each CLI's lines and the log."""
    History.open(paths.history_db).close()  # the service usually starts first and creates it
    service = start_service(paths, service_schedule(tmp_path / "service.toml", plan))
    clis: list[subprocess.Popen[str]] = []
    try:
        clis = start_clis(paths, plan, cli_env(tmp_path), *installed)
        release(clis)
        trigger_in_step(service, clis, plan)
        lines = [[line.split() for line in finish(process).splitlines()] for process in clis]
        notifications.wait_for(plan.service_entries, timeout=WAIT_S)
        with closing(sqlite3.connect(paths.history_db, timeout=30)) as reader:
            wait_for(
                lambda: reader.execute("SELECT COUNT(*) FROM delivery").fetchone()[0] >= plan.service_entries,
                timeout=WAIT_S,
                what=f"{plan.service_entries} deliveries in history",
            )
    finally:
        for process in clis:
            if process.poll() is None:
                process.kill()
                process.wait(30)
        code = stop_service(service)
        log = service.log()
        print(log)  # pytest shows it when the test fails
    assert code == 0, "the service did not stop cleanly on SIGTERM"
    return lines, log


def assert_everything_once(paths: Paths, notifications: Notifications, plan: Plan, log: str) -> None:
    """Every CLI entry and every delivery is in history exactly once, and each delivery arrived."""
    expected = Counter(entry for p in range(len(LOOPS)) for entry in plan.expected(p))
    with closing(sqlite3.connect(paths.history_db)) as raw:
        found = Counter(
            (table, at)
            for table in LOG_TABLES
            for (at,) in raw.execute(f"SELECT at FROM {table}")  # noqa: S608 - our own table names
        )
        journal = Counter(raw.execute("SELECT entry_type, entry_id FROM journal"))
        ids = {table: {row[0] for row in raw.execute(f"SELECT id FROM {table}")} for table in LOG_TABLES}  # noqa: S608
        deliveries = Counter(raw.execute("SELECT reminder, kind, channel FROM delivery"))
    assert found == expected
    assert len(journal) == sum(journal.values()) == plan.cli_entries  # one journal line each, no repeat
    assert all(entry_id in ids[table] for table, entry_id in journal)
    names = [plan.name(i) for i in range(plan.service_entries)]
    assert deliveries == Counter((name, "tip", "notification") for name in names)
    received = notifications.received()
    assert {n.app_name for n in received} == {"calmcoach"}
    bodies = Counter(n.body for n in received)
    assert bodies == Counter(plan.message(i) for i in range(plan.service_entries))
    assert log.count(", triggered) via notification: ") == plan.service_entries
    for loss in LOSSES:
        assert loss not in log
    assert_sound(paths.history_db)


def assert_interleaved(lines: list[list[list[str]]], plan: Plan, least: int) -> None:
    """Each CLI process saw at least `least` deliveries committed between its first and last entry.

    Lines are "K TABLE AT BEFORE AFTER" (writer.py): AFTER of the first entry was read once it had
    committed, BEFORE of the last before the last began, so the difference counts deliveries the
    service committed while this process was writing.
    """
    for p, process_lines in enumerate(lines):
        assert [(line[1], line[2]) for line in process_lines] == plan.expected(p)
        during = int(process_lines[-1][3]) - int(process_lines[0][4])
        print(f"CLI process {p}: {during} deliveries committed between its first and last entry")
        assert during >= least, (p, process_lines[0], process_lines[-1])


@pytest.mark.usefixtures("schedule_file")
def test_four_cli_processes_and_the_service_log_200_each_and_lose_nothing(
    runtime_paths: Paths, tmp_path: Path, notifications: Notifications
) -> None:
    """Four processes each run the real command line 200 times (`calmcoach log ... --at T`
    through `cli.main`, with its own connection per run) while the installed `calmcoach run`
    delivers 200 triggered reminders and records each in history; both sides' writes interleave
    throughout, and all 1,000 entries are there exactly once."""
    plan = Plan(per_process=200, service_entries=200, lag=10)
    lines, log = run_together(runtime_paths, tmp_path, notifications, plan)
    # By construction at least 151 of the 200 deliveries fall inside each CLI's run (writer.py's
    # gate and the triggers' pace bound both sides); 100 leaves room and still shows the overlap.
    assert_interleaved(lines, plan, least=100)
    assert_everything_once(runtime_paths, notifications, plan, log)


@pytest.mark.usefixtures("schedule_file")
def test_four_installed_commands_and_the_service_lose_nothing(
    runtime_paths: Paths, tmp_path: Path, notifications: Notifications
) -> None:
    """The same with the installed `calmcoach` started anew for every entry (10 each: a start
    costs about 0.2 s of CPU, and the 200-each run above covers the volume)."""
    plan = Plan(per_process=10, service_entries=40, lag=1)
    lines, log = run_together(
        runtime_paths, tmp_path, notifications, plan, "--installed", calmcoach_command()
    )
    assert_interleaved(lines, plan, least=8)
    assert_everything_once(runtime_paths, notifications, plan, log)


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
    assert_sound(db)
    with sqlite3.connect(db) as raw:
        present = {row[0] for row in raw.execute("SELECT id FROM water")}
    assert set(committed) <= present
    # At most the one entry committed between its last print and the kill is not in `committed`.
    assert len(present) - len(committed) in (0, 1)
    with History.open(db) as history:  # and it carries on as before
        history.log_water(250, datetime(2024, 5, 7, 8, 0, tzinfo=UTC))
        assert history.count("water") == len(present) + 1
