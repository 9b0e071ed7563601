"""How long since the person last touched keyboard or mouse: Mutter, the ScreenSaver service, xprintidle.

Each source has a `name`, `idle()` (raise BusError or OSError when it cannot tell) and, where it
knows, `locked()` (the screensaver is active). The monitor uses the first that answers at start.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from typing import Protocol

from calmcoach.presence.dbus import Bus, BusError

MUTTER = "org.gnome.Mutter.IdleMonitor"
MUTTER_PATH = "/org/gnome/Mutter/IdleMonitor/Core"
SCREENSAVER = "org.freedesktop.ScreenSaver"
SCREENSAVER_PATH = "/org/freedesktop/ScreenSaver"
XPRINTIDLE_TIMEOUT_S = 1.0


class IdleSource(Protocol):
    name: str

    def idle(self) -> timedelta: ...

    def locked(self) -> bool | None: ...


class MutterIdle:
    """GNOME (Wayland and X11): Mutter's IdleMonitor answers GetIdletime in milliseconds."""

    name = "mutter"

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    def idle(self) -> timedelta:
        (ms,) = self.bus.call(MUTTER, MUTTER_PATH, MUTTER, "GetIdletime")
        return timedelta(milliseconds=int(ms))

    def locked(self) -> bool | None:
        return None


class ScreenSaverIdle:
    """KDE, Xfce and others: org.freedesktop.ScreenSaver GetSessionIdleTime and GetActive.

    GetSessionIdleTime is not in a written spec. KDE's kscreenlocker answers KIdleTime's
    milliseconds, so that is how it is read; a desktop that answered seconds would then never
    seem idle, which fails safe (reminders come) rather than silencing them.
    """

    name = "screensaver"

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    def idle(self) -> timedelta:
        (ms,) = self.bus.call(SCREENSAVER, SCREENSAVER_PATH, SCREENSAVER, "GetSessionIdleTime")
        return timedelta(milliseconds=int(ms))

    def locked(self) -> bool | None:
        try:
            (active,) = self.bus.call(SCREENSAVER, SCREENSAVER_PATH, SCREENSAVER, "GetActive")
        except BusError:
            return None
        return bool(active)


class XprintIdle:
    """Plain X11: the `xprintidle` program prints the XScreenSaver extension's idle milliseconds."""

    name = "xprintidle"

    def __init__(self, program: str) -> None:
        self.program = program

    @classmethod
    def find(cls, display: str | None) -> XprintIdle | None:
        program = shutil.which("xprintidle")
        return cls(program) if program and display else None

    def idle(self) -> timedelta:
        try:
            done = subprocess.run(
                [self.program], capture_output=True, text=True, timeout=XPRINTIDLE_TIMEOUT_S, check=True
            )
            return timedelta(milliseconds=int(done.stdout.strip()))
        except (subprocess.SubprocessError, ValueError) as error:
            raise OSError(f"xprintidle: {error}") from None

    def locked(self) -> bool | None:
        return None
