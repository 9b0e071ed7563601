"""Do-not-disturb: GNOME's show-banners setting, the notification server's Inhibited property, and a
full-screen window on X11. Each source has a `name` and `busy()` (raise OSError or BusError when
it cannot tell); the monitor keeps every source that answered at start.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from calmcoach.presence.dbus import Bus

TOOL_TIMEOUT_S = 1.0
NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
_WINDOW = re.compile(r"window id # (0x[0-9a-fA-F]+)")


def _run(argv: list[str], env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=True, env=env
        )
    except (subprocess.SubprocessError, OSError) as error:
        raise OSError(f"{argv[0]}: {error}") from None
    return done.stdout


class GnomeBanners:
    """GNOME's do-not-disturb switch is `show-banners = false` in org.gnome.desktop.notifications."""

    name = "gnome show-banners"
    ARGV = ("get", "org.gnome.desktop.notifications", "show-banners")

    def __init__(self, program: str) -> None:
        self.program = program

    @classmethod
    def find(cls) -> GnomeBanners | None:
        program = shutil.which("gsettings")
        return cls(program) if program else None

    def busy(self) -> bool:
        return _run([self.program, *self.ARGV]).strip() == "false"


class NotificationsInhibited:
    """The notification server's `Inhibited` property (the specification's version 1.3)."""

    name = "notification server Inhibited"

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    def busy(self) -> bool:
        return bool(self.bus.get_property(NOTIFICATIONS, NOTIFICATIONS_PATH, NOTIFICATIONS, "Inhibited"))


def active_window(xprop_root: str) -> str | None:
    """Given `xprop -root _NET_ACTIVE_WINDOW` output, return the window id, or None (no window, 0x0)."""
    match = _WINDOW.search(xprop_root)
    if match is None or int(match[1], 16) == 0:
        return None
    return match[1]


def is_fullscreen(xprop_state: str) -> bool:
    """Given `xprop -id W _NET_WM_STATE` output, return whether the window is full screen."""
    return "_NET_WM_STATE_FULLSCREEN" in xprop_state


class X11Fullscreen:
    """The active X11 window is full screen (a presentation, a video, a game)."""

    name = "x11 full screen"

    def __init__(self, program: str, display: str) -> None:
        self.program = program
        self.display = display

    @classmethod
    def find(cls, display: str | None) -> X11Fullscreen | None:
        program = shutil.which("xprop")
        return cls(program, display) if program and display else None

    def busy(self) -> bool:
        window = active_window(_run([self.program, "-display", self.display, "-root", "_NET_ACTIVE_WINDOW"]))
        if window is None:
            return False
        return is_fullscreen(_run([self.program, "-display", self.display, "-id", window, "_NET_WM_STATE"]))
