"""The control socket: JSON lines over a Unix stream socket, one request and one answer per connection.

Request:  {"command": "snooze", "args": {"name": "water", "duration": "20m"}}\\n
Answer:   {"ok": true, "result": {...}}\\n   or   {"ok": false, "error": "...", "details": [...]}\\n

The socket is 0600 in a 0700 folder, and a peer of another uid is refused (SO_PEERCRED) even if
permissions were loosened. A request is at most MAX_MESSAGE bytes and must arrive within the
timeout; anything else is answered with an error and the connection closed, never a crash.

This module imports only the standard library: the control commands use the client, and must
start fast.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from calmcoach.errors import CalmcoachError

log = logging.getLogger(__name__)

MAX_MESSAGE = 64 * 1024
TIMEOUT_S = 5.0
MAX_SOCKET_PATH = 108  # sun_path in struct sockaddr_un on Linux, with its terminating NUL
MAX_CLIENTS = 8  # connections served at once, so a flood cannot pile up threads

JsonObject = dict[str, Any]
Handler = Callable[[str, Mapping[str, Any]], JsonObject]


class ProtocolError(Exception):
    """A request we will not act on: too large, too slow, not JSON, not an object."""


class CommandError(Exception):
    """Raised by a handler to answer ok=false with a message (and optional details, one per line)."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


class ServiceNotRunning(CalmcoachError):
    pass


def encode(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def read_line(sock: socket.socket, limit: int = MAX_MESSAGE) -> bytes:
    """Given a connected socket with a timeout, return one line (without its newline).

    Raise ProtocolError when the peer sends more than `limit` bytes before a newline, closes
    early, or is too slow (the socket's timeout applies to each read).
    """
    data = bytearray()
    while True:
        try:
            chunk = sock.recv(min(4096, limit + 1 - len(data)))
        except TimeoutError:
            raise ProtocolError("timed out waiting for a complete line") from None
        if not chunk:
            raise ProtocolError("connection closed before a complete line")
        data += chunk
        end = data.find(b"\n")
        if end >= 0:
            if end > limit:
                raise ProtocolError(f"message larger than {limit} bytes")
            return bytes(data[:end])
        if len(data) > limit:
            raise ProtocolError(f"message larger than {limit} bytes")


def parse_request(line: bytes) -> tuple[str, JsonObject]:
    """Given one request line, return (command, args); raise ProtocolError when malformed."""
    try:
        message = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProtocolError(f"malformed request: {error}") from None
    if not isinstance(message, dict) or not isinstance(message.get("command"), str):
        raise ProtocolError('malformed request: expected an object with a "command" string')
    args = message.get("args", {})
    if not isinstance(args, dict):
        raise ProtocolError('malformed request: "args" must be an object')
    return message["command"], args


def peer_uid(conn: socket.socket) -> int:
    """Given an accepted Unix socket, return the uid of the process at the other end."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


class ControlServer:
    """Listens on the control socket in a thread and answers each request through `handler`."""

    def __init__(self, path: Path, handler: Handler, *, timeout_s: float = TIMEOUT_S) -> None:
        self.path = path
        self.handler = handler
        self.timeout_s = timeout_s
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)
        self._closing = threading.Event()

    def start(self) -> None:
        """Bind the socket (0600, via a private name then a rename) and start serving."""
        if len(os.fsencode(self.path)) >= MAX_SOCKET_PATH:
            raise CalmcoachError(
                f"the control socket path {self.path} is longer than Unix sockets allow "
                f"({MAX_SOCKET_PATH - 1} bytes); set XDG_RUNTIME_DIR to a shorter folder"
            )
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        # A staging name no longer than the real one, so that it fits wherever the real one does.
        staging = self.path.with_name(f".{os.getpid() % 10**8}.sock")
        with contextlib.suppress(FileNotFoundError):
            staging.unlink()
        sock.bind(str(staging))
        staging.chmod(0o600)
        staging.replace(self.path)  # only a 0600 socket ever appears under the real name
        sock.listen(16)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name="control", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop accepting, remove the socket file; requests being answered finish on their own."""
        self._closing.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        if self._thread is not None:
            self._thread.join(timeout=1.0)

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._closing.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError as error:
                if self._closing.is_set():
                    return
                if error.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    log.warning("control socket: %s", error)
                    self._closing.wait(0.1)
                    continue
                log.error("control socket stopped: %s", error)
                return
            if not self._wait_for_slot():
                if self._closing.is_set():
                    conn.close()
                    return
                with conn:
                    self._send(conn, {"ok": False, "error": "busy: too many control connections"})
                continue
            threading.Thread(
                target=self._answer_then_release, args=(conn,), name="control-client", daemon=True
            ).start()

    def _wait_for_slot(self) -> bool:
        """Wait for an answering slot up to the request timeout; give up at once when closing.

        A connection beyond MAX_CLIENTS waits here (and the next ones in the listen queue, their
        connect() blocking) before it is told "busy": honest requests take milliseconds, so a few
        `calmcoach` commands at the same moment are all answered, and only clients holding every
        slot (slow or hostile, each cut off after the timeout) can make the others wait in vain.
        """
        deadline = time.monotonic() + self.timeout_s
        while not self._closing.is_set():
            if self._slots.acquire(timeout=min(0.1, max(0.0, deadline - time.monotonic()))):
                return True
            if time.monotonic() >= deadline:
                return False
        return False

    def _answer_then_release(self, conn: socket.socket) -> None:
        try:
            with conn:
                self._answer(conn)
        finally:
            self._slots.release()

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(self.timeout_s)
        uid = peer_uid(conn)
        if uid != os.getuid():
            log.warning("control socket: refused a connection from uid %d", uid)
            self._send(conn, {"ok": False, "error": "permission denied: another user's service"})
            return
        try:
            command, args = parse_request(read_line(conn))
        except ProtocolError as error:
            log.warning("control socket: %s", error)
            self._send(conn, {"ok": False, "error": str(error)})
            return
        self._send(conn, self._dispatch(command, args))

    def _dispatch(self, command: str, args: Mapping[str, Any]) -> JsonObject:
        try:
            return {"ok": True, "result": self.handler(command, args)}
        except CommandError as error:
            return {"ok": False, "error": str(error), "details": error.details}
        except Exception as error:  # a bug in a handler must not take the service down
            log.exception("control command %r failed", command)
            return {"ok": False, "error": f"internal error: {type(error).__name__}: {error}"}

    @staticmethod
    def _send(conn: socket.socket, message: Mapping[str, Any]) -> None:
        with contextlib.suppress(OSError):  # the client may have gone; nothing to tell it then
            conn.sendall(encode(message))


class ControlClient:
    """Sends one command to the running service and returns its result."""

    def __init__(self, path: Path, *, timeout_s: float = TIMEOUT_S) -> None:
        self.path = path
        self.timeout_s = timeout_s

    def request(self, command: str, args: Mapping[str, Any] | None = None) -> JsonObject:
        """Given a command and its arguments, return the service's answer (with "ok").

        Raise ServiceNotRunning when nothing listens, CalmcoachError when the answer is unusable.
        """
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as sock:
            sock.settimeout(self.timeout_s)
            try:
                self._connect(sock)
            except (FileNotFoundError, ConnectionRefusedError):
                raise ServiceNotRunning(
                    f"calmcoach is not running (nothing answers on {self.path}); "
                    "start it with `calmcoach run` or `systemctl --user start calmcoach`"
                ) from None
            except OSError as error:
                raise CalmcoachError(f"cannot reach the calmcoach service at {self.path}: {error}") from None
            try:
                # A service that refuses (busy, another user) answers and closes at once; its
                # answer still waits to be read when sending fails.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    sock.sendall(encode({"command": command, "args": dict(args or {})}))
                answer = json.loads(read_line(sock, limit=16 * MAX_MESSAGE))
            except (OSError, ProtocolError, ValueError) as error:
                raise CalmcoachError(f"the calmcoach service did not answer properly: {error}") from None
        if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
            raise CalmcoachError(f"the calmcoach service sent an unexpected answer: {answer!r}")
        return answer

    def _connect(self, sock: socket.socket) -> None:
        """Connect, waiting while the service's listen queue is full (up to the timeout).

        A Unix socket with a timeout answers a full queue with EAGAIN at once instead of waiting:
        32 clients at the same moment had some fail with "Resource temporarily unavailable".
        """
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                sock.connect(str(self.path))
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.005)
