"""Times at the edges: `--at` values a person cannot mean are refused with a clear message, and
the store writes every year with four digits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from calmcoach.errors import EXIT_USAGE
from calmcoach.history import History
from calmcoach.history.store import from_text, to_text
from tests.history.conftest import Run


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
