"""The service's answer to a return, in process: real scheduler and state, fake clock and outputs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach.outputs import Message
from calmcoach.paths import Paths
from calmcoach.presence.monitor import Backends
from calmcoach.presence.policy import Held, Return, State
from calmcoach.schedule.model import Channel, Kind
from calmcoach.service.daemon import Service, ServiceOptions
from tests.service.fakes import FakeClock, FakeOutputs

SCHEDULE = """\
[settings]
timezone = "UTC"

[[reminder]]
name = "water"
kind = "hydration"
every = "45m"

[[reminder]]
name = "neck"
kind = "stretch"
at = ["{neck_at}"]

[[reminder]]
name = "tip"
kind = "tip"
at = ["{tip_at}"]
"""
NOON = datetime(2099, 5, 6, 12, 0, tzinfo=UTC)  # never reached by the real scheduler in a test


def _nothing_answers() -> Backends:
    return Backends(missing=["idle time: none in this test", "lock and sleep: none in this test"])


@pytest.fixture
def service(
    paths: Paths, tmp_path: Path, short_runtime: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Service]:
    # The gate's watch thread would otherwise observe this machine's desktop (`monitor.choose`):
    # wherever one backend answers (gsettings' show-banners does on a bare Debian), the test's
    # `hold()` wakes that thread, its `tick()` sees the person here and releases everything held
    # (`Waiting.release`), and under load it does so before the assertions look: "waiting" was
    # []. With no backend the gate observes nothing (`_look` returns None): what waits changes
    # only through the test's own `_on_return`.
    monkeypatch.setattr("calmcoach.presence.monitor.choose", _nothing_answers)
    # Hours away from the real "now" when the service starts (not when the module was imported):
    # the real scheduler plans from it, and a fixed "03:33" fired on its own when the suite ran
    # across it.
    now = datetime.now(UTC)
    schedule = tmp_path / "s.toml"
    schedule.write_text(
        SCHEDULE.format(
            neck_at=f"{now + timedelta(hours=11):%H:%M}", tip_at=f"{now + timedelta(hours=12):%H:%M}"
        )
    )
    options = ServiceOptions(schedule_given=[schedule], presence_poll_s=60)
    svc = Service(paths, FakeClock(NOON), options, outputs_factory=lambda _: FakeOutputs())
    svc.start()
    yield svc
    svc.shutdown()


def test_a_return_restarts_every_timers_and_a_long_absence_counts_as_the_stretch(service: Service) -> None:
    assert service.presence is not None and service.book is not None and service.core is not None
    message = Message("t", "b", "s")
    for name, kind in (("neck", Kind.STRETCH), ("tip", Kind.TIP)):
        service.presence.hold(
            Held(name, kind, message, (Channel.NOTIFICATION,), NOON, NOON + timedelta(hours=1))
        )
    back = Return(NOON - timedelta(minutes=40), NOON, State.LOCKED)
    service._on_return(back)
    assert service.book.next_runs()["water"] == NOON + timedelta(minutes=45)
    assert service.presence.next_firing(
        service.core.schedule.reminders[0], service.core.schedule.settings, NOON + timedelta(minutes=45)
    ) == NOON + timedelta(minutes=90)
    assert service.core.state.last_fired["neck"] == NOON  # the absence was the stretch break
    assert "tip" not in service.core.state.last_fired
    assert service.presence.describe()["waiting"] == ["tip"]  # the stretch no longer waits


def test_status_shows_presence(service: Service) -> None:
    assert service.presence is not None
    service.presence.wait_chosen(10)
    presence = service.status()["presence"]
    assert set(presence) >= {"backends", "state", "waiting", "missing"}
    assert presence["backends"] != "choosing"
