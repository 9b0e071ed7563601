"""Desktop notifications through plyer, over the D-Bus session bus, never blocking for long.

What we measured about plyer 2.1 on Linux (DESIGN section 4, and the tests in tests/delivery/):
- It picks its backend once per process: dbus-python if importable (raises on failure, honours
  the timeout), else `notify-send` (never reports a failure, and sends expire_timeout 0, "never
  expire", whatever timeout we ask for), else a stub that raises NotImplementedError.
- The dbus backend multiplies the timeout by 1000 into an int32: a float makes dbus-python raise
  TypeError, so we pass whole seconds.
- A notification server that owns the name but never answers keeps dbus-python waiting for its
  default 25 s. So every call runs in a worker thread that we wait for only `timeout_bound_s`.
- dbus-python keeps its shared session-bus connection after the bus died; we close it when it is
  no longer connected, so that the next notification connects afresh.
- The spec's summary is plain text (dunst 1.9 and GNOME escape it themselves: escaping it again
  would show "&amp;"), while the body may be markup: only the body is escaped.

plyer and dbus-python are imported inside functions: the CLI must start fast, and the service
loads them only for its first notification (its start-up check asks the server through jeepney),
a few seconds ahead of it (`warm`), so that loading them does not make that notification late.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from calmcoach.errors import DeliveryError

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"

# plyer's backend classes, by the name we report.
PLYER_BACKENDS = {
    "NotifyDbus": "dbus",
    "NotifySendNotification": "notify-send",
    "NotifyDesktopPortals": "portal",
}
# Backends through which plyer cannot tell us that a notification was not shown.
BLIND_BACKENDS = frozenset({"notify-send", "portal"})

# D-Bus error names, in words a person can act on.
DBUS_ERRORS = {
    "org.freedesktop.DBus.Error.ServiceUnknown": "no notification server is running on the session bus",
    "org.freedesktop.DBus.Error.NameHasNoOwner": "no notification server is running on the session bus",
    "org.freedesktop.DBus.Error.NoReply": "the notification server did not answer",
    "org.freedesktop.DBus.Error.Timeout": "the notification server did not answer",
    "org.freedesktop.DBus.Error.Disconnected": "the session bus closed the connection",
    "org.freedesktop.DBus.Error.NoServer": "cannot connect to the session bus",
    "org.freedesktop.DBus.Error.FileNotFound": "cannot connect to the session bus",
    "org.freedesktop.DBus.Error.NotSupported": "no session bus is configured",
}

T = TypeVar("T")


@dataclass(frozen=True)
class ServerInfo:
    """What a notification server says about itself (GetServerInformation)."""

    name: str
    vendor: str
    version: str
    spec_version: str

    def __str__(self) -> str:
        return f"{self.name} {self.version} ({self.vendor}, spec {self.spec_version})"


def escape_markup(text: str) -> str:
    """Given plain text, return it escaped for the notification spec's body markup (&, <, >)."""
    # What html.escape(text, quote=False) does, without importing `html`: that loads its table of
    # named character references (about 0.3 MiB) into the service for three replacements.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def expire_timeout_seconds(timeout_s: float) -> int:
    """Given a display time in seconds, return the whole seconds plyer can pass on (0: never expire)."""
    if timeout_s <= 0:
        return 0
    return max(1, round(timeout_s))


def plyer_backend() -> str | None:
    """Return the backend plyer uses in this process: "dbus", "notify-send", "portal" or None."""
    with warnings.catch_warnings():
        # plyer warns on stderr when dbus-python is missing; doctor says it in better words.
        warnings.simplefilter("ignore")
        from plyer import notification

        # The facade is a proxy that forwards attribute access, __class__ included, to the
        # backend object it picked (and picks it now, the first time).
        kind = notification.__class__.__name__
    return PLYER_BACKENDS.get(kind)


def session_bus_address(environ: Mapping[str, str] | None = None) -> str | None:
    """Given the environment, return the session bus address libdbus would use, or None.

    DBUS_SESSION_BUS_ADDRESS first; else the per-user bus socket that systemd-based sessions keep
    at $XDG_RUNTIME_DIR/bus (dbus-user-session).
    """
    env = os.environ if environ is None else environ
    address = env.get("DBUS_SESSION_BUS_ADDRESS", "").strip()
    if address:
        return address
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and (Path(runtime) / "bus").exists():
        return f"unix:path={Path(runtime) / 'bus'}"
    return None


def _unescape_address_value(value: str) -> str:
    return re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), value)


def _parse_address(address: str) -> list[tuple[str, dict[str, str]]]:
    """Given a D-Bus address ("unix:path=/x;tcp:host=h,port=1"), return (transport, keys) pairs."""
    entries = []
    for part in address.split(";"):
        if not part.strip():
            continue
        transport, _, rest = part.partition(":")
        keys = {}
        for pair in rest.split(","):
            key, sep, value = pair.partition("=")
            if sep:
                keys[key] = _unescape_address_value(value)
        entries.append((transport, keys))
    return entries


def _connect(transport: str, keys: dict[str, str], timeout_s: float) -> socket.socket:
    if transport == "unix" and "path" in keys:
        sock = socket.socket(socket.AF_UNIX)
        target: str | tuple[str, int] = keys["path"]
    elif transport == "unix" and "abstract" in keys:
        sock = socket.socket(socket.AF_UNIX)
        target = "\0" + keys["abstract"]
    elif transport == "tcp" and "host" in keys and "port" in keys:
        sock = socket.create_connection((keys["host"], int(keys["port"])), timeout=timeout_s)
        return sock
    else:
        raise OSError(f"calmcoach cannot probe a {transport!r} address")
    sock.settimeout(timeout_s)
    try:
        sock.connect(target)
    except OSError:
        sock.close()
        raise
    return sock


def probe_bus(address: str, *, timeout_s: float = 2.0) -> str | None:
    """Given a bus address, return None when a D-Bus daemon answers there, else why not.

    Connects and does the first step of D-Bus authentication (EXTERNAL, by uid), which any bus
    daemon answers at once; a socket that accepts but never answers is caught by the timeout.
    """
    problems = []
    for transport, keys in _parse_address(address):
        try:
            with _connect(transport, keys, timeout_s) as sock:
                uid = str(os.getuid()).encode("ascii").hex().encode("ascii")
                sock.sendall(b"\0AUTH EXTERNAL " + uid + b"\r\n")
                answer = sock.recv(256)
        except TimeoutError:
            problems.append(f"the session bus at {address} did not answer within {timeout_s:g} s")
            continue
        except OSError as error:
            problems.append(f"cannot connect to the session bus at {address}: {error.strerror or error}")
            continue
        if answer.startswith(b"OK "):
            return None
        said = answer.decode("ascii", "replace").strip()
        problems.append(f"the session bus at {address} refused us: {said}")
    return problems[0] if problems else f"cannot understand the session bus address {address!r}"


def describe_error(error: BaseException) -> str:
    """Given an exception from plyer, dbus-python or a subprocess, return the reason in words."""
    if isinstance(error, DeliveryError):
        return error.message
    get_name = getattr(error, "get_dbus_name", None)
    if callable(get_name):
        name = str(get_name() or "")
        words = DBUS_ERRORS.get(name)
        detail = str(getattr(error, "get_dbus_message", lambda: "")() or "").strip()
        if words:
            return f"{words} ({detail})" if detail else words
        return f"{name}: {detail}" if detail else name or str(error)
    if isinstance(error, NotImplementedError):
        return "plyer has no notification backend here (neither dbus-python nor notify-send)"
    return f"{type(error).__name__}: {error}"


class BoundedCalls:
    """Run calls in daemon worker threads, waiting for each at most `bound_s` seconds.

    A call still running after its bound is abandoned (a daemon thread cannot be killed) and
    reported as DeliveryError. While an abandoned call is still stuck, new calls fail at once
    instead of piling up one more stuck thread each, so stuck threads never outnumber the
    callers that were waiting at the same moment (one, for the service's delivery thread).
    """

    def __init__(self, who: str, bound_s: float) -> None:
        self.who = who  # who is waited for, as the subject of a sentence: "the notification server"
        self.bound_s = bound_s
        self._lock = threading.Lock()
        self._stuck: threading.Thread | None = None
        self._stuck_since = 0.0

    def stuck_for(self) -> float | None:
        """Return for how many seconds an abandoned call has been stuck, or None if none is."""
        with self._lock:
            if self._stuck is not None and self._stuck.is_alive():
                return time.monotonic() - self._stuck_since
            self._stuck = None
            return None

    def run(self, function: Callable[[], T]) -> T:
        stuck = self.stuck_for()
        if stuck is not None:
            raise DeliveryError(
                f"{self.who} has not answered an earlier call for {stuck:.0f} s; "
                "not asking again until it does"
            )
        results: list[T] = []
        errors: list[BaseException] = []

        def work() -> None:
            try:
                results.append(function())
            except Exception as error:  # handed to the caller below, as a DeliveryError
                errors.append(error)

        worker = threading.Thread(target=work, name="calmcoach-bounded-call", daemon=True)
        started = time.monotonic()
        worker.start()
        worker.join(self.bound_s)
        if worker.is_alive():
            with self._lock:
                self._stuck, self._stuck_since = worker, started
            raise DeliveryError(f"{self.who} did not answer within {self.bound_s:g} s")
        if errors:
            raise DeliveryError(describe_error(errors[0])) from errors[0]
        return results[0]


def _forget_dead_session_bus() -> None:
    """Close dbus-python's shared session connection if it is dead, so the next call reconnects."""
    try:
        import dbus

        bus = dbus.SessionBus()  # the cached one, or a new connection if there was none
        if not bus.get_is_connected():
            bus.close()  # also removes it from dbus-python's cache of shared connections
    except Exception:  # noqa: S110 - best effort: the bus being unreachable is already reported
        pass


def _load_backend() -> None:
    """Load plyer's backend; with dbus-python, also open its shared session-bus connection."""
    if plyer_backend() == "dbus":
        import dbus

        dbus.SessionBus()  # connects and says Hello; plyer's notify() reuses this connection


def _server_information_jeepney(address: str, timeout_s: float) -> ServerInfo:
    """Ask the server through jeepney (pure Python, unix sockets only), on a connection of its own.

    Not dbus-python: loading it (libdbus-1 and its bindings, about 1.5 MiB) would keep it in the
    service from its start-up check on, though only plyer's first notification needs it.
    """
    from jeepney import DBusAddress, DBusErrorResponse, new_method_call
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import unwrap_msg

    connection = open_dbus_connection(bus=address, auth_timeout=timeout_s)
    try:
        target = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=INTERFACE)
        reply = connection.send_and_get_reply(
            new_method_call(target, "GetServerInformation"), timeout=timeout_s
        )
        parts = unwrap_msg(reply)
    except DBusErrorResponse as error:
        name = str(error.name or "")
        detail = str(error.data[0]) if error.data else ""
        words = DBUS_ERRORS.get(name)
        raise DeliveryError(
            (f"{words} ({detail})" if detail else words) if words else f"{name}: {detail}".rstrip(": ")
        ) from None
    except TimeoutError:
        raise DeliveryError(f"the notification server did not answer within {timeout_s:g} s") from None
    finally:
        connection.close()
    if len(parts) != 4:
        raise DeliveryError(f"the notification server's answer made no sense: {parts!r}")
    return ServerInfo(*(str(part) for part in parts))


def _has_unix_transport(address: str) -> bool:
    return any(transport == "unix" for transport, _ in _parse_address(address))


def _server_information_dbus_send(address: str, timeout_s: float) -> ServerInfo:
    dbus_send = shutil.which("dbus-send")
    if dbus_send is None:
        raise DeliveryError(
            f"cannot ask the notification server on {address} without dbus-send (apt-get install dbus-bin)"
        )
    result = subprocess.run(
        [
            dbus_send,
            "--session",
            "--print-reply",
            f"--reply-timeout={int(timeout_s * 1000)}",
            f"--dest={BUS_NAME}",
            OBJECT_PATH,
            f"{INTERFACE}.GetServerInformation",
        ],
        env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": address},
        capture_output=True,
        text=True,
        timeout=timeout_s + 1,
        check=False,
    )
    if result.returncode != 0:
        error = result.stderr.strip()
        name = error.split()[1] if error.startswith("Error ") else ""
        raise DeliveryError(DBUS_ERRORS.get(name, error or f"dbus-send exited with {result.returncode}"))
    parts = re.findall(r'^\s*string "(.*)"$', result.stdout, flags=re.MULTILINE)
    if len(parts) != 4:
        raise DeliveryError(f"the notification server's answer made no sense: {result.stdout.strip()!r}")
    return ServerInfo(*parts)


class PlyerNotifier:
    """The Notifier the service uses: plyer's notification facade, bounded in time."""

    def __init__(self, app_name: str = "calmcoach", timeout_bound_s: float = 2.0) -> None:
        self.app_name = app_name
        self.timeout_bound_s = timeout_bound_s
        self._sending = BoundedCalls("the notification server", timeout_bound_s)
        self._probing = BoundedCalls("the notification server", timeout_bound_s)
        self._warming = BoundedCalls("the session bus", timeout_bound_s)

    def backend(self) -> str | None:
        """Return the plyer backend in use: "dbus", "notify-send", "portal" or None."""
        return plyer_backend()

    def notify(self, title: str, body: str, *, timeout_s: float = 10.0) -> None:
        """Show one notification; raise DeliveryError if it failed or took longer than the bound."""
        seconds = expire_timeout_seconds(timeout_s)
        message = escape_markup(body)
        self._sending.run(lambda: self._send(title, message, seconds))

    def warm(self) -> None:
        """Load plyer's backend and connect to the session bus now, as the first notification would;
        raise DeliveryError when that fails or takes longer than the bound.

        Both stay loaded for the process's life (dbus-python keeps its shared connection), so a
        notification sent afterwards pays only for itself: without this, the first one of a run
        arrived about 0.1 s after its instant (benchmarks/service.py), the others ~15 ms. A call
        of its own, bounded apart from `notify`'s, so a slow warm-up never fails a notification.
        """
        self._warming.run(_load_backend)

    def _send(self, title: str, body: str, seconds: int) -> None:
        backend = plyer_backend()
        if backend is None:
            raise DeliveryError(
                "no notification backend: install dbus-python (pip install 'calmcoach[desktop]') "
                "or notify-send (apt-get install libnotify-bin)"
            )
        from plyer import notification

        try:
            notification.notify(app_name=self.app_name, title=title, message=body, timeout=seconds)
        except Exception:
            if backend == "dbus":
                _forget_dead_session_bus()
            raise

    def server_information(self) -> ServerInfo:
        """Return what the notification server says about itself; raise DeliveryError if none answers."""
        address = session_bus_address()
        if address is None:
            raise DeliveryError("no session bus: DBUS_SESSION_BUS_ADDRESS is not set")
        problem = probe_bus(address, timeout_s=self.timeout_bound_s)
        if problem is not None:
            raise DeliveryError(problem)
        if _has_unix_transport(address):
            return self._probing.run(lambda: _server_information_jeepney(address, self.timeout_bound_s))
        # jeepney speaks only over unix sockets; dbus-send knows the other transports.
        return self._probing.run(lambda: _server_information_dbus_send(address, self.timeout_bound_s))

    def check(self) -> str | None:
        """Return None when the session bus is reachable and a server answers, else the reason."""
        try:
            self.server_information()
        except DeliveryError as error:
            return error.message
        return None
