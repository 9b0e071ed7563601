"""The service in process when the wall clock jumps or the system's zone changes.

The clock is the test's own (wall time and monotonic time both set by the test), the scheduler is
real but paused (nothing fires; its jobs' next run times are what is checked), and the system
zone comes from an etc/localtime link in a folder of the test's (`ServiceOptions.zone_root`).
A zone change is found by the real inotify watch in the real serving loop.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calmcoach.paths import Paths
from calmcoach.planner import next_firing
from calmcoach.service.clockwatch import FolderWatch, Offset, WallTimer
from calmcoach.service.daemon import Service, ServiceOptions
from calmcoach.service.state import StateStore
from tests.desktop import wait_until
from tests.service.fakes import FakeOutputs

BERLIN = ZoneInfo("Europe/Berlin")
ATHENS = ZoneInfo("Europe/Athens")
ZONEINFO = Path("/usr/share/zoneinfo")

SET_BACK = """\
[settings]
timezone = "Europe/Berlin"

[[reminder]]
name = "water"
kind = "hydration"
every = "45m"
between = "09:00-18:00"

[[reminder]]
name = "tip"
kind = "tip"
at = "10:30"

[[reminder]]
name = "stretch"
kind = "stretch"
at = "16:00"
"""

FOLLOWS_THE_SYSTEM = """\
[[reminder]]
name = "tip"
kind = "tip"
at = "09:00"

[[reminder]]
name = "stretch"
kind = "stretch"
every = "50m"

[[reminder]]
name = "water"
kind = "hydration"
every = "45m"
between = "09:00-18:00"
"""


@dataclass
class SteppedClock:
    """Wall time and monotonic time, both moved by the test."""

    wall: datetime
    mono: float = 1000.0

    def now(self, tz: tzinfo | None = None) -> datetime:
        return self.wall.astimezone(tz) if tz is not None else self.wall.astimezone()

    def monotonic(self) -> float:
        return self.mono

    def step(self, seconds: float) -> None:
        """Let real time pass: both clocks move together."""
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


def local(zone: ZoneInfo, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def link_zone(root: Path, zone: str) -> None:
    """Point root/etc/localtime at a zone as timedatectl does: a new link renamed over the old."""
    etc = root / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    staging = etc / ".localtime.new"
    staging.unlink(missing_ok=True)
    staging.symlink_to(ZONEINFO / zone)
    staging.replace(etc / "localtime")


@pytest.fixture
def zone_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TZ", raising=False)  # $TZ would win over etc/localtime
    root = tmp_path / "root"
    link_zone(root, "Europe/Berlin")
    return root


def start(paths: Paths, tmp_path: Path, text: str, clock: SteppedClock, zone_root: Path) -> Service:
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(text)
    options = ServiceOptions(schedule_given=[schedule], presence=False, zone_root=zone_root)
    outputs = FakeOutputs(works={"notification", "terminal"})
    service = Service(paths, clock, options, outputs_factory=lambda _: outputs)
    service.start()
    service.scheduler.pause()  # nothing fires: the next run times are what the test looks at
    return service


@pytest.fixture
def running(paths: Paths, tmp_path: Path, zone_root: Path) -> Iterator[list[Service]]:
    started: list[Service] = []
    yield started
    for service in started:
        service.shutdown()


def runs(service: Service) -> dict[str, datetime | None]:
    assert service.book is not None
    return service.book.next_runs()


@contextlib.contextmanager
def serving(service: Service) -> Iterator[None]:
    """Run the service's serving loop (signals, the wall timer, the zone watch) in a thread."""
    thread = threading.Thread(target=service.serve, name="serve", daemon=True)
    thread.start()
    try:
        yield
    finally:
        service.request_stop()
        thread.join(10)
    assert not thread.is_alive()


def follows_athens(service: Service) -> None:
    wait_until(
        lambda: service.handle("status", {})["timezone"] == "Europe/Athens",
        timeout=10,
        what="the service to follow the new zone",
    )


def test_the_clock_set_back_keeps_every_and_snoozes_in_real_time_and_daily_times_once(
    paths: Paths,
    tmp_path: Path,
    zone_root: Path,
    running: list[Service],
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = SteppedClock(local(BERLIN, "2099-05-06 10:35"))
    service = start(paths, tmp_path, SET_BACK, clock, zone_root)
    running.append(service)
    # As at 10:35 after water and the tip fired at 10:30: water next at 11:15, the tip tomorrow.
    service.scheduler.modify_job("water", next_run_time=local(BERLIN, "2099-05-06 11:15"))
    service.scheduler.modify_job("tip", next_run_time=local(BERLIN, "2099-05-07 10:30"))
    snoozed = service.handle("snooze", {"name": "stretch", "duration": "20m"})
    assert datetime.fromisoformat(snoozed["until"]) == local(BERLIN, "2099-05-06 10:55")
    clock.step(2)
    clock.wall -= timedelta(minutes=50)  # set back: it reads 09:45:02
    with caplog.at_level(logging.INFO, logger="calmcoach.service"):
        jump = service.look_at_clock()
    assert jump == -3000
    assert "the wall clock was set back 50 min" in caplog.text
    after = runs(service)
    # 40 real minutes were left until water's next step, and 20 of the snooze: still so.
    assert after["water"] == local(BERLIN, "2099-05-06 10:25")
    assert after["stretch"] == local(BERLIN, "2099-05-06 10:05")
    assert after["tip"] == local(BERLIN, "2099-05-07 10:30")  # fired today: not again at 10:30
    assert service.core is not None
    assert service.core.state.snoozed["stretch"] == local(BERLIN, "2099-05-06 10:05")
    saved = StateStore(paths.state / "service.json").load()
    assert saved.snoozed["stretch"] == local(BERLIN, "2099-05-06 10:05")
    # The steps after water's moved one follow it, not the old ones.
    assert service.scheduler.get_job("water").trigger.get_next_fire_time(
        after["water"], clock.now(UTC)
    ) == local(BERLIN, "2099-05-06 11:10")
    # Forward (a resume, or the clock set ahead): nothing is moved; the scheduler catches up.
    clock.wall += timedelta(hours=2)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="calmcoach.service"):
        assert service.look_at_clock() == 7200
    assert "the wall clock moved 2 h forward" in caplog.text
    assert runs(service) == after
    # Time passing normally is no jump at all.
    clock.step(30)
    assert service.look_at_clock() == 0
    assert runs(service) == after


def test_a_new_system_zone_is_followed_without_a_burst_or_a_second_daily(
    paths: Paths,
    tmp_path: Path,
    zone_root: Path,
    running: list[Service],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # 09:05 in Berlin (10:05 in Athens); the tip fired at 09:00 Berlin.
    clock = SteppedClock(local(BERLIN, "2099-05-06 09:05"))
    service = start(paths, tmp_path, FOLLOWS_THE_SYSTEM, clock, zone_root)
    running.append(service)
    assert service.follows_system_zone
    assert service.handle("status", {})["timezone"] == "Europe/Berlin"
    assert service.core is not None
    service.core.update(lambda s: s.fired("tip", local(BERLIN, "2099-05-06 09:00")))
    stretch_next = local(BERLIN, "2099-05-06 09:10")
    service.scheduler.modify_job("tip", next_run_time=local(BERLIN, "2099-05-07 09:00"))
    service.scheduler.modify_job("stretch", next_run_time=stretch_next)
    service.scheduler.modify_job("water", next_run_time=local(BERLIN, "2099-05-06 09:45"))
    with serving(service), caplog.at_level(logging.INFO, logger="calmcoach.service"):
        link_zone(zone_root, "Europe/Athens")
        follows_athens(service)
    assert "the system time zone is now Europe/Athens (was Europe/Berlin)" in caplog.text
    after = runs(service)
    # It is 10:05 in Athens: today's 09:00 there came before the tip fired (10:00 Athens time),
    # so the next is tomorrow's, and none is delivered now.
    assert after["tip"] == local(ATHENS, "2099-05-07 09:00")
    # `every` reminders keep the real time left: stretch (no window) its next run; water's next
    # step (09:45 Berlin, 10:45 Athens) lies inside Athens' 09:00-18:00 window, so it stays,
    # where the window's own steps would have given 10:30 (see the last test).
    assert after["stretch"] == stretch_next
    assert after["water"] == local(ATHENS, "2099-05-06 10:45")
    assert all(moment is not None and moment > clock.now(UTC) for moment in after.values())


def test_a_zone_changed_in_two_steps_is_read_once_whole(
    paths: Paths,
    tmp_path: Path,
    zone_root: Path,
    running: list[Service],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # `ln -sf` removes etc/localtime, then makes the new link: reading in between would find no
    # zone (UTC) and say "the system time zone is now UTC" before the real change.
    clock = SteppedClock(local(BERLIN, "2099-05-06 09:05"))
    service = start(paths, tmp_path, FOLLOWS_THE_SYSTEM, clock, zone_root)
    running.append(service)
    with serving(service), caplog.at_level(logging.INFO, logger="calmcoach.service"):
        localtime = zone_root / "etc" / "localtime"
        localtime.unlink()
        time.sleep(0.05)  # the gap between ln's two steps, made wide enough to be seen
        localtime.symlink_to(ZONEINFO / "Europe/Athens")
        follows_athens(service)
    changes = [r.getMessage() for r in caplog.records if "the system time zone is now" in r.getMessage()]
    assert changes == ["the system time zone is now Europe/Athens (was Europe/Berlin): reminders follow it"]


def test_a_zone_named_in_the_schedule_is_kept_whatever_the_system_says(
    paths: Paths, tmp_path: Path, zone_root: Path, running: list[Service]
) -> None:
    clock = SteppedClock(local(BERLIN, "2099-05-06 09:05"))
    service = start(paths, tmp_path, SET_BACK, clock, zone_root)
    running.append(service)
    assert not service.follows_system_zone
    before = runs(service)
    link_zone(zone_root, "Europe/Athens")
    assert service.zone_changed() is False
    assert service.handle("status", {})["timezone"] == "Europe/Berlin"
    assert runs(service) == before


def test_the_kernel_notices_are_there_on_linux(tmp_path: Path) -> None:
    """CI runs Linux: the service must not silently fall back to waking every few seconds."""
    timer = WallTimer.open()
    watch = FolderWatch.open(tmp_path, frozenset({"localtime"}))
    try:
        assert timer is not None and watch is not None
        # Armed in the past, the wall timer fires at once: the instant has come.
        timer.arm(datetime.now(UTC).timestamp() - 1)
        wait_until(lambda: timer.read() is True, timeout=5, what="the wall timer")
        assert timer.read() is None  # read once
        (tmp_path / "other").write_text("x")
        assert watch.read() is False  # another name in the folder
        (tmp_path / "localtime").write_text("x")
        assert watch.read() is True
    finally:
        if timer is not None:
            timer.close()
        if watch is not None:
            watch.close()


def test_without_the_re_plan_water_would_step_from_the_window_in_athens() -> None:
    """What the re-plan changes: counted from Athens' 09:00, water's next step would be 10:30."""
    from calmcoach.schedule.loader import load_text

    schedule = load_text(FOLLOWS_THE_SYSTEM, "s.toml", default_zone=ATHENS)
    water = schedule.reminder("water")
    assert water is not None
    assert next_firing(water, schedule.settings, local(ATHENS, "2099-05-06 10:05")) == local(
        ATHENS, "2099-05-06 10:30"
    )


def test_an_offset_read_across_a_pause_of_the_thread_is_read_again() -> None:
    """Descheduled between the readings, the offset would show a jump that never happened."""
    wall = datetime(2099, 5, 6, 10, 0, tzinfo=UTC)

    class Paused:
        def __init__(self) -> None:
            self.readings = iter([10.0, 12.0, 12.0, 12.0])  # a 2 s pause in the first reading

        def now(self, tz: tzinfo | None = None) -> datetime:
            return wall

        def monotonic(self) -> float:
            return next(self.readings)

    assert Offset.read(Paused()).seconds == wall.timestamp() - 12.0


def test_a_close_during_an_arm_waits_for_it() -> None:
    """The scheduler's thread arms the timer while shutdown closes it on the main thread: the
    descriptor must still be open when timerfd_settime gets it (not closed, or reused meanwhile)."""
    import os

    read_end, write_end = os.pipe()
    os.close(write_end)
    seen_open: list[bool] = []

    class Libc:
        timer: WallTimer

        def timerfd_settime(self, fd: int, flags: int, new: object, old: object) -> int:
            closing = threading.Thread(target=self.timer.close)
            closing.start()
            closing.join(timeout=0.5)  # unguarded, the close is done long before this
            try:
                os.fstat(fd)
                seen_open.append(True)
            except OSError:
                seen_open.append(False)
            return 0

    libc = Libc()
    timer = libc.timer = WallTimer(libc, read_end)  # type: ignore[arg-type]
    try:
        timer.arm(datetime.now(UTC).timestamp() + 60)
    finally:
        timer.close()
    assert seen_open == [True]
    with pytest.raises(OSError):
        os.fstat(read_end)  # and the close did happen, once the arm was done
