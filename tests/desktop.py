"""A desktop for tests: a private session bus, a recording notification server, Xvfb with dunst.

Everything here starts real programs (dbus-daemon, tests/notification_server.py, Xvfb, dunst) and
stops them again; nothing is faked. The fixtures in tests/conftest.py build on these classes, and
tests that need a second, separate desktop (dunst, a bus they may kill) start their own.

Why the bus is set up the way it is (DESIGN section 4):
- dbus-python caches its session-bus connection per process, so a test process gets one bus for
  the whole run, at an address fixed before the first test (see `pytest_configure` in conftest).
- The bus configuration has no <servicedir>, so no notification daemon installed on the machine
  is auto-started when a test calls a name nobody owns: "no server" really means no server.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

NOTIFICATIONS = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
SERVER_SCRIPT = Path(__file__).with_name("notification_server.py")
STARTUP_TIMEOUT_S = 10.0

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <!-- No <servicedir> and no <standard_session_servicedirs/>: nothing is ever auto-started. -->
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

T = TypeVar("T")


class DesktopError(RuntimeError):
    """A test desktop program did not start or did not answer in time."""


def wait_until(condition: Callable[[], T | None], *, timeout: float, what: str, step: float = 0.01) -> T:
    """Given a condition returning a value or None, poll it until it gives a value; raise after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value is not None and value is not False:
            return value
        if time.monotonic() >= deadline:
            raise DesktopError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(step)


def read_line(stream: IO[str], *, timeout: float, what: str) -> str:
    """Given a child's stdout pipe, return its next line, or raise if none comes within timeout."""
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise DesktopError(f"timed out after {timeout:g} s waiting for {what}")
    line = stream.readline()
    if not line:
        raise DesktopError(f"{what}: the program exited before saying it was ready")
    return line.strip()


def die_with_parent() -> None:
    """In a child before exec: ask Linux to SIGTERM it when the test process dies.

    A test run killed hard (a CI timeout, SIGKILL) would otherwise leave its daemons behind.
    """
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def stop_process(process: subprocess.Popen[Any], *, timeout: float = 5.0) -> None:
    """Terminate a child we started and reap it; kill it if it does not go within timeout."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def dead_bus_address(directory: Path) -> str:
    """Return a D-Bus address whose socket file exists but where nothing listens (ECONNREFUSED)."""
    import socket

    path = directory / "dead-bus"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))  # bound, never listening: connect() is refused at once
    return f"unix:path={path}"


@dataclass
class PrivateBus:
    """A dbus-daemon of our own, listening on a socket in a folder we choose."""

    address: str
    socket_path: Path
    process: subprocess.Popen[str]

    @classmethod
    def start(cls, socket_path: Path) -> PrivateBus:
        """Given a socket path (short: unix sockets allow about 100 bytes), start a bus there."""
        socket_path.parent.mkdir(parents=True, exist_ok=True)
        config = socket_path.with_suffix(".conf")
        config.write_text(BUS_CONFIG.format(socket=socket_path), encoding="utf-8")
        process = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - tests fork from the main thread only
        )
        assert process.stdout is not None
        try:
            read_line(process.stdout, timeout=STARTUP_TIMEOUT_S, what="dbus-daemon's address")
        except DesktopError:
            stop_process(process)
            raise
        # Not the printed address: that one carries the daemon's guid, and libdbus refuses a bus
        # restarted at the same path when the guid differs (measured), which a test may do.
        return cls(address=f"unix:path={socket_path}", socket_path=socket_path, process=process)

    def stop(self) -> None:
        stop_process(self.process)
        with suppress(FileNotFoundError):
            self.socket_path.unlink()

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def env(self, base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
        """Return an environment (default: ours) whose session bus is this one, plus `extra`."""
        env = dict(os.environ if base is None else base)
        env["DBUS_SESSION_BUS_ADDRESS"] = self.address
        env.update(extra)
        return env

    def name_has_owner(self, name: str) -> bool:
        """Ask this bus whether `name` is owned right now (through jeepney, not dbus-python)."""
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        with open_dbus_connection(bus=self.address) as conn:
            reply = conn.send_and_get_reply(message_bus.NameHasOwner(name), timeout=STARTUP_TIMEOUT_S)
        return bool(reply.body[0])

    def wait_for_owner(self, name: str, *, owned: bool = True, timeout: float = STARTUP_TIMEOUT_S) -> None:
        state = "owned" if owned else "released"
        wait_until(lambda: self.name_has_owner(name) == owned, timeout=timeout, what=f"{name} to be {state}")

    def call(self, method: str, signature: str | None = None, body: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        """Call a method of the notification server on this bus and return its reply's body."""
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection
        from jeepney.wrappers import unwrap_msg

        server = DBusAddress(OBJECT_PATH, bus_name=NOTIFICATIONS, interface=NOTIFICATIONS)
        with open_dbus_connection(bus=self.address) as conn:
            reply = conn.send_and_get_reply(new_method_call(server, method, signature, body), timeout=5)
        result: tuple[Any, ...] = unwrap_msg(reply)
        return result


@dataclass(frozen=True)
class Received:
    """One Notify call as the recording server saw it."""

    app_name: str
    replaces_id: int
    app_icon: str
    summary: str
    body: str
    actions: list[str]
    hints: dict[str, Any]
    expire_timeout: int
    t: float


@dataclass
class RecordingServer:
    """tests/notification_server.py as a child process: owns the name, records every Notify.

    The record file keeps growing across restarts; `count()` gives a position, and `received`
    and `wait_for` take `since=` that position, so each test sees only its own notifications.
    """

    bus: PrivateBus
    record: Path
    name: str = "calmcoach-recorder"
    hang: str = "never"  # "notify": answer all but Notify; "all": answer nothing
    process: subprocess.Popen[str] | None = field(default=None, init=False)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> RecordingServer:
        if self.running:
            return self
        self.record.touch()
        argv = [sys.executable, str(SERVER_SCRIPT), "--record", str(self.record)]
        self.process = subprocess.Popen(
            [*argv, "--name", self.name, "--hang", self.hang],
            env=self.bus.env(),
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509
        )
        assert self.process.stdout is not None
        try:
            read_line(self.process.stdout, timeout=STARTUP_TIMEOUT_S, what="the notification server")
        except DesktopError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server and wait until the bus has released its name."""
        if self.process is None:
            return
        stop_process(self.process)
        self.process = None
        if self.bus.running:
            self.bus.wait_for_owner(NOTIFICATIONS, owned=False)

    def restart(self) -> RecordingServer:
        self.stop()
        return self.start()

    def __enter__(self) -> RecordingServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def count(self) -> int:
        """Return how many notifications were recorded so far (a position for `since=`)."""
        return len(self._lines())

    def received(self, *, since: int = 0) -> list[Received]:
        """Return the notifications recorded after position `since`, oldest first."""
        return [Received(**json.loads(line)) for line in self._lines()[since:]]

    def wait_for(self, count: int = 1, *, since: int = 0, timeout: float = 5.0) -> list[Received]:
        """Wait until at least `count` notifications arrived after `since`; return them all.

        Raise AssertionError with what did arrive when they do not come within `timeout`.
        """
        deadline = time.monotonic() + timeout
        while True:
            got = self.received(since=since)
            if len(got) >= count:
                return got
            if time.monotonic() >= deadline:
                raise AssertionError(f"expected {count} notification(s) within {timeout:g} s, got {got!r}")
            time.sleep(0.01)

    def _lines(self) -> list[str]:
        if not self.record.exists():
            return []
        text = self.record.read_text(encoding="utf-8")
        # Only whole lines: the server may be half-way through writing the last one.
        return text.splitlines()[: text.count("\n")]


@dataclass
class Notifications:
    """One test's view of the session's recording server: what arrived since the test began."""

    server: RecordingServer
    since: int

    def received(self) -> list[Received]:
        return self.server.received(since=self.since)

    def wait_for(self, count: int = 1, *, timeout: float = 5.0) -> list[Received]:
        return self.server.wait_for(count, since=self.since, timeout=timeout)

    def stop(self) -> None:
        """Stop the server (the fixture starts it again for the next test)."""
        self.server.stop()

    def start(self) -> None:
        self.server.start()


@contextmanager
def temporary_socket_dir(prefix: str = "calmcoach-") -> Iterator[Path]:
    """Yield a short folder under /tmp for sockets (pytest's tmp_path can exceed the 108-byte limit)."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class DunstDesktop:
    """A real notification daemon: dunst on an Xvfb screen, on a private bus of its own."""

    bus: PrivateBus
    xvfb: subprocess.Popen[str]
    dunst: subprocess.Popen[str]
    display: str

    @classmethod
    def start(cls, directory: Path) -> DunstDesktop:
        bus = PrivateBus.start(directory / "bus")
        xvfb: subprocess.Popen[str] | None = None
        try:
            # -displayfd: Xvfb picks a free display number and writes it once it accepts clients.
            xvfb = subprocess.Popen(
                ["Xvfb", "-displayfd", "1", "-screen", "0", "640x480x24", "-nolisten", "tcp"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                text=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509
            )
            assert xvfb.stdout is not None
            display = ":" + read_line(xvfb.stdout, timeout=STARTUP_TIMEOUT_S, what="Xvfb's display")
            config = directory / "dunstrc"
            # Keep notifications on screen long enough, and never merge or drop any.
            config.write_text("[global]\n    stack_duplicates = false\n", encoding="utf-8")
            dunst = subprocess.Popen(
                ["dunst", "-config", str(config)],
                env=bus.env(DISPLAY=display),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                text=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509
            )
            desktop = cls(bus=bus, xvfb=xvfb, dunst=dunst, display=display)
            bus.wait_for_owner(NOTIFICATIONS)
            return desktop
        except BaseException:
            if xvfb is not None:
                stop_process(xvfb)
            bus.stop()
            raise

    def stop(self) -> None:
        stop_process(self.dunst)
        stop_process(self.xvfb)
        self.bus.stop()

    def dunstctl(self, *args: str) -> str:
        result = subprocess.run(
            ["dunstctl", *args],
            env=self.bus.env(DISPLAY=self.display),
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return result.stdout

    def history(self) -> list[dict[str, Any]]:
        """Return dunst's notification history as plain dicts (summary, body, appname, ...).

        dunst moves a notification into its history when it is closed, so close all first.
        """
        self.dunstctl("close-all")
        data = json.loads(self.dunstctl("history"))
        entries: list[dict[str, Any]] = []
        for group in data["data"]:
            for item in group:
                entries.append({key: value.get("data") for key, value in item.items()})
        return entries
