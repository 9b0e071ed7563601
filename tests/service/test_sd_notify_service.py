"""The real `calmcoach run` speaks the sd_notify protocol to a datagram socket the test owns."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

from calmcoach.paths import Paths
from tests.service.conftest import start_service


def receive_until(sock: socket.socket, wanted: str, seen: list[str], timeout: float = 15.0) -> list[str]:
    """Collect datagrams into `seen` until one has the line `wanted`; return them all."""
    deadline = time.monotonic() + timeout
    while not any(wanted in message.split("\n") for message in seen):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {wanted!r} within {timeout:g} s; got {seen!r}")
        sock.settimeout(left)
        seen.append(sock.recv(4096).decode())
    return seen


def test_ready_watchdog_reloading_and_stopping(
    paths: Paths, schedule_file: Path, short_runtime: Path
) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        address = short_runtime / "notify.sock"
        sock.bind(str(address))
        env = {"NOTIFY_SOCKET": str(address), "WATCHDOG_USEC": "400000"}  # a ping every 0.2 s
        service = start_service(paths, schedule_file, env=env)
        try:
            seen: list[str] = []
            receive_until(sock, "READY=1", seen)
            ready = next(m for m in seen if "READY=1" in m.split("\n"))
            assert f"MAINPID={service.process.pid}" in ready.split("\n")
            assert "STATUS=2 reminders; next water at" in ready
            # Pings keep coming: wait for two after READY.
            pings = len([m for m in seen if m == "WATCHDOG=1"])
            while pings < 2:
                receive_until(sock, "WATCHDOG=1", seen := [])
                pings += 1
            service.process.send_signal(signal.SIGHUP)
            receive_until(sock, "RELOADING=1", seen := [])
            receive_until(sock, "READY=1", seen)  # READY=1 again once reloaded
            code, took = service.stop()
            receive_until(sock, "STOPPING=1", seen := [])
            assert (code, took < 2.0) == (0, True)
        finally:
            if service.process.poll() is None:
                service.process.kill()


def test_abstract_notify_socket(paths: Paths, schedule_file: Path) -> None:
    name = f"calmcoach-notify-{os.getpid()}-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        service = start_service(paths, schedule_file, env={"NOTIFY_SOCKET": "@" + name})
        try:
            receive_until(sock, "READY=1", [])
        finally:
            assert service.stop()[0] == 0
