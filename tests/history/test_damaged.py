"""A damaged history under the CLI commands: moved aside with one clear message, kept byte for byte
for recovery, and the command carries on with a new history, as the service does (issue 7: "move
it aside with a clear message, never reset it silently").

The CLI does not run the full integrity check (it reads every page); damage is found where SQLite
reads it: at once for a file that is not a database, and in the statement that reads a damaged
page otherwise. The full check still runs for `History.open()` (the service at start-up).
"""

from __future__ import annotations

import contextlib
import errno
import re
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach.errors import CalmcoachError
from calmcoach.history import History
from calmcoach.history import store as history_store
from calmcoach.history.store import set_aside, set_aside_if_same
from calmcoach.paths import Paths
from tests.history.conftest import NOON, Run
from tests.service.conftest import calmcoach_argv

GARBAGE = bytes(range(256)) * 64  # no SQLite header at all
# The aside's name carries the time it was moved in UTC: the test clock's 14:00 in Berlin.
ASIDE_NAME = "history.sqlite3.damaged-20240506T120000Z"


def write_garbage(paths: Paths) -> None:
    paths.history_db.parent.mkdir(parents=True, exist_ok=True)
    paths.history_db.write_bytes(GARBAGE)


def damage_the_twitch_pages(db: Path) -> bytes:
    """Fill a history with twitches, scribble over a page in the middle (the header page stays
    intact, so the file opens), and return the damaged bytes."""
    with History.open(db) as history:
        for i in range(2000):
            history.log_twitch(NOON - timedelta(days=30, minutes=i), note="x" * 50)
    with contextlib.closing(sqlite3.connect(db)) as raw:  # closed: no -wal is left behind
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(db.read_bytes())
    middle = (len(data) // page_size // 2) * page_size
    data[middle + 8 : middle + page_size] = b"\xa5" * (page_size - 8)
    db.write_bytes(bytes(data))
    return bytes(data)


def moved_aside_message(paths: Paths, detail: str) -> str:
    aside = paths.history_db.with_name(ASIDE_NAME)
    return (
        f"calmcoach: the history database {paths.history_db} is damaged ({detail}); moved it to "
        f"{aside}, kept as it was for recovery (sqlite3 {aside} .recover > recovered.sql), and started "
        "a new history\n"
    )


@pytest.mark.parametrize(
    ("command", "out"),
    [
        (["log", "water"], "Logged 250 ml of water. Today: 250 ml of 2 l (13%), 750 ml behind the pace.\n"),
        (["log", "twitch", "--where", "neck"], "Logged a twitch (neck). Today: 1 twitch.\n"),
        (["done", "water"], "No delivery of 'water' is recorded yet, so nothing to mark. Logged 250 ml"),
        (["today"], "Water      0 ml of 2 l (0%), 1 l behind the pace"),
        (["stats", "--days", "2"], "The last 2 days (water goal 2 l, caffeine limit 400 mg)"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_a_file_that_is_not_a_database_is_moved_aside_and_the_command_carries_on(
    run: Run, paths: Paths, command: list[str], out: str
) -> None:
    write_garbage(paths)
    result = run(*command)
    assert (result.code, result.stderr) == (0, moved_aside_message(paths, "file is not a database"))
    assert out in result.stdout
    aside = paths.history_db.with_name(ASIDE_NAME)
    assert aside.read_bytes() == GARBAGE  # kept exactly as it was
    with History.open(paths.history_db) as history:  # the new history passes the full check
        assert history.count("water") == (1 if command[0] in ("log", "done") and "water" in command else 0)
    # The next command uses the new history without a word.
    assert run.ok("log", "water").startswith("Logged 250 ml of water.")


def test_damage_met_in_the_middle_of_a_command_is_moved_aside_too(run: Run, paths: Paths) -> None:
    damage_the_twitch_pages(paths.history_db)
    # `log water` reads no twitch page: it works, and the damage stays for those who read it.
    assert run.ok("log", "water").startswith("Logged 250 ml of water.")
    assert not Path(f"{paths.history_db}-wal").exists()  # the last connection's close checkpointed
    damaged = paths.history_db.read_bytes()
    # `today` reads the whole journal, meets the damaged page, and moves the file aside.
    result = run("today")
    assert result.code == 0, result
    assert result.stderr == moved_aside_message(paths, "database disk image is malformed")
    assert "Water      0 ml of 2 l (0%)" in result.stdout  # the new, empty history
    assert paths.history_db.with_name(ASIDE_NAME).read_bytes() == damaged
    # The full check (the service's, at start-up) would have found it without reading it.
    with pytest.raises(history_store.HistoryDamaged):
        History.open(paths.history_db.with_name(ASIDE_NAME))


def test_a_damaged_history_that_cannot_be_moved_is_reported_and_left_alone(
    run: Run, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_garbage(paths)

    def read_only(path: Path, moment: datetime) -> Path:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(history_store, "_move_aside", read_only)
    result = run("log", "water")
    assert (result.code, result.stdout) == (1, "")
    assert f"the history database {paths.history_db} is damaged" in result.stderr
    assert result.stderr.rstrip().endswith("It could not be moved aside either: Read-only file system")
    assert paths.history_db.read_bytes() == GARBAGE
    assert sorted(p.name for p in paths.history_db.parent.iterdir()) == ["history.sqlite3"]


def test_the_installed_command_moves_a_damaged_history_aside(paths: Paths) -> None:
    write_garbage(paths)
    day_before = datetime.now().astimezone().date()  # no schedule: the command's day is the system's
    first = subprocess.run(
        [*calmcoach_argv(), "log", "water"], capture_output=True, text=True, timeout=60, check=False
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Logged 250 ml of water. Today: 250 ml of 2 l")
    found = re.fullmatch(
        rf"calmcoach: the history database {re.escape(str(paths.history_db))} is damaged \(file is "
        r"not a database\); moved it to (\S+), kept as it was for recovery \(sqlite3 \1 \.recover "
        r"> recovered\.sql\), and started a new history\n",
        first.stderr,
    )
    assert found, first.stderr
    aside = Path(found[1])
    assert aside.parent == paths.history_db.parent
    assert aside.name.startswith("history.sqlite3.damaged-")
    assert aside.read_bytes() == GARBAGE
    second = subprocess.run(
        [*calmcoach_argv(), "log", "water"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (second.returncode, second.stderr) == (0, "")
    # Both glasses are today's, unless midnight passed during the test: then the first may be yesterday's.
    same_day = datetime.now().astimezone().date() == day_before
    totals = ["500 ml"] if same_day else ["500 ml", "250 ml"]
    assert any(f"Today: {total} of 2 l" in second.stdout for total in totals), second.stdout


# -- moving aside ------------------------------------------------------------------------------

T0 = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_two_set_asides_in_one_second_keep_both_copies(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    db.write_bytes(b"first")
    Path(f"{db}-wal").write_bytes(b"first wal")
    first = set_aside(db, T0)
    db.write_bytes(b"second")
    second = set_aside(db, T0)
    assert (first.name, second.name) == (
        "history.sqlite3.damaged-20260329T013000Z",
        "history.sqlite3.damaged-20260329T013000Z-2",
    )
    assert [first.read_bytes(), second.read_bytes()] == [b"first", b"second"]
    assert Path(f"{first}-wal").read_bytes() == b"first wal"


def test_a_file_already_replaced_by_another_process_is_not_moved(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    db.write_bytes(b"damaged")
    with pytest.raises(history_store.HistoryDamaged) as found:
        History.open(db, check=False)
    # Meanwhile another process moved the damaged file aside and started a new history.
    other = set_aside(db, T0)
    History.open(db).close()
    fresh = db.read_bytes()
    assert set_aside_if_same(db, found.value.identity, T0 + timedelta(seconds=1)) is None
    assert db.read_bytes() == fresh
    assert sorted(p.name for p in tmp_path.iterdir() if "damaged" in p.name) == [other.name]


def test_the_cli_says_so_when_another_process_moved_the_file_first(
    run: Run, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_garbage(paths)
    real = history_store.set_aside_if_same

    def beaten(path: Path, identity: tuple[int, int] | None, moment: datetime) -> Path | None:
        set_aside(path, moment)  # the other process, a moment before us
        return real(path, identity, moment)

    monkeypatch.setattr("calmcoach.history.recovery.set_aside_if_same", beaten)
    result = run("log", "water")
    assert result.code == 0, result
    assert result.stderr == (
        f"calmcoach: the history database {paths.history_db} was damaged (file is not a database); "
        "another calmcoach process has moved it aside (as history.sqlite3.damaged-<time>, next to it) "
        "and started a new one\n"
    )
    assert paths.history_db.with_name(ASIDE_NAME).read_bytes() == GARBAGE
    with History.open(paths.history_db) as history:
        assert history.count("water") == 1


def test_a_new_history_that_is_damaged_too_is_reported_not_retried(
    run: Run, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_garbage(paths)
    real = history_store.set_aside_if_same

    def and_again(path: Path, identity: tuple[int, int] | None, moment: datetime) -> Path | None:
        aside = real(path, identity, moment)
        path.write_bytes(GARBAGE)  # whatever damaged it is still at work
        return aside

    monkeypatch.setattr("calmcoach.history.recovery.set_aside_if_same", and_again)
    result = run("log", "water")
    assert result.code == 1
    assert result.stderr.startswith(moved_aside_message(paths, "file is not a database"))
    assert f"the history database {paths.history_db} is damaged or is not a calmcoach" in result.stderr
    assert paths.history_db.read_bytes() == GARBAGE


def test_the_full_check_still_runs_by_default(paths: Paths) -> None:
    damaged = damage_the_twitch_pages(paths.history_db)
    with pytest.raises(CalmcoachError, match="is damaged"):
        History.open(paths.history_db)
    History.open(paths.history_db, check=False).close()  # the header is fine: opening works
    assert paths.history_db.read_bytes() == damaged


def test_processes_racing_over_one_damaged_history_move_it_once_and_lose_nothing(paths: Paths) -> None:
    write_garbage(paths)
    racers = [
        subprocess.Popen(
            [*calmcoach_argv(), "log", "water"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    results = [(racer.wait(timeout=120), *racer.communicate()) for racer in racers]
    assert [code for code, _, _ in results] == [0, 0, 0, 0], results
    asides = sorted(paths.history_db.parent.glob("history.sqlite3.damaged-*"))
    assert [a.name for a in asides if not a.name.endswith(("-wal", "-shm"))] == [asides[0].name]
    assert asides[0].read_bytes() == GARBAGE  # moved once, never replaced by a newer file
    moved = [err for _, _, err in results if "; moved it to " in err]
    others = [err for _, _, err in results if "another calmcoach process has moved it aside" in err]
    assert len(moved) == 1, results
    assert len(moved) + len(others) + [err for _, _, err in results].count("") == 4, results
    with History.open(paths.history_db) as history:
        assert history.count("water") == 4  # every process's glass is in the new history
