"""Desktop services the presence tests drive: Mutter's IdleMonitor, the ScreenSaver service, logind.

Each stand-in is a real D-Bus service on a private bus (jeepney, in a thread of the test process),
so `calmcoach run` in a subprocess sees it exactly as it would see GNOME or logind. The test
changes what it answers (idle since when, locked, asleep, Inhibited) and makes it emit signals.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Self

from jeepney import DBusAddress, HeaderFields, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

MUTTER = "org.gnome.Mutter.IdleMonitor"
MUTTER_PATH = "/org/gnome/Mutter/IdleMonitor/Core"
SCREENSAVER = "org.freedesktop.ScreenSaver"
SCREENSAVER_PATH = "/org/freedesktop/ScreenSaver"
LOGIN1 = "org.freedesktop.login1"
MANAGER_PATH = "/org/freedesktop/login1"
MANAGER = "org.freedesktop.login1.Manager"
SESSION = "org.freedesktop.login1.Session"
SESSION_PATH = "/org/freedesktop/login1/session/_31"
PROPERTIES = "org.freedesktop.DBus.Properties"
PRIMARY_OWNER = 1

Handler = Callable[[tuple[Any, ...]], tuple[str, tuple[Any, ...]]]


class StandIn:
    """A D-Bus service owning `names`, answering the methods in `methods` and the `properties`."""

    def __init__(self, address: str, names: list[str]) -> None:
        self.address = address
        self.names = names
        self.methods: dict[tuple[str, str], Handler] = {}
        self.properties: dict[tuple[str, str], tuple[str, Any]] = {}
        self.calls: list[str] = []
        self.hang = False  # own the names but answer nothing
        self._conn: DBusConnection | None = None
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._conn = open_dbus_connection(bus=self.address)
        for name in self.names:
            reply = self._conn.send_and_get_reply(message_bus.RequestName(name, 4), timeout=5)
            assert reply.body[0] == PRIMARY_OWNER, f"could not own {name}"
        self._thread = threading.Thread(target=self._serve, name=f"standin-{self.names[0]}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def emit(self, path: str, interface: str, member: str, signature: str, body: tuple[Any, ...]) -> None:
        assert self._conn is not None
        with self._send_lock:
            self._conn.send(new_signal(DBusAddress(path, interface=interface), member, signature, body))

    def _serve(self) -> None:
        assert self._conn is not None
        while not self._stop.is_set():
            try:
                message = self._conn.receive(timeout=0.1)
            except TimeoutError:
                continue
            except (OSError, ConnectionError):
                return
            if message.header.message_type == MessageType.method_call and not self.hang:
                reply = self._answer(message)
                with self._send_lock:
                    self._conn.send(reply)

    def _answer(self, message: Any) -> Any:
        fields = message.header.fields
        interface, member = fields.get(HeaderFields.interface), fields.get(HeaderFields.member)
        self.calls.append(f"{interface}.{member}")
        if interface == PROPERTIES and member == "Get":
            found = self.properties.get((message.body[0], message.body[1]))
            if found is not None:
                return new_method_return(message, "v", (found,))
            return new_error(message, "org.freedesktop.DBus.Error.UnknownProperty", "s", ("no",))
        handler = self.methods.get((interface, member))
        if handler is None:
            return new_error(message, "org.freedesktop.DBus.Error.UnknownMethod", "s", (str(member),))
        signature, body = handler(message.body)
        return new_method_return(message, signature, body)


class IdleDesktop(StandIn):
    """Mutter's IdleMonitor and/or the ScreenSaver service; the idle time grows until `touch()`."""

    def __init__(self, address: str, *, mutter: bool = True, screensaver: bool = False) -> None:
        names = ([MUTTER] if mutter else []) + ([SCREENSAVER] if screensaver else [])
        super().__init__(address, names)
        self.last_input = time.monotonic()
        self.active = False  # the screensaver
        if mutter:
            self.methods[(MUTTER, "GetIdletime")] = lambda _: ("t", (self.idle_ms(),))
        if screensaver:
            self.methods[(SCREENSAVER, "GetSessionIdleTime")] = lambda _: ("u", (self.idle_ms(),))
            self.methods[(SCREENSAVER, "GetActive")] = lambda _: ("b", (self.active,))

    def idle_ms(self) -> int:
        return int((time.monotonic() - self.last_input) * 1000)

    def touch(self) -> None:
        """The person moves the mouse: idle time starts again from 0."""
        self.last_input = time.monotonic()

    def leave(self, seconds: float) -> None:
        """The person has been gone `seconds` already."""
        self.last_input = time.monotonic() - seconds


class LogindStandIn(StandIn):
    """logind's Manager and one session: GetSession, LockedHint, Lock/Unlock and PrepareForSleep."""

    def __init__(self, address: str) -> None:
        super().__init__(address, [LOGIN1])
        self.methods[(MANAGER, "GetSession")] = lambda _: ("o", (SESSION_PATH,))
        self.properties[(SESSION, "LockedHint")] = ("b", False)

    def lock(self) -> None:
        self.set_locked_hint(True)
        self.emit(SESSION_PATH, SESSION, "Lock", "", ())

    def unlock(self) -> None:
        self.set_locked_hint(False)
        self.emit(SESSION_PATH, SESSION, "Unlock", "", ())

    def set_locked_hint(self, locked: bool) -> None:
        """A screen locker calls SetLockedHint: logind changes the property and says so."""
        self.properties[(SESSION, "LockedHint")] = ("b", locked)
        changed = {"LockedHint": ("b", locked)}
        self.emit(SESSION_PATH, PROPERTIES, "PropertiesChanged", "sa{sv}as", (SESSION, changed, []))

    def sleep(self, start: bool) -> None:
        self.emit(MANAGER_PATH, MANAGER, "PrepareForSleep", "b", (start,))
