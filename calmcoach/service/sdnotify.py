"""The sd_notify protocol: a few `KEY=value` lines sent as one datagram to `$NOTIFY_SOCKET`.

systemd (with `Type=notify`) waits for READY=1 before it considers the service started, expects
WATCHDOG=1 more often than `WatchdogSec=`, and shows STATUS= in `systemctl status`. Outside
systemd there is no `$NOTIFY_SOCKET` and every call does nothing, so the service never needs to
know whether it runs under systemd. Abstract sockets are written `@name` (see sd_notify(3)).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from datetime import timedelta

log = logging.getLogger(__name__)


def socket_address(value: str) -> str:
    """Given $NOTIFY_SOCKET, return the address to send to: `@name` becomes the abstract `\\0name`."""
    return "\0" + value[1:] if value.startswith("@") else value


def watchdog_interval(environ: Mapping[str, str], pid: int) -> timedelta | None:
    """Given the environment and our pid, return how often to ping the watchdog, or None for never.

    systemd asks for pings more often than WATCHDOG_USEC; half of it leaves room for a slow moment,
    as sd_watchdog_enabled(3) advises. WATCHDOG_PID, when set, names the process meant to ping.
    """
    usec = environ.get("WATCHDOG_USEC", "")
    owner = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if owner and (not owner.isdigit() or int(owner) != pid):
        return None
    return timedelta(microseconds=int(usec) / 2)


class SdNotifier:
    """Sends sd_notify messages to the socket systemd gave us, or nowhere when there is none."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        value = env.get("NOTIFY_SOCKET", "")
        self._address = socket_address(value) if value else None
        self.watchdog = watchdog_interval(env, os.getpid())
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def send(self, **fields: str) -> bool:
        """Given fields like READY="1", send them as one datagram; return whether it was sent.

        A failure is logged once and never raised: systemd going away must not stop reminders.
        """
        if self._address is None:
            return False
        # One field per line: a newline inside a value would start a bogus field.
        payload = "\n".join(f"{key}={' '.join(value.split())}" for key, value in fields.items()).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(payload, self._address)
        except OSError as error:
            if not self._warned:
                log.warning("could not notify systemd at %r: %s", self._address, error)
                self._warned = True
            return False
        return True

    def ready(self, status: str) -> bool:
        return self.send(READY="1", STATUS=status, MAINPID=str(os.getpid()))

    def ping(self) -> bool:
        return self.send(WATCHDOG="1")

    def status(self, text: str) -> bool:
        return self.send(STATUS=text)

    def reloading(self) -> bool:
        return self.send(RELOADING="1", STATUS="reloading the schedule")

    def stopping(self) -> bool:
        return self.send(STOPPING="1", STATUS="stopping")
