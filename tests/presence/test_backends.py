"""The presence backends against real D-Bus services on private buses, driven by the test."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from calmcoach.presence.dnd import GnomeBanners, NotificationsInhibited, active_window, is_fullscreen
from calmcoach.presence.monitor import Monitor, choose
from calmcoach.presence.policy import Observation
from tests.desktop import PrivateBus, dead_bus_address, temporary_socket_dir, wait_until
from tests.presence.standins import IdleDesktop, LogindStandIn, StandIn

NOTIFICATIONS = "org.freedesktop.Notifications"


def environ(session: str | None, system: str, **extra: str) -> dict[str, str]:
    env = {"DBUS_SYSTEM_BUS_ADDRESS": system, "PATH": "/usr/bin:/bin", **extra}
    if session is not None:
        env["DBUS_SESSION_BUS_ADDRESS"] = session
    return env


def observe(monitor: Monitor) -> Observation:
    from datetime import UTC, datetime

    return monitor.observe(datetime.now(UTC))


def test_mutter_idle_time_is_read(session_bus: PrivateBus, tmp_path: Path) -> None:
    with IdleDesktop(session_bus.address) as desktop:
        desktop.leave(600)
        backends = choose(environ(session_bus.address, dead_bus_address(tmp_path)))
        try:
            assert backends.names()["idle"] == "mutter"
            assert backends.lock is None
            assert any("lock and sleep" in why for why in backends.missing)
            seen = observe(Monitor(backends))
            assert seen.idle is not None and 600 <= seen.idle.total_seconds() < 660
            desktop.touch()
            again = observe(Monitor(backends))
            assert again.idle is not None and again.idle.total_seconds() < 30
            assert "org.gnome.Mutter.IdleMonitor.GetIdletime" in desktop.calls
        finally:
            backends.close()


def test_the_screensaver_service_gives_idle_time_and_its_lock(
    session_bus: PrivateBus, tmp_path: Path
) -> None:
    with IdleDesktop(session_bus.address, mutter=False, screensaver=True) as desktop:
        backends = choose(environ(session_bus.address, dead_bus_address(tmp_path)))
        try:
            assert backends.names()["idle"] == "screensaver"
            monitor = Monitor(backends)
            assert observe(monitor).locked is False
            desktop.active = True
            desktop.leave(120)
            seen = observe(monitor)
            assert seen.locked is True
            assert seen.idle is not None and seen.idle.total_seconds() >= 120
        finally:
            backends.close()


def test_with_no_backend_it_says_why(tmp_path: Path) -> None:
    with temporary_socket_dir() as folder:
        bus = PrivateBus.start(folder / "bus")
        try:
            backends = choose(
                environ(bus.address, dead_bus_address(tmp_path), GSETTINGS_SCHEMA_DIR=str(tmp_path))
            )
        finally:
            bus.stop()
    assert backends.idle is None and backends.lock is None
    text = "; ".join(backends.missing)
    assert "idle time: no Mutter IdleMonitor, ScreenSaver service or xprintidle answered" in text
    assert "lock and sleep: no system bus at" in text


def test_a_hanging_idle_monitor_costs_at_most_its_timeout(session_bus: PrivateBus, tmp_path: Path) -> None:
    with IdleDesktop(session_bus.address) as desktop:
        desktop.hang = True
        started = time.monotonic()
        backends = choose(environ(session_bus.address, dead_bus_address(tmp_path)))
        took = time.monotonic() - started
        backends.close()
    assert backends.idle is None
    assert took < 5.0


def test_logind_lock_unlock_and_sleep(system_bus: PrivateBus, tmp_path: Path) -> None:
    with LogindStandIn(system_bus.address) as logind:
        backends = choose(environ(None, system_bus.address, XDG_RUNTIME_DIR=str(tmp_path)))
        try:
            assert backends.names()["lock"] == "logind"
            monitor = Monitor(backends)
            assert observe(monitor).locked is False
            logind.lock()
            wait_until(lambda: observe(monitor).locked, timeout=10, what="the lock to be seen")
            logind.unlock()
            wait_until(lambda: not observe(monitor).locked, timeout=10, what="the unlock to be seen")
            logind.sleep(True)
            wait_until(lambda: observe(monitor).asleep, timeout=10, what="the suspend to be seen")
            logind.sleep(False)
            wait_until(lambda: not observe(monitor).asleep, timeout=10, what="the resume to be seen")
            # A suspend too short to be observed is still reported once after the resume.
            logind.sleep(True)
            logind.sleep(False)
            wait_until(
                lambda: backends.lock is not None and backends.lock._resumed, timeout=10, what="the resume"
            )
            slept = observe(monitor)
            assert slept.asleep and slept.asleep_since is not None
            assert not observe(monitor).asleep
        finally:
            backends.close()


def test_logind_locked_hint_alone_is_enough(system_bus: PrivateBus, tmp_path: Path) -> None:
    """A screen locker sets LockedHint without anyone sending Lock; the watcher follows it.

    It is read once at start, then followed through logind's PropertiesChanged signal: the
    watcher never polls (an idle service must not wake every second), and each change is
    passed on to `on_change`, which wakes the presence watch.
    """
    with LogindStandIn(system_bus.address) as logind:
        logind.properties[("org.freedesktop.login1.Session", "LockedHint")] = ("b", True)
        backends = choose(environ(None, system_bus.address, XDG_RUNTIME_DIR=str(tmp_path)))
        changes: list[bool] = []
        try:
            assert backends.lock is not None
            backends.lock.on_change = lambda: changes.append(True)
            monitor = Monitor(backends)
            assert observe(monitor).locked is True
            logind.set_locked_hint(False)
            wait_until(lambda: not observe(monitor).locked, timeout=10, what="LockedHint false to be seen")
            assert changes, "on_change was not called"
            logind.set_locked_hint(True)
            wait_until(lambda: observe(monitor).locked, timeout=10, what="LockedHint true to be seen")
            # Only the first read asked for the property: every change came as a signal.
            assert logind.calls.count("org.freedesktop.DBus.Properties.Get") == 1, logind.calls
        finally:
            backends.close()


def test_the_notification_servers_inhibited_property_is_dnd() -> None:
    with temporary_socket_dir() as folder:
        bus = PrivateBus.start(folder / "bus")
        try:
            with StandIn(bus.address, [NOTIFICATIONS]) as server:
                from calmcoach.presence.dbus import Bus, BusError

                source = NotificationsInhibited(Bus(bus.address))
                with pytest.raises(BusError, match="UnknownProperty"):
                    source.busy()  # an older server: the monitor will not use this source
                server.properties[(NOTIFICATIONS, "Inhibited")] = ("b", True)
                assert source.busy() is True
                server.properties[(NOTIFICATIONS, "Inhibited")] = ("b", False)
                assert source.busy() is False
        finally:
            bus.stop()


def test_gnome_show_banners_off_is_dnd(monkeypatch: pytest.MonkeyPatch) -> None:
    source = GnomeBanners.find()
    assert source is not None, "gsettings is installed with the GNOME schemas on the test machine"
    # The keyfile backend keeps settings under the test's own XDG_CONFIG_HOME.
    monkeypatch.setenv("GSETTINGS_BACKEND", "keyfile")
    assert source.busy() is False
    subprocess.run(["gsettings", "set", *GnomeBanners.ARGV[1:], "false"], check=True, timeout=10)
    assert source.busy() is True


def test_full_screen_from_xprop_output() -> None:
    assert active_window("_NET_ACTIVE_WINDOW(WINDOW): window id # 0x2a00007\n") == "0x2a00007"
    assert active_window("_NET_ACTIVE_WINDOW(WINDOW): window id # 0x0\n") is None
    assert active_window("_NET_ACTIVE_WINDOW:  not found.\n") is None
    assert is_fullscreen("_NET_WM_STATE(ATOM) = _NET_WM_STATE_FOCUSED, _NET_WM_STATE_FULLSCREEN\n")
    assert not is_fullscreen("_NET_WM_STATE(ATOM) = _NET_WM_STATE_MAXIMIZED_VERT\n")
    assert not is_fullscreen("_NET_WM_STATE:  not found.\n")


def test_doctor_names_the_presence_backends(
    session_bus: PrivateBus, system_bus: PrivateBus, tmp_path: Path
) -> None:
    from calmcoach.diagnostics.presence import presence_check

    with IdleDesktop(session_bus.address), LogindStandIn(system_bus.address):
        check, facts = presence_check(environ(session_bus.address, system_bus.address))
    assert check.ok and check.needed_for is None
    assert check.detail.startswith("idle time from mutter, lock and sleep from logind, do-not-disturb from")
    assert check.fix is None
    assert (facts["idle"], facts["lock"]) == ("mutter", "logind")


def test_doctor_says_what_is_missing(tmp_path: Path) -> None:
    from calmcoach.diagnostics.presence import presence_check

    dead = dead_bus_address(tmp_path)
    check, facts = presence_check(environ(dead, dead, PATH="/nonexistent"))
    assert facts["idle"] is None and facts["lock"] is None
    assert check.fix is not None and "xprintidle" in check.fix
    assert any("lock and sleep" in why for why in facts["missing"])
