"""Lock, unlock and sleep from logind on the system bus.

logind's Manager announces `PrepareForSleep(true)` before a suspend and `PrepareForSleep(false)`
after the resume; the session's `LockedHint` property says whether its screen is locked (the
screen locker sets it, and logind announces each change with PropertiesChanged), and
`Lock`/`Unlock` are sent when something asks the session to lock. One daemon thread listens for
those signals, on a connection of its own, so a slow system bus never holds up a delivery; it
never polls, and it calls `on_change` after each, so the presence watch can look at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from calmcoach.presence.dbus import CALL_TIMEOUT_S, BusError, system_address

log = logging.getLogger("calmcoach.presence")

LOGIN1 = "org.freedesktop.login1"
MANAGER_PATH = "/org/freedesktop/login1"
MANAGER = "org.freedesktop.login1.Manager"
SESSION = "org.freedesktop.login1.Session"
PROPERTIES = "org.freedesktop.DBus.Properties"
JOIN_S = 1.0  # how long close() waits for the listening thread


class Logind:
    """Watches one logind session (XDG_SESSION_ID, else logind's "auto": the user's display session)."""

    name = "logind"

    def __init__(self, address: str | None = None, session_id: str | None = None) -> None:
        self.address = address or system_address()
        self.session_id = session_id or os.environ.get("XDG_SESSION_ID") or "auto"
        self.session_path: str | None = None
        self._locked = False
        self._hint = False
        self._asleep = False
        # A suspend may begin and end between two observations: the first observation after the
        # resume still reports it (once), with when it began, so the absence is not missed.
        self._resumed = False
        self._slept_at: datetime | None = None
        self._lock = threading.Lock()
        self.on_change: Callable[[], None] = lambda: None  # after each signal, outside our lock
        self._stop = threading.Event()
        self._conn: Any = None
        self._queue: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Connect, find the session, read its lock state and start listening; raise BusError."""
        from collections import deque

        from jeepney.bus_messages import MatchRule, message_bus
        from jeepney.io.blocking import open_dbus_connection

        try:
            self._conn = open_dbus_connection(bus=self.address, auth_timeout=CALL_TIMEOUT_S)
        except (OSError, ValueError, TimeoutError) as error:
            raise BusError(f"no system bus at {self.address}: {error}") from None
        try:
            (path,) = self._call(MANAGER_PATH, MANAGER, "GetSession", "s", (self.session_id,))
            self.session_path = str(path)
            self._locked = self._hint = self._locked_hint()
            self._queue = deque(maxlen=100)
            rules = [
                MatchRule(type="signal", interface=MANAGER, member="PrepareForSleep", path=MANAGER_PATH),
                MatchRule(type="signal", interface=SESSION, member="Lock", path=self.session_path),
                MatchRule(type="signal", interface=SESSION, member="Unlock", path=self.session_path),
                MatchRule(
                    type="signal", interface=PROPERTIES, member="PropertiesChanged", path=self.session_path
                ),
            ]
            for rule in rules:
                self._conn.filter(rule, queue=self._queue)
                self._conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=CALL_TIMEOUT_S)
        except (BusError, TimeoutError, OSError, ConnectionError) as error:
            self.close()
            raise BusError(f"logind: {error}") from None
        self._thread = threading.Thread(target=self._listen, name="presence-logind", daemon=True)
        self._thread.start()

    def _call(self, path: str, interface: str, method: str, signature: str, body: tuple[Any, ...]) -> Any:
        from jeepney import DBusAddress, DBusErrorResponse, new_method_call
        from jeepney.wrappers import unwrap_msg

        target = DBusAddress(path, bus_name=LOGIN1, interface=interface)
        try:
            reply = self._conn.send_and_get_reply(
                new_method_call(target, method, signature, body), timeout=CALL_TIMEOUT_S
            )
            return unwrap_msg(reply)
        except DBusErrorResponse as error:
            raise BusError(f"{method}: {error.name}") from None
        except TimeoutError:
            raise BusError(f"{method}: no answer within {CALL_TIMEOUT_S:g} s") from None

    def _locked_hint(self) -> bool:
        assert self.session_path is not None
        (variant,) = self._call(self.session_path, PROPERTIES, "Get", "ss", (SESSION, "LockedHint"))
        return bool(variant[1] if isinstance(variant, tuple) else variant)

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                # No timeout: close() shuts the socket down, which ends the wait at once.
                message = self._conn.recv_until_filtered(self._queue)
            except (OSError, ConnectionError, EOFError, AttributeError, ValueError) as error:
                if not self._stop.is_set():
                    log.warning("lost the system bus (%s); lock and sleep are no longer watched", error)
                with self._lock:
                    self._locked = self._asleep = False
                self.on_change()
                return
            self._signal(message)
            self.on_change()

    def _hint_changed(self, body: tuple[Any, ...]) -> None:
        """Given PropertiesChanged's body, follow LockedHint (re-read when only invalidated)."""
        interface, changed, invalidated = body
        if interface != SESSION:
            return
        if "LockedHint" in changed:
            variant = changed["LockedHint"]
            locked = bool(variant[1] if isinstance(variant, tuple) else variant)
        elif "LockedHint" in invalidated:
            try:
                locked = self._locked_hint()
            except (BusError, OSError, ConnectionError) as error:
                log.debug("could not read LockedHint: %s", error)
                return
        else:
            return
        # Only a change of the hint counts: a Lock signal may come before the locker sets it.
        with self._lock:
            if locked != self._hint:
                self._locked = self._hint = locked

    def _signal(self, message: Any) -> None:
        from jeepney import HeaderFields

        member = message.header.fields.get(HeaderFields.member)
        if member == "PropertiesChanged":
            self._hint_changed(message.body)
            return
        with self._lock:
            if member == "PrepareForSleep":
                self._asleep = bool(message.body[0])
                if self._asleep:
                    self._slept_at = datetime.now(UTC)  # the wall clock at the edge, as logind sends it
                else:
                    self._resumed = True
            elif member == "Lock":
                self._locked = True
            elif member == "Unlock":
                self._locked = False

    def locked(self) -> bool:
        with self._lock:
            return self._locked

    def asleep(self) -> bool:
        """Return whether the machine sleeps, or has woken since the last time this was asked."""
        with self._lock:
            resumed, self._resumed = self._resumed, False
            return self._asleep or resumed

    def slept_at(self) -> datetime | None:
        with self._lock:
            return self._slept_at

    def close(self) -> None:
        self._stop.set()
        if self._conn is not None:
            with contextlib.suppress(OSError, AttributeError):
                self._conn.sock.shutdown(socket.SHUT_RDWR)  # wakes the listening thread
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(JOIN_S + CALL_TIMEOUT_S)
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
            self._conn = None
