"""Fixtures for the fault tests: the real `calmcoach run` with a schedule that fires every few seconds."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from calmcoach.paths import Paths
from tests.service import conftest as service_conftest
from tests.service.conftest import (
    Running,
    calmcoach_argv,
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

    def run(
        every: str = "2s",
        say: str = "notification",
        env: dict[str, str] | None = None,
        prefix: Sequence[str] = (),
    ) -> Running:
        schedule = tmp_path / f"schedule-{len(started)}.toml"
        schedule.write_text(EVERY_2S.format(every=every, say=say))
        with pytest.MonkeyPatch.context() as patch:  # start_service spawns calmcoach_argv()
            patch.setattr(service_conftest, "calmcoach_argv", lambda: [*prefix, *calmcoach_argv()])
            running = start_service(paths, schedule, env=env)
        started.append(running)
        return running

    yield run
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(10)


NO_DAC_OVERRIDE = "-dac_override,-dac_read_search"


def without_root_powers() -> list[str]:
    """Return an argv prefix that runs a command without root's power to ignore file modes.

    Tests run as root here and in CI; root writes into a read-only folder unless it loses
    CAP_DAC_OVERRIDE, which `setpriv` drops for the command and everything it starts.
    """
    if os.geteuid() != 0:
        return []
    return ["setpriv", f"--bounding-set={NO_DAC_OVERRIDE}", f"--inh-caps={NO_DAC_OVERRIDE}"]
