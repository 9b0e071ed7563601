"""The X11 full-screen source against a real X server (Xvfb) and the real xprop.

No window manager runs: the test writes the two EWMH properties a window manager would keep
(_NET_ACTIVE_WINDOW on the root, _NET_WM_STATE on the active window), with the types a window
manager gives them, and calmcoach reads them back through the real xprop on a real display.
"""

from __future__ import annotations

import ctypes
import re
import subprocess
from collections.abc import Iterator

import pytest

from calmcoach.presence.dnd import X11Fullscreen
from tests.desktop import STARTUP_TIMEOUT_S, die_with_parent, read_line, stop_process

TOOL_TIMEOUT_S = 10.0
_ROOT = re.compile(r"Window id: (0x[0-9a-fA-F]+)")


@pytest.fixture
def display() -> Iterator[str]:
    """Start a private Xvfb and yield its display name (":N"); stop it afterwards."""
    # -displayfd: Xvfb picks a free display number and writes it only once it accepts clients,
    # so reading that line (with a deadline) is the readiness check. -noreset: by default the
    # server resets when its last client leaves, and each xprop call is a client that leaves, so
    # the properties set by one call were gone before the next (measured).
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "640x480x24", "-nolisten", "tcp", "-noreset"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        preexec_fn=die_with_parent,  # noqa: PLW1509 - tests fork from the main thread only
    )
    try:
        assert xvfb.stdout is not None
        yield ":" + read_line(xvfb.stdout, timeout=STARTUP_TIMEOUT_S, what="Xvfb's display")
    finally:
        stop_process(xvfb)


def x11(display: str, *argv: str) -> str:
    """Run an X11 client program against `display` and return its output."""
    done = subprocess.run(
        [argv[0], "-display", display, *argv[1:]],
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT_S,
        check=True,
    )
    return done.stdout


def set_active(display: str, window: str) -> None:
    """Set the root's _NET_ACTIVE_WINDOW to `window` (hex id; 0x0 for none) as type WINDOW.

    Not with xprop: `xprop -set` can only write CARDINAL, INTEGER, ATOM or string types, and a
    CARDINAL reads back as "= 1293", not as the "window id # 0x50d" a window manager's WINDOW-typed
    property gives (measured). So this is one XChangeProperty call through libX11, as a WM does.
    """
    xlib = ctypes.CDLL("libX11.so.6")
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XDefaultRootWindow.restype = ctypes.c_ulong
    xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    xlib.XInternAtom.restype = ctypes.c_ulong
    xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    xlib.XChangeProperty.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    xlib.XChangeProperty.argtypes += [ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    xlib.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    xa_window, prop_mode_replace = 33, 0  # from <X11/Xatom.h> and <X11/X.h>
    connection = xlib.XOpenDisplay(display.encode())
    assert connection, f"cannot open display {display}"
    try:
        atom = xlib.XInternAtom(connection, b"_NET_ACTIVE_WINDOW", 0)
        value = ctypes.c_ulong(int(window, 16))  # format 32 data is passed as C longs
        root = xlib.XDefaultRootWindow(connection)
        xlib.XChangeProperty(connection, root, atom, xa_window, 32, prop_mode_replace, ctypes.byref(value), 1)
        xlib.XSync(connection, 0)  # the property is on the server before we return
    finally:
        xlib.XCloseDisplay(connection)


def set_state(display: str, window: str, *atoms: str) -> None:
    state = ",".join(atoms)
    x11(display, "xprop", "-id", window, "-f", "_NET_WM_STATE", "32a", "-set", "_NET_WM_STATE", state)


def test_full_screen_source_reads_a_real_x_server(display: str) -> None:
    source = X11Fullscreen.find(display)
    assert source is not None, "xprop is missing (x11-utils)"
    root = _ROOT.search(x11(display, "xwininfo", "-root"))
    assert root is not None
    window = root[1]

    # A bare X server without a window manager has no _NET_ACTIVE_WINDOW: nothing is full screen.
    assert source.busy() is False

    set_active(display, window)
    set_state(display, window, "_NET_WM_STATE_FULLSCREEN")
    assert "_NET_WM_STATE_FULLSCREEN" in x11(display, "xprop", "-id", window, "_NET_WM_STATE")
    assert source.busy() is True

    # Maximised is not full screen: the user can still see a notification.
    set_state(display, window, "_NET_WM_STATE_MAXIMIZED_VERT", "_NET_WM_STATE_MAXIMIZED_HORZ")
    assert source.busy() is False

    # Full screen again, then no active window at all (0x0: focus on nothing).
    set_state(display, window, "_NET_WM_STATE_FULLSCREEN")
    assert source.busy() is True
    set_active(display, "0x0")
    assert source.busy() is False
