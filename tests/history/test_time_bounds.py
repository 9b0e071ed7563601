"""Times at the edges: `--at` values a person cannot mean are refused with a clear message, the
store writes every year with four digits, and a row whose time cannot be read (left by an older
calmcoach or a damaged file) is left out with one warning instead of failing the command."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach.errors import EXIT_USAGE
from calmcoach.history import History
from calmcoach.history.store import from_text, to_text
from calmcoach.schedule.loader import load_text
from calmcoach.service.figures import HistoryFigures
from tests.history.conftest import NOON, Run

# What glibc's strftime("%Y...") wrote for the year 999: no leading zero, so the text sorted after
# every real time ("9" > "2") and the row counted as today's.
UNPADDED = "999-06-01T10:00:00.000000Z"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        pytest.param("0999-06-01T10:00Z", "is too long ago", id="year-999"),
        pytest.param("1999-12-31T23:59Z", "is too long ago", id="before-2000"),
        pytest.param("99999999h ago", "is out of range", id="ages-ago"),
        pytest.param("0001-01-01T00:00", "is out of range", id="year-1-local"),
        pytest.param("9999-12-31T23:59-12:00", "is out of range", id="year-10000-in-utc"),
    ],
)
def test_log_refuses_a_time_outside_the_bounds(run: Run, value: str, problem: str) -> None:
    result = run("log", "water", "--at", value)
    assert result.code == EXIT_USAGE, result
    assert result.stdout == ""
    assert result.stderr == (
        f"calmcoach log water: --at: {value!r} {problem}; "
        "expected a time from 2000-01-01 00:00 UTC up to now\n"
    )
    with History.open(run.paths.history_db) as history:
        assert history.count("water") == 0


def test_the_earliest_time_is_accepted(run: Run) -> None:
    assert run.ok("log", "water", "--at", "2000-01-01T00:00Z").startswith(
        "Logged 250 ml of water at Sat 01 Jan 01:00."
    )


def test_every_year_is_written_with_four_digits_and_sorts_in_time_order() -> None:
    early = datetime(999, 6, 1, 10, tzinfo=UTC)
    late = datetime(2024, 5, 6, 12, 30, tzinfo=UTC)
    assert to_text(early) == "0999-06-01T10:00:00.000000Z"
    assert to_text(late) == "2024-05-06T12:30:00.000000Z"  # what the files hold already
    assert to_text(early) < to_text(late)
    assert from_text(to_text(early)) == early


# -- a row whose time cannot be read ---------------------------------------------------------


@pytest.fixture
def warnings_said() -> Iterator[list[str]]:
    """The store's warnings, caught on its own logger (the service's log set-up may stop them
    from reaching the root logger, where pytest's caplog listens)."""
    said: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: said.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("calmcoach.history.store")
    logger.addHandler(handler)
    try:
        yield said
    finally:
        logger.removeHandler(handler)


def plant(db: Path, table: str = "water", at: str = UNPADDED) -> int:
    """Insert a 500 ml water row (in the undo journal too) with the given stored time, as an older
    calmcoach left it; return its id."""
    with contextlib.closing(sqlite3.connect(db)) as raw, raw:
        assert table == "water"
        row = raw.execute("INSERT INTO water (at, tz, ml) VALUES (?, 'Europe/Berlin', 500)", (at,)).lastrowid
        raw.execute("INSERT INTO journal (entry_type, entry_id) VALUES ('water', ?)", (row,))
    assert row is not None
    return row


@pytest.fixture
def planted(run: Run) -> int:
    run.ok("log", "water", "300ml", "--at", "09:00")
    return plant(run.paths.history_db)


def one_warning_about(said: list[str], row: int) -> None:
    assert len(said) == 1, said
    assert f"1 water row with a time that cannot be read (id {row})" in said[0]


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["today"], id="today"),
        pytest.param(["today", "--json"], id="today-json"),
        pytest.param(["stats"], id="stats"),
    ],
)
def test_views_leave_the_row_out_with_one_warning(
    run: Run, planted: int, warnings_said: list[str], command: list[str]
) -> None:
    out = run.ok(*command)
    assert "300" in out
    assert "800" not in out  # the planted 500 ml is not counted with the 300
    one_warning_about(warnings_said, planted)
    assert "left out" in warnings_said[0]


def test_export_leaves_the_row_out_with_one_warning(run: Run, planted: int, warnings_said: list[str]) -> None:
    out = run.ok("export", "--csv", "-")
    assert len(out.strip().splitlines()) == 2  # the header and the 300 ml
    assert UNPADDED not in out
    one_warning_about(warnings_said, planted)


def test_log_water_does_not_count_the_row_today(run: Run, planted: int, warnings_said: list[str]) -> None:
    assert run.ok("log", "water", "200ml").startswith("Logged 200 ml of water. Today: 500 ml of 2 l")
    one_warning_about(warnings_said, planted)


def test_undo_removes_the_row_and_says_so(run: Run, planted: int, warnings_said: list[str]) -> None:
    assert run.ok("log", "undo") == f"Removed 500 ml of water at an unreadable time ({UNPADDED!r}).\n"
    one_warning_about(warnings_said, planted)
    assert "removed all the same" in warnings_said[0]
    assert run.ok("log", "undo") == "Removed 300 ml of water at Mon 06 May 09:00.\n"
    with History.open(run.paths.history_db) as history:
        assert history.count("water") == 0


def test_a_well_shaped_but_impossible_time_is_left_out_too(run: Run, warnings_said: list[str]) -> None:
    run.ok("log", "water", "300ml", "--at", "09:00")
    row = plant(run.paths.history_db, at="2024-13-45T10:00:00.000000Z")  # sorts after today's
    assert "300 ml" in run.ok("today")
    one_warning_about(warnings_said, row)


HYDRATION = load_text(
    """
[settings]
timezone = "Europe/Berlin"

[[reminder]]
name = "water"
kind = "hydration"
every = "45m"
between = "08:00-20:00"
""",
    "hydration.toml",
)


def test_the_services_hydration_figures_skip_the_row(tmp_path: Path, warnings_said: list[str]) -> None:
    db = tmp_path / "history.sqlite3"
    with History.open(db) as history:
        history.log_water(300, NOON - timedelta(hours=1))
    row = plant(db)
    figures = HistoryFigures.open(db, now=lambda: NOON)
    assert figures is not None
    try:
        [reminder] = HYDRATION.reminders
        context = figures.context_for(reminder, HYDRATION, NOON)
    finally:
        figures.close()
    assert context == {"water_ml_today": 300, "last_drink_at": (NOON - timedelta(hours=1)).astimezone(UTC)}
    # MAX(at) and the day's total each met the row once.
    assert len(warnings_said) == 2
    assert all(f"(id {row})" in said for said in warnings_said)
