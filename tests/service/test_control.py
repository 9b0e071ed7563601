"""The control protocol against a real socket: answers, size bound, malformed input, timeouts."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from calmcoach.errors import CalmcoachError
from calmcoach.service.control import (
    MAX_CLIENTS,
    MAX_MESSAGE,
    CommandError,
    ControlClient,
    ControlServer,
    ProtocolError,
    ServiceNotRunning,
    parse_request,
)
from tests.support import only_as_root


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, command: str, args: Mapping[str, Any]) -> dict[str, Any]:
        self.calls.append((command, dict(args)))
        if command == "fail":
            raise CommandError("the schedule is invalid", ["a.toml:3: every: bad"])
        if command == "crash":
            raise RuntimeError("boom")
        return {"echo": command, "args": dict(args)}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[ControlServer, Recorder]]:
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    handler = Recorder()
    srv = ControlServer(folder / "control.sock", handler, timeout_s=0.5)
    srv.start()
    yield srv, handler
    srv.close()


def raw_exchange(path: Path, payload: bytes, *, shut: bool = False) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5.0)
        sock.connect(str(path))
        sock.sendall(payload)
        if shut:
            sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
        return data


def test_request_and_answer(server: tuple[ControlServer, Recorder]) -> None:
    srv, handler = server
    answer = ControlClient(srv.path).request("snooze", {"name": "water", "duration": "20m"})
    assert answer == {"ok": True, "result": {"echo": "snooze", "args": {"name": "water", "duration": "20m"}}}
    assert handler.calls == [("snooze", {"name": "water", "duration": "20m"})]


def test_socket_is_0600(server: tuple[ControlServer, Recorder]) -> None:
    srv, _ = server
    assert stat.S_ISSOCK(srv.path.stat().st_mode)
    assert stat.S_IMODE(srv.path.stat().st_mode) == 0o600


def test_command_errors_carry_details(server: tuple[ControlServer, Recorder]) -> None:
    srv, _ = server
    answer = ControlClient(srv.path).request("fail")
    assert answer == {"ok": False, "error": "the schedule is invalid", "details": ["a.toml:3: every: bad"]}
    crash = ControlClient(srv.path).request("crash")
    assert crash["ok"] is False and "RuntimeError: boom" in crash["error"]
    assert ControlClient(srv.path).request("status")["ok"]  # still serving


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"{not json\n", id="not-json"),
        pytest.param(b"[1, 2]\n", id="not-object"),
        pytest.param(b'{"command": 3}\n', id="command-not-string"),
        pytest.param(b'{"command": "x", "args": []}\n', id="args-not-object"),
        pytest.param(b"\xff\xfe\n", id="not-utf8"),
    ],
)
def test_malformed_requests_are_refused_without_harm(
    server: tuple[ControlServer, Recorder], payload: bytes
) -> None:
    srv, handler = server
    answer = raw_exchange(srv.path, payload)
    assert answer.startswith(b'{"ok":false,"error":"malformed request')
    assert handler.calls == []
    assert ControlClient(srv.path).request("status")["ok"]


def test_oversized_request_is_refused(server: tuple[ControlServer, Recorder]) -> None:
    srv, handler = server
    big = b'{"command": "status", "pad": "' + b"x" * (MAX_MESSAGE + 10) + b'"}\n'
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5.0)
        sock.connect(str(srv.path))
        # The server may stop reading at the limit and close: also a refusal.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(big)
        answer = sock.recv(4096)
    assert answer == b"" or b"larger than" in answer
    assert handler.calls == []
    assert ControlClient(srv.path).request("status")["ok"]


def test_a_silent_client_times_out_and_others_are_served(server: tuple[ControlServer, Recorder]) -> None:
    srv, _ = server
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as slow:
        slow.connect(str(srv.path))
        slow.sendall(b'{"command": "sta')  # and then nothing
        assert ControlClient(srv.path).request("status")["ok"]  # a slow client does not block others
        slow.settimeout(5.0)
        assert b"timed out" in slow.recv(4096)


class SlowHandler:
    """Takes a while to answer, so that clients overlap and every slot is taken."""

    def __init__(self) -> None:
        self.answering = 0
        self.most = 0
        self._lock = threading.Lock()

    def __call__(self, command: str, args: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.answering += 1
            self.most = max(self.most, self.answering)
        time.sleep(0.05)
        with self._lock:
            self.answering -= 1
        return {"echo": command}


def test_more_clients_at_once_than_slots_are_all_answered(tmp_path: Path) -> None:
    # A few `calmcoach` commands at the same moment must all be answered: a connection beyond
    # MAX_CLIENTS waits for a slot instead of being told "busy" at once.
    handler = SlowHandler()
    srv = ControlServer(tmp_path / "control.sock", handler, timeout_s=30)
    srv.start()
    try:
        with ThreadPoolExecutor(3 * MAX_CLIENTS) as pool:
            answers = list(
                pool.map(lambda _: ControlClient(srv.path).request("status"), range(6 * MAX_CLIENTS))
            )
    finally:
        srv.close()
    assert [a for a in answers if not a["ok"]] == []
    assert handler.most == MAX_CLIENTS  # the slots were all in use, and never more


class BlockingHandler:
    """Answers only once released, so the requests it holds keep every slot taken."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)

    def __call__(self, command: str, args: Mapping[str, Any]) -> dict[str, Any]:
        self.entered.release()
        self.release.wait(60)
        return {"echo": command}


def test_when_every_slot_stays_taken_the_next_client_is_told_busy_after_the_wait(tmp_path: Path) -> None:
    handler = BlockingHandler()
    srv = ControlServer(tmp_path / "control.sock", handler, timeout_s=1.0)
    srv.start()
    try:
        with ThreadPoolExecutor(MAX_CLIENTS) as pool:
            held = [
                pool.submit(ControlClient(srv.path, timeout_s=60).request, "status")
                for _ in range(MAX_CLIENTS)
            ]
            for _ in range(MAX_CLIENTS):
                assert handler.entered.acquire(timeout=30)
            started = time.monotonic()
            answer = ControlClient(srv.path).request("status")
            waited = time.monotonic() - started
            handler.release.set()
            assert all(f.result(timeout=30)["ok"] for f in held)
    finally:
        handler.release.set()
        srv.close()
    assert answer == {"ok": False, "error": "busy: too many control connections"}
    assert waited >= 1.0  # it waited for a slot before giving up


def test_connection_closed_early(server: tuple[ControlServer, Recorder]) -> None:
    srv, handler = server
    assert b"closed before" in raw_exchange(srv.path, b'{"command"', shut=True)
    assert handler.calls == []


def test_parse_request_defaults_args() -> None:
    assert parse_request(b'{"command": "resume"}') == ("resume", {})
    with pytest.raises(ProtocolError):
        parse_request(b"")


def test_no_service_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ServiceNotRunning, match="calmcoach is not running") as caught:
        ControlClient(tmp_path / "control.sock").request("status")
    assert caught.value.exit_code == 1


def test_stale_socket_counts_as_not_running(tmp_path: Path) -> None:
    path = tmp_path / "control.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
        stale.bind(str(path))
    with pytest.raises(ServiceNotRunning):
        ControlClient(path).request("status")


def test_close_removes_the_socket(tmp_path: Path) -> None:
    srv = ControlServer(tmp_path / "control.sock", Recorder())
    srv.start()
    srv.close()
    assert not srv.path.exists()
    with pytest.raises(CalmcoachError):
        ControlClient(srv.path).request("status")


# Run as "nobody": connect, send a request (the server may already have refused and closed), read.
PEER_SCRIPT = """
import contextlib, os, socket, sys
os.setgid(65534)
os.setuid(65534)
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
with contextlib.suppress(BrokenPipeError, ConnectionResetError):
    s.sendall(b'{"command": "status"}\\n')
sys.stdout.write(s.recv(4096).decode())
"""


@only_as_root("only root can connect as another user to check SO_PEERCRED")
def test_a_peer_of_another_uid_is_refused_as_root() -> None:
    # Loosen every permission on purpose (a world-readable folder, a 0666 socket): SO_PEERCRED
    # must refuse the other user even when the file system would let them in.
    folder = Path(tempfile.mkdtemp(prefix="cc-peer-"))
    folder.chmod(0o755)
    handler = Recorder()
    srv = ControlServer(folder / "control.sock", handler)
    srv.start()
    try:
        srv.path.chmod(0o666)
        script = PEER_SCRIPT
        result = subprocess.run(
            [sys.executable, "-c", script, str(srv.path)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        srv.close()
        shutil.rmtree(folder, ignore_errors=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"ok": False, "error": "permission denied: another user's service"}
    assert handler.calls == []


def test_a_socket_path_too_long_is_a_clear_error(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 100)
    deep.mkdir()
    with pytest.raises(CalmcoachError, match="longer than Unix sockets allow"):
        ControlServer(deep / "control.sock", Recorder()).start()
