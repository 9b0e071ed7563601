"""Times at the edges: `--at` values a person cannot mean are refused with a clear message."""

from __future__ import annotations

import pytest

from calmcoach.errors import EXIT_USAGE
from calmcoach.history import History
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
