"""The service in process: the control commands' logic on a fake clock and fake outputs.

The lock, the socket, the scheduler and the state file are real; the schedule never fires during
these tests, so nothing depends on wall time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from calmcoach.errors import CalmcoachError, ScheduleError
from calmcoach.paths import Paths
from calmcoach.service.control import CommandError, ControlClient
from calmcoach.service.daemon import Service, ServiceOptions
from calmcoach.service.state import StateStore
from tests.service.conftest import far_from_now
from tests.service.fakes import FakeClock, FakeOutputs

SCHEDULE = """\
[settings]
timezone = "Europe/Berlin"

[[reminder]]
name = "water"
kind = "hydration"
at = ["{water_at}"]

[[reminder]]
name = "stretch"
kind = "stretch"
at = ["{stretch_at}"]
say = ["voice"]
"""
BERLIN = ZoneInfo("Europe/Berlin")
# The real scheduler plans the first runs from the real "now": times hours away never fire while
# a test runs (a fixed "03:33" did, when the suite ran across it).
WATER_AT = far_from_now(BERLIN)
SCHEDULE = SCHEDULE.format(
    water_at=WATER_AT, stretch_at=f"{datetime.now(BERLIN) + timedelta(hours=11):%H:%M}"
)
# 12:00 in Berlin (CEST, +02:00), on a day the real scheduler will not reach while the tests run:
# what the service computes from the fake clock (pauses, snoozes) stays in its future.
NOON = datetime(2099, 5, 6, 10, 0, tzinfo=UTC)


def by_name(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in status["reminders"]}


@pytest.fixture
def schedule(tmp_path: Path) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(SCHEDULE)
    return path


@pytest.fixture
def service(paths: Paths, schedule: Path) -> Iterator[Service]:
    outputs = FakeOutputs(works={"notification", "terminal"})
    svc = Service(
        paths, FakeClock(NOON), ServiceOptions(schedule_given=[schedule]), outputs_factory=lambda _: outputs
    )
    svc.start()
    yield svc
    svc.shutdown()


def test_status_lists_reminders_in_order_with_their_channels(service: Service) -> None:
    status = service.handle("status", {})
    # In the order of their next firings, which the scheduler works out from the real "now":
    # stretch (11 hours from now) comes before water (12 hours from now).
    names = [r["name"] for r in status["reminders"]]
    assert sorted(names) == ["stretch", "water"]
    nexts = [datetime.fromisoformat(r["next"]) for r in status["reminders"]]
    assert nexts == sorted(nexts)
    water = by_name(status)["water"]
    assert water["channels"] == ["notification"]
    # The first run comes from the scheduler's real "now": only the wall-clock time is fixed.
    assert datetime.fromisoformat(water["next"]).strftime("%H:%M") == WATER_AT
    assert status["timezone"] == "Europe/Berlin"
    assert status["paused"] is False
    assert status["channels"]["voice"]["ok"] is False
    assert status["channels"]["voice"]["reason"] == "broken in the test"
    assert status["reload_error"] is None


def test_pause_until_a_time_already_past_today_means_tomorrow(service: Service) -> None:
    result = service.handle("pause", {"until": "09:00"})
    assert result["paused_until"] == "2099-05-07T09:00:00+02:00"
    assert service.handle("pause", {"until": "14:30"})["paused_until"] == "2099-05-06T14:30:00+02:00"
    assert service.handle("status", {})["paused_until"] == "2099-05-06T14:30:00+02:00"


def test_pause_for_a_duration_and_resume(service: Service) -> None:
    assert service.handle("pause", {"duration": "1h30m"})["paused_until"] == "2099-05-06T13:30:00+02:00"
    assert service.handle("resume", {})["was_paused"] is True
    assert service.handle("status", {})["paused"] is False
    assert service.handle("resume", {})["was_paused"] is False


def test_pause_survives_a_restart(service: Service, paths: Paths) -> None:
    service.handle("pause", {})
    saved = StateStore(paths.state / "service.json").load()
    assert saved.pause is not None and saved.pause.until is None


@pytest.mark.parametrize(
    ("command", "args", "error"),
    [
        pytest.param("pause", {"duration": "soon"}, "expected a duration", id="pause-duration"),
        pytest.param("pause", {"duration": "0s"}, "longer than 0s", id="pause-zero"),
        pytest.param("pause", {"until": "25:00"}, "between 00:00 and 23:59", id="pause-until"),
        # Huge durations once overflowed datetime into an "internal error".
        pytest.param("pause", {"duration": "99999999h"}, "at most 366 days", id="pause-huge"),
        pytest.param("pause", {"duration": "367d"}, "expected a duration", id="pause-days-unit"),
        pytest.param(
            "snooze", {"name": "water", "duration": "9999999h"}, "at most 366 days", id="snooze-huge"
        ),
        pytest.param(
            "snooze", {"name": "coffee", "duration": "5m"}, "no reminder named 'coffee'", id="snooze-name"
        ),
        pytest.param(
            "snooze", {"name": "water", "duration": "later"}, "expected a duration", id="snooze-dur"
        ),
        pytest.param("trigger", {"name": ""}, "the reminders are: water, stretch", id="trigger-empty"),
        pytest.param("explode", {}, "unknown command 'explode'", id="unknown"),
    ],
)
def test_bad_requests_are_answered_with_an_error(
    service: Service, command: str, args: dict[str, str], error: str
) -> None:
    with pytest.raises(CommandError, match=error):
        service.handle(command, args)


def test_snooze_moves_the_next_run_and_is_kept(service: Service, paths: Paths) -> None:
    result = service.handle("snooze", {"name": "water", "duration": "20m"})
    assert result == {
        "name": "water",
        "until": "2099-05-06T12:20:00+02:00",
        "now": "2099-05-06T12:00:00+02:00",
    }
    water = by_name(service.handle("status", {}))["water"]
    assert water["next"] == "2099-05-06T12:20:00+02:00"
    assert water["snoozed_until"] == "2099-05-06T12:20:00+02:00"
    assert StateStore(paths.state / "service.json").load().snoozed == {
        "water": datetime(2099, 5, 6, 10, 20, tzinfo=UTC)
    }


def test_reload_keeps_the_schedule_when_invalid_and_takes_a_good_one(
    service: Service, schedule: Path
) -> None:
    service.handle("snooze", {"name": "water", "duration": "20m"})
    schedule.write_text(SCHEDULE.replace(f'at = ["{WATER_AT}"]', 'at = ["3 pm"]'))
    with pytest.raises(CommandError) as caught:
        service.handle("reload", {})
    assert any(f"{schedule}:7: reminder[1].at" in d for d in caught.value.details)
    status = service.handle("status", {})
    assert status["reload_error"]["errors"] == caught.value.details
    assert set(by_name(status)) == {"water", "stretch"}
    schedule.write_text(SCHEDULE.replace('name = "stretch"', 'name = "neck"'))
    assert service.handle("reload", {}) == {"reminders": 2, "files": [str(schedule)]}
    status = service.handle("status", {})
    assert status["reload_error"] is None
    assert {r["name"] for r in status["reminders"]} == {"water", "neck"}
    # The snooze of a reminder that is still there survives the reload.
    assert by_name(status)["water"]["next"] == "2099-05-06T12:20:00+02:00"


def test_the_control_socket_answers_the_same(service: Service, paths: Paths) -> None:
    answer = ControlClient(paths.control_socket).request("snooze", {"name": "nope", "duration": "1m"})
    assert answer["ok"] is False
    assert "no reminder named 'nope'" in answer["error"]


def test_a_second_service_in_the_same_folders_is_refused(
    service: Service, paths: Paths, schedule: Path
) -> None:
    second = Service(
        paths,
        FakeClock(NOON),
        ServiceOptions(schedule_given=[schedule]),
        outputs_factory=lambda _: FakeOutputs(),
    )
    with pytest.raises(CalmcoachError, match="already running"):
        second.start()
    assert ControlClient(paths.control_socket).request("status")["ok"]


def test_an_invalid_schedule_at_start_leaves_nothing_behind(paths: Paths, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[reminder]]\nname = 1\n")
    svc = Service(
        paths, FakeClock(NOON), ServiceOptions(schedule_given=[bad]), outputs_factory=lambda _: FakeOutputs()
    )
    with pytest.raises(ScheduleError):
        svc.start()
    assert not paths.control_socket.exists()
    # ...and the lock was released: a good start now works.
    good = tmp_path / "good.toml"
    good.write_text(SCHEDULE)
    again = Service(
        paths, FakeClock(NOON), ServiceOptions(schedule_given=[good]), outputs_factory=lambda _: FakeOutputs()
    )
    again.start()
    assert again.shutdown() is True


def test_shutdown_saves_closes_and_releases(service: Service, paths: Paths) -> None:
    outputs = service.outputs
    assert service.shutdown() is True
    assert isinstance(outputs, FakeOutputs) and outputs.closed
    assert not paths.control_socket.exists()
    assert (paths.state / "service.json").exists()
    assert service.shutdown() is True  # a second call (the fixture's) does nothing


def test_reload_hands_the_new_settings_to_the_outputs(service: Service, schedule: Path) -> None:
    schedule.write_text(
        SCHEDULE.replace('timezone = "Europe/Berlin"', 'timezone = "Europe/Berlin"\nvoice = { rate = 200 }')
    )
    service.handle("reload", {})
    assert isinstance(service.outputs, FakeOutputs)
    assert service.outputs.settings is not None and service.outputs.settings.voice.rate == 200


def test_a_restart_starts_each_trigger_from_its_saved_last_firing(paths: Paths, schedule: Path) -> None:
    from calmcoach.service.state import ServiceState

    fired = datetime(2099, 5, 6, 1, 33, tzinfo=UTC)
    StateStore(paths.state / "service.json").save(
        ServiceState().fired("water", fired, "hydration-muscle-water")
    )
    svc = Service(
        paths,
        FakeClock(NOON),
        ServiceOptions(schedule_given=[schedule]),
        outputs_factory=lambda _: FakeOutputs(),
    )
    svc.start()
    try:
        assert svc.scheduler.get_job("water").trigger.last_fired == fired
        assert svc.scheduler.get_job("stretch").trigger.last_fired is None
        assert svc.core is not None and svc.core.state.last_wording == {"water": "hydration-muscle-water"}
    finally:
        svc.shutdown()


def test_shutdown_waits_for_the_notification_in_flight_and_saves_it(paths: Paths, schedule: Path) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow(_: object) -> None:
        entered.set()
        release.wait(10)

    outputs = FakeOutputs(works={"notification"}, on_deliver=slow)
    # A long stop timeout: a loaded machine must not turn "waited" into "gave up".
    options = ServiceOptions(schedule_given=[schedule], stop_timeout_s=30.0)
    svc = Service(paths, FakeClock(NOON), options, outputs_factory=lambda _: outputs)
    svc.start()
    try:
        svc.handle("trigger", {"name": "water"})
        assert entered.wait(10), "the triggered delivery never started"
        results: list[bool] = []
        stopper = threading.Thread(target=lambda: results.append(svc.shutdown()))
        stopper.start()
        stopper.join(0.3)
        # Still waiting: shutdown must not close the outputs under a delivery in progress.
        assert stopper.is_alive()
        assert outputs.closed is False
        release.set()
        stopper.join(10)
        assert results == [True]
        assert len(outputs.delivered) == 1
        assert getattr(outputs, "closed") is True  # noqa: B009 - mypy narrowed it to False above
        assert "water" in StateStore(paths.state / "service.json").load().last_fired
    finally:
        release.set()
        svc.shutdown()
