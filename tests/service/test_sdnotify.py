"""sd_notify: datagrams reach a socket we own, abstract addresses work, the watchdog interval."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from calmcoach.service.sdnotify import SdNotifier, socket_address, watchdog_interval


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        path = tmp_path / "notify.sock"
        sock.bind(str(path))
        sock.settimeout(2.0)
        yield sock, str(path)


def test_ready_sends_one_datagram_with_each_field_on_its_line(receiver: tuple[socket.socket, str]) -> None:
    sock, path = receiver
    notifier = SdNotifier({"NOTIFY_SOCKET": path})
    assert notifier.ready("3 reminders;\nnext water")
    lines = sock.recv(4096).decode().split("\n")
    assert lines[0] == "READY=1"
    assert lines[1] == "STATUS=3 reminders; next water"  # the newline cannot start a bogus field
    assert lines[2] == f"MAINPID={os.getpid()}"


def test_abstract_socket_written_with_an_at_sign() -> None:
    name = f"calmcoach-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2.0)
        assert SdNotifier({"NOTIFY_SOCKET": "@" + name}).ping()
        assert sock.recv(100) == b"WATCHDOG=1"
    assert socket_address("@x") == "\0x"
    assert socket_address("/run/x") == "/run/x"


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = SdNotifier({})
    assert not notifier.enabled
    assert not notifier.ready("x")


def test_a_vanished_socket_is_not_an_error(tmp_path: Path) -> None:
    notifier = SdNotifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    assert notifier.stopping() is False
    assert notifier.stopping() is False  # warned once, still no exception


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({"WATCHDOG_USEC": "2000000"}, timedelta(seconds=1), id="half"),
        pytest.param({"WATCHDOG_USEC": "0"}, None, id="zero"),
        pytest.param({}, None, id="unset"),
        pytest.param({"WATCHDOG_USEC": "soon"}, None, id="garbage"),
        pytest.param(
            {"WATCHDOG_USEC": "600", "WATCHDOG_PID": "42"}, timedelta(microseconds=300), id="our-pid"
        ),
        pytest.param({"WATCHDOG_USEC": "600", "WATCHDOG_PID": "43"}, None, id="other-pid"),
    ],
)
def test_watchdog_interval(env: dict[str, str], expected: timedelta | None) -> None:
    assert watchdog_interval(env, 42) == expected
