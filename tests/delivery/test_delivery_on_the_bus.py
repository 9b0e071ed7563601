"""The Deliverer with the real notifier on the real test bus: fallback and recovery."""

from __future__ import annotations

import io

from calmcoach.outputs import Message
from calmcoach.outputs.delivery import Deliverer
from calmcoach.outputs.notify import PlyerNotifier
from calmcoach.outputs.terminal import TerminalDisplay
from calmcoach.schedule.model import Channel
from tests.delivery.fakes import FixedClock
from tests.desktop import Notifications


def test_notifications_fall_back_to_the_terminal_while_no_server_runs_then_recover(
    notifications: Notifications,
) -> None:
    terminal, lines = io.StringIO(), list[str]()
    deliverer = Deliverer(
        PlyerNotifier(timeout_bound_s=1.0), None, TerminalDisplay(terminal, clock=FixedClock()), lines.append
    )

    def send(number: int) -> list[str]:
        return deliverer.deliver(Message(f"Water {number}", "A glass now.", ""), [Channel.NOTIFICATION])

    assert send(1) == ["notification"]
    notifications.stop()
    assert send(2) == ["terminal"]
    assert send(3) == ["terminal"]
    notifications.start()
    assert send(4) == ["notification"]

    assert [n.summary for n in notifications.received()] == ["Water 1", "Water 4"]
    assert terminal.getvalue().splitlines() == ["09:05 Water 2: A glass now.", "09:05 Water 3: A glass now."]
    warnings = [line for line in lines if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "desktop notifications are not working: no notification server is running" in warnings[0]
    assert lines[-1] == "desktop notifications are working again"
