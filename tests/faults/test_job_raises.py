"""A reminder job raises: the service logs it with its traceback and keeps running.

In process, on the real scheduler and the system clock, with outputs whose first delivery blows
up (a bug in an output or in composing a message would look the same to APScheduler). The next
firings are delivered, the control socket still answers, and the state saved before is kept.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from calmcoach.clock import SystemClock
from calmcoach.outputs import Message
from calmcoach.paths import Paths
from calmcoach.service.control import ControlClient
from calmcoach.service.daemon import Service, ServiceOptions
from tests.service.fakes import FakeOutputs

SCHEDULE = """\
[settings]
timezone = "UTC"

[[reminder]]
name = "water"
kind = "hydration"
every = "1s"
"""


def test_a_job_that_raises_is_logged_and_the_next_firings_still_arrive(
    paths: Paths, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    schedule = tmp_path / "s.toml"
    schedule.write_text(SCHEDULE)
    calls: list[str] = []

    def blow_up_once(message: Message) -> None:
        calls.append(message.title)
        if len(calls) == 1:
            raise RuntimeError("an output with a bug")

    outputs = FakeOutputs(works={"notification", "terminal"}, on_deliver=blow_up_once)
    options = ServiceOptions(schedule_given=[schedule], presence=False)
    service = Service(paths, SystemClock(), options, outputs_factory=lambda _: outputs)
    caplog.set_level(logging.ERROR, logger="apscheduler")
    service.start()
    try:
        deadline = time.monotonic() + 20
        while len(outputs.delivered) < 2:  # the first call raised before it was recorded
            assert time.monotonic() < deadline, f"only {len(outputs.delivered)} deliveries after the error"
            time.sleep(0.05)
        assert service.scheduler.running
        assert ControlClient(paths.control_socket).request("status")["ok"]
    finally:
        service.shutdown()
    raised = [r for r in caplog.records if r.exc_info and "an output with a bug" in str(r.exc_info[1])]
    assert len(raised) == 1, caplog.text
    assert raised[0].levelno == logging.ERROR and "water" in raised[0].getMessage()
    assert service.core is not None and "water" in service.core.state.last_fired
    assert "water" in json.loads((paths.state / "service.json").read_text())["last_fired"]
