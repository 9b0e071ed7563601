"""Small D-Bus calls through jeepney, each bounded by a timeout, on a connection kept per bus.

jeepney is pure Python (no dbus-python needed) and every call takes a timeout, so a wedged
desktop service can delay an observation by at most `CALL_TIMEOUT_S`, never hang the service.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CALL_TIMEOUT_S = 1.0
PROPERTIES = "org.freedesktop.DBus.Properties"
DEFAULT_SYSTEM_BUS = "unix:path=/run/dbus/system_bus_socket"


class BusError(Exception):
    """A D-Bus call that failed: no bus, no such service or method, an error reply, or no answer."""


def session_address(environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    address = env.get("DBUS_SESSION_BUS_ADDRESS")
    if address:
        return address
    runtime = env.get("XDG_RUNTIME_DIR")
    return f"unix:path={runtime}/bus" if runtime and Path(runtime, "bus").exists() else None


def system_address(environ: Mapping[str, str] | None = None) -> str:
    """Return the system bus address: $DBUS_SYSTEM_BUS_ADDRESS (tests give a stand-in), else the usual."""
    env = os.environ if environ is None else environ
    return env.get("DBUS_SYSTEM_BUS_ADDRESS") or DEFAULT_SYSTEM_BUS


def _connect(address: str) -> Any:
    from jeepney.io.blocking import open_dbus_connection

    try:
        return open_dbus_connection(bus=address, auth_timeout=CALL_TIMEOUT_S)
    except (OSError, ValueError, TimeoutError) as error:
        raise BusError(f"cannot connect to {address}: {error}") from None


class Bus:
    """One connection to one bus, opened on first use and again after a failure; thread-safe."""

    def __init__(self, address: str, timeout_s: float = CALL_TIMEOUT_S) -> None:
        self.address = address
        self.timeout_s = timeout_s
        self._conn: Any = None
        self._lock = threading.Lock()

    def call(  # noqa: PLR0917 - the D-Bus call's own parts, in D-Bus's order
        self,
        destination: str,
        path: str,
        interface: str,
        method: str,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
    ) -> tuple[Any, ...]:
        """Call a method and return its reply's body; raise BusError on any failure."""
        from jeepney import DBusAddress, DBusErrorResponse, new_method_call
        from jeepney.wrappers import unwrap_msg

        target = DBusAddress(path, bus_name=destination, interface=interface)
        with self._lock:
            if self._conn is None:
                self._conn = _connect(self.address)
            try:
                reply = self._conn.send_and_get_reply(
                    new_method_call(target, method, signature, body), timeout=self.timeout_s
                )
                result: tuple[Any, ...] = unwrap_msg(reply)
                return result
            except DBusErrorResponse as error:
                raise BusError(f"{destination} {method}: {error.name}") from None
            except TimeoutError:
                self._close()
                raise BusError(f"{destination} {method}: no answer within {self.timeout_s:g} s") from None
            except (OSError, ConnectionError, EOFError) as error:
                self._close()
                raise BusError(f"{destination} {method}: {error}") from None

    def get_property(self, destination: str, path: str, interface: str, name: str) -> Any:
        """Return a property's value (the variant unwrapped); raise BusError on any failure."""
        (variant,) = self.call(destination, path, PROPERTIES, "Get", "ss", (interface, name))
        return variant[1] if isinstance(variant, tuple) and len(variant) == 2 else variant

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self._close()
