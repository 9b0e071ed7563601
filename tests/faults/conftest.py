"""Fixtures for the fault tests: the real `calmcoach run` with a schedule that fires every few seconds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from calmcoach.paths import Paths
from tests.service.conftest import (
    Running,
    short_runtime,  # noqa: F401 - a fixture, registered here too
    start_service,
)

EVERY_2S = """\
[settings]
timezone = "UTC"

[[reminder]]
name = "water"
kind = "hydration"
every = "{every}"
say = ["{say}"]
"""

Start = Callable[..., Running]


@pytest.fixture
def start(paths: Paths, tmp_path: Path) -> Iterator[Start]:
    """Start `calmcoach run` on a one-reminder schedule (`every`, `say`) with extra environment."""
    started: list[Running] = []

    def run(every: str = "2s", say: str = "notification", env: dict[str, str] | None = None) -> Running:
        schedule = tmp_path / f"schedule-{len(started)}.toml"
        schedule.write_text(EVERY_2S.format(every=every, say=say))
        running = start_service(paths, schedule, env=env)
        started.append(running)
        return running

    yield run
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(10)
