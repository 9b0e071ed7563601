"""PlyerNotifier against a real private bus and a server that records what it receives.

In-process tests use the session's bus (tests/conftest.py); the failure cases that need another
bus (dead, absent, restarted) run the notifier in a subprocess, because dbus-python keeps one
connection per process.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from calmcoach.errors import DeliveryError
from calmcoach.outputs.notify import PlyerNotifier, escape_markup, expire_timeout_seconds
from tests.delivery.support import NotifierProcess
from tests.desktop import (
    Notifications,
    PrivateBus,
    RecordingServer,
    dead_bus_address,
    temporary_socket_dir,
)

# Generous: these catch "blocked for 25 s", not milliseconds.
SLACK_S = 1.5


def test_title_body_app_name_and_timeout_arrive(notifications: Notifications) -> None:
    PlyerNotifier().notify("Drink some water", "A glass now keeps the cramps away", timeout_s=7)

    [got] = notifications.wait_for(1)
    assert got.app_name == "calmcoach"
    assert got.summary == "Drink some water"
    assert got.body == "A glass now keeps the cramps away"
    assert got.expire_timeout == 7000


def test_body_markup_is_escaped_and_summary_is_sent_as_plain_text(notifications: Notifications) -> None:
    PlyerNotifier().notify("Tom & Jerry <3", "<b>bold</b> & <a href='x'>link</a>", timeout_s=3)

    [got] = notifications.wait_for(1)
    assert got.body == "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;a href='x'&gt;link&lt;/a&gt;"
    # The summary is plain text per the spec; servers escape it themselves (see test_dunst.py).
    assert got.summary == "Tom & Jerry <3"


def test_several_notifications_arrive_in_order(notifications: Notifications) -> None:
    notifier = PlyerNotifier()
    for number in range(3):
        notifier.notify(f"reminder {number}", "body", timeout_s=5)

    assert [n.summary for n in notifications.wait_for(3)] == ["reminder 0", "reminder 1", "reminder 2"]


@pytest.mark.parametrize(
    ("seconds", "sent"),
    [
        pytest.param(2.4, 2, id="rounded"),
        pytest.param(0.2, 1, id="at-least-one-second"),
        pytest.param(0, 0, id="zero-never-expires"),
    ],
)
def test_timeouts_are_whole_seconds_because_plyer_multiplies_into_an_int32(seconds: float, sent: int) -> None:
    assert expire_timeout_seconds(seconds) == sent


def test_escape_markup_escapes_the_three_markup_characters() -> None:
    assert escape_markup("a & b < c > d \"e\" 'f'") == "a &amp; b &lt; c &gt; d \"e\" 'f'"


def test_backend_is_dbus_python_here() -> None:
    assert PlyerNotifier().backend() == "dbus"


def test_check_and_server_information_name_the_recorder(notifications: Notifications) -> None:
    notifier = PlyerNotifier()
    assert notifier.check() is None
    info = notifier.server_information()
    assert (info.name, info.vendor, info.version, info.spec_version) == (
        "calmcoach-recorder",
        "calmcoach tests",
        "1.0",
        "1.2",
    )


def test_no_server_on_the_bus_is_a_delivery_error_with_the_reason(notifications: Notifications) -> None:
    notifications.stop()
    notifier = PlyerNotifier(timeout_bound_s=2.0)

    started = time.monotonic()
    with pytest.raises(DeliveryError, match="no notification server is running on the session bus"):
        notifier.notify("nobody listens", "body")
    assert time.monotonic() - started < 2.0
    assert "no notification server is running" in (notifier.check() or "")


@pytest.fixture
def hanging_server(
    notifications: Notifications, session_bus: PrivateBus, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[RecordingServer]:
    """A server that owns the name and never answers (param: "all", or "notify" only)."""
    notifications.stop()
    hang = getattr(request, "param", "all")
    server = RecordingServer(session_bus, tmp_path / "hung.jsonl", hang=hang)
    with server:
        yield server


@pytest.mark.parametrize("hanging_server", ["all", "notify"], indirect=True)
def test_a_server_that_never_answers_is_bounded_and_not_asked_again_while_stuck(
    hanging_server: RecordingServer,
) -> None:
    notifier = PlyerNotifier(timeout_bound_s=0.5)

    started = time.monotonic()
    with pytest.raises(DeliveryError, match=r"the notification server did not answer within 0.5 s"):
        notifier.notify("stuck", "body")
    assert time.monotonic() - started < 0.5 + SLACK_S

    # The first call is still waiting in its worker thread: the next one fails at once.
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="has not answered an earlier call"):
        notifier.notify("stuck again", "body")
    assert time.monotonic() - started < SLACK_S

    # When the server goes away, the bus answers the stuck call with an error, and the notifier
    # is free again: it reports the new reason instead of "stuck".
    hanging_server.stop()
    assert "no notification server is running" in first_answer_when_free(notifier)


def first_answer_when_free(notifier: PlyerNotifier, *, within_s: float = 5.0) -> str:
    """Notify, retrying while an earlier call is still stuck; return the error ("" if it worked)."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            notifier.notify("after", "body")
        except DeliveryError as error:
            if "earlier call" in error.message and time.monotonic() < deadline:
                time.sleep(0.02)
                continue
            return error.message
        return ""


def test_check_is_bounded_when_the_server_never_answers(hanging_server: RecordingServer) -> None:
    notifier = PlyerNotifier(timeout_bound_s=0.5)

    started = time.monotonic()
    reason = notifier.check()
    assert reason is not None
    assert "did not answer" in reason
    assert time.monotonic() - started < 0.5 + SLACK_S


def test_a_dead_bus_fails_fast_with_the_reason(tmp_path: Path) -> None:
    address = dead_bus_address(tmp_path)
    with NotifierProcess({"DBUS_SESSION_BUS_ADDRESS": address, "PATH": "/usr/bin:/bin"}) as driver:
        sent = driver.notify("hello", "body")
        checked = driver.ask({"check": True})

    assert not sent["ok"]
    assert "cannot connect to the session bus" in sent["error"]
    assert "Connection refused" in sent["error"]
    assert sent["elapsed"] < 2.0
    assert checked["value"] == f"cannot connect to the session bus at {address}: Connection refused"


def test_no_bus_address_at_all_says_so(tmp_path: Path) -> None:
    # No DBUS_SESSION_BUS_ADDRESS, no $XDG_RUNTIME_DIR/bus and no DISPLAY to autolaunch one.
    env = {"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(tmp_path)}
    with NotifierProcess(env) as driver:
        sent = driver.notify("hello", "body")
        checked = driver.ask({"check": True})

    assert not sent["ok"]
    assert "no session bus is configured" in sent["error"]
    assert checked["value"] == "no session bus: DBUS_SESSION_BUS_ADDRESS is not set"


def test_a_bus_that_accepts_but_never_answers_is_bounded(tmp_path: Path) -> None:
    import socket

    with temporary_socket_dir() as directory, socket.socket(socket.AF_UNIX) as silent:
        silent.bind(str(directory / "bus"))
        silent.listen()  # accepts connections in the kernel; never reads or answers
        env = {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={directory / 'bus'}", "PATH": "/usr/bin:/bin"}
        with NotifierProcess(env, bound_s=0.5) as driver:
            sent = driver.notify("hello", "body")
            checked = driver.ask({"check": True})

    assert sent["error"] == "the notification server did not answer within 0.5 s"
    assert sent["elapsed"] < 0.5 + SLACK_S
    assert "did not answer within 0.5 s" in checked["value"]
    assert checked["elapsed"] < 0.5 + SLACK_S


def test_notifications_recover_when_the_bus_comes_back(tmp_path: Path) -> None:
    with temporary_socket_dir() as directory, ExitStack() as cleanup:
        socket_path = directory / "bus"
        server = RecordingServer(PrivateBus.start(socket_path), tmp_path / "received.jsonl")

        @cleanup.callback
        def stop_all() -> None:  # the bus is replaced below: stop whichever runs at the end
            server.stop()
            server.bus.stop()

        bus = server.start().bus
        driver = cleanup.enter_context(NotifierProcess(bus.env()))

        before = driver.notify("before", "body")
        server.stop()
        bus.stop()
        down = driver.notify("while down", "body")
        bus = server.bus = PrivateBus.start(socket_path)
        server.start()
        after = driver.notify("after", "body")

    assert before["ok"], before
    assert "the session bus closed the connection" in down["error"]
    assert after["ok"], after
    assert [n.summary for n in server.received()] == ["before", "after"]


def test_without_dbus_python_plyer_uses_notify_send_which_ignores_the_timeout(
    notifications: Notifications,
) -> None:
    import os

    with NotifierProcess(dict(os.environ), hide_dbus=True) as driver:
        backend = driver.ask({"backend": True})
        sent = driver.notify("via notify-send", "a & b", 7)
        info = driver.ask({"info": True})

    assert backend["value"] == "notify-send"
    assert sent["ok"]
    [got] = notifications.wait_for(1)
    assert (got.app_name, got.summary, got.body) == ("calmcoach", "via notify-send", "a &amp; b")
    assert got.expire_timeout == 0  # plyer passes "-t 0" whatever we ask: never expires
    # Without dbus-python the server is still found (the check asks through jeepney).
    assert info["value"]["name"] == "calmcoach-recorder"


def test_without_dbus_python_failures_go_unnoticed(tmp_path: Path) -> None:
    env = {"DBUS_SESSION_BUS_ADDRESS": dead_bus_address(tmp_path), "PATH": "/usr/bin:/bin"}
    with NotifierProcess(env, hide_dbus=True) as driver:
        sent = driver.notify("into the void", "body")
        checked = driver.ask({"check": True})

    assert sent["ok"]  # notify-send failed, and plyer did not tell us: doctor warns about this
    assert "cannot connect to the session bus" in checked["value"]
