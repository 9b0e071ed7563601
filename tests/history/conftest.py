"""Fixtures for the history tests: a schedule in the user's config folder, a clock that stands
still at a chosen instant, and a way to run `calmcoach` in process with that clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmcoach.context import Context
from calmcoach.paths import Paths
from tests.support import Cli, CliResult

BERLIN = ZoneInfo("Europe/Berlin")
# A Monday afternoon in May, far from any DST change.
NOON = datetime(2024, 5, 6, 14, 0, tzinfo=BERLIN)

SCHEDULE = """\
[settings]
timezone = "Europe/Berlin"
bedtime = "23:00"
water_goal = "2l"
caffeine_limit = "400mg"
caffeine_half_life = "5h"
drinks = { mate = { serving = "500ml", caffeine = "80mg" } }

[[reminder]]
name = "water"
kind = "hydration"
every = "45m"
between = "08:00-20:00"

[[reminder]]
name = "neck"
kind = "stretch"
at = ["11:00", "16:00"]
"""


@dataclass
class StillClock:
    """A clock that reads `at` until a test moves it."""

    at: datetime

    def now(self, tz: tzinfo | None = None) -> datetime:
        return self.at.astimezone(tz) if tz is not None else self.at

    def monotonic(self) -> float:
        return self.at.timestamp()


@pytest.fixture
def schedule_file(paths: Paths) -> Path:
    paths.config.mkdir(parents=True, exist_ok=True)
    path = paths.config / "schedule.toml"
    path.write_text(SCHEDULE, encoding="utf-8")
    return path


@pytest.fixture
def clock() -> StillClock:
    return StillClock(NOON)


class Run:
    """Runs `calmcoach ARGS...` in process at the clock's time, with the test schedule."""

    def __init__(self, cli: Cli, paths: Paths, clock: StillClock) -> None:
        self.cli, self.paths, self.clock = cli, paths, clock

    def __call__(self, *args: str) -> CliResult:
        return self.cli(list(args), Context(paths=self.paths, clock=self.clock))

    def ok(self, *args: str) -> str:
        """Run, assert success and nothing on stderr, and return stdout."""
        result = self(*args)
        assert (result.code, result.stderr) == (0, ""), result
        return result.stdout

    def at(self, when: datetime, *args: str) -> str:
        self.clock.at = when
        return self.ok(*args)


@pytest.fixture
def run(cli: Cli, paths: Paths, clock: StillClock, schedule_file: Path) -> Run:
    return Run(cli, paths, clock)


def lines(text: str) -> Sequence[str]:
    return text.strip().splitlines()
