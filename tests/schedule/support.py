"""Helpers the schedule tests share."""

from __future__ import annotations

from tests.support import CliResult

# A reminder that is valid on its own, to put next to the line under test.
WATER = """
[[reminder]]
name = "water"
kind = "hydration"
every = "45m"
"""


def problem_lines(result: CliResult) -> list[str]:
    """Given a `check` run, return its problem lines (stderr without the closing count)."""
    return [line for line in result.stderr.splitlines() if not line.startswith("calmcoach: ")]


def assert_reported(result: CliResult, where: str, message: str) -> None:
    """Assert the run failed cleanly and reported `message` at `where` ("FILE:LINE: key")."""
    assert result.code == 1, result
    assert "Traceback" not in result.stderr
    lines = problem_lines(result)
    wanted = f"{where}: {message}"
    assert any(line.startswith(wanted) for line in lines), f"{wanted!r} not in:\n" + "\n".join(lines)
