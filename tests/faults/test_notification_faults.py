"""The notification server or the whole bus goes away under the running service, then comes back.

The real `calmcoach run` fires "water" every 2 s. While notifications cannot be delivered the
reminder goes to the terminal and a log line (one warning, not one per reminder); when the server
is back, notifications resume with one line saying so. The history keeps every delivery, with the
channel that carried it.
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime

from calmcoach.history import History
from calmcoach.paths import Paths
from tests.desktop import Notifications, PrivateBus, RecordingServer, temporary_socket_dir
from tests.faults.conftest import Start
from tests.service.conftest import Running

BROKEN = "desktop notifications are not working"
BACK = "desktop notifications are working again"
VIA_NOTIFICATION = "delivered water (hydration) via notification"
VIA_TERMINAL = "delivered water (hydration) via terminal"


def channels_in_history(paths: Paths) -> list[str]:
    with History.open(paths.history_db) as history:
        return [d.channel for d in history.deliveries(since=datetime(2000, 1, 1, tzinfo=UTC))]


def outage_and_recovery(service: Running, stop: object, start: object) -> str:
    """Deliver, break, deliver twice on the fallback, mend, deliver; return the log."""
    service.wait_log(VIA_NOTIFICATION)
    stop()  # type: ignore[operator]
    log = service.wait_log(VIA_TERMINAL, count=2, timeout=20)
    start()  # type: ignore[operator]
    log = service.wait_log(BACK, timeout=20)
    delivered_again = log.count(VIA_NOTIFICATION) + 1
    log = service.wait_log(VIA_NOTIFICATION, count=delivered_again, timeout=20)
    code, _ = service.stop(signal.SIGTERM)
    assert code == 0, log
    assert log.count(BROKEN) == 1, log  # one warning for the outage, not one per reminder
    assert log.count(BACK) == 1, log
    return service.log()


def test_the_notification_server_disappears_and_returns(
    notifications: Notifications, start: Start, paths: Paths
) -> None:
    service = start()
    notifications.wait_for(1, timeout=20)
    log = outage_and_recovery(service, notifications.stop, notifications.start)
    # Each reminder in the outage was still shown: its title and body went to the log.
    assert "WARNING " + BROKEN in log
    after = notifications.received()
    assert len(after) >= 2  # before and after the outage, on the real server
    channels = channels_in_history(paths)
    first_terminal = channels.index("terminal")
    assert "notification" in channels[:first_terminal]
    assert "notification" in channels[first_terminal:]
    assert len(channels) == log.count("delivered water (hydration) via")  # nothing lost


def test_the_bus_restarts_under_the_service(start: Start, paths: Paths) -> None:
    with temporary_socket_dir("cc-bus-") as folder:
        bus = PrivateBus.start(folder / "bus")
        server = RecordingServer(bus, folder / "received.jsonl").start()

        def bus_down() -> None:
            server.stop()
            bus.stop()

        def bus_up() -> None:
            nonlocal bus
            bus = PrivateBus.start(folder / "bus")  # the same address, a new daemon
            server.bus = bus
            server.start()

        try:
            service = start(env={"DBUS_SESSION_BUS_ADDRESS": bus.address})
            server.wait_for(1, timeout=20)
            before = server.count()
            log = outage_and_recovery(service, bus_down, bus_up)
            assert server.count() > before  # the new bus's server received reminders again
        finally:
            server.stop()
            bus.stop()
    assert "Traceback" not in log
    channels = channels_in_history(paths)
    assert channels.count("terminal") >= 2
    assert channels[-1] == "notification"
