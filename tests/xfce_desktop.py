"""A notification daemon that draws buttons: xfce4-notifyd on Xvfb, for tests that click them.

dunst (tests/desktop.py) shows actions only in a context menu; xfce4-notifyd draws each
notification as its own X window with one button per action, as GNOME, KDE and MATE do. Tests can
show a notification, take a screenshot, click a button by its label and see what the server sends.

Everything here is a real program, started as our child with `die_with_parent`: two private
buses (the session bus and an accessibility bus, tests/desktop.py's PrivateBus, so nothing is
auto-started), Xvfb, xfconfd (xfce's settings daemon, so that our settings below are read),
at-spi2-registryd and xfce4-notifyd itself.

How a button is found: through GTK's accessibility interface (AT-SPI), which xfce4-notifyd, a
GTK 3 program, exports on the accessibility bus. It gives every widget's text and its rectangle on
the screen, so `click_button("Snooze 15 min")` clicks the widget that has that label, wherever the
daemon put it. We chose this over the alternatives because they guess: xdotool sees only the
top-level windows; a layout rule ("buttons along the bottom, right-aligned, in order") breaks with
a theme, a wrapped body or a newer xfce4-notifyd; and reading pixels without OCR cannot tell one
label from another. AT-SPI costs one small daemon and about 10 ms per look-up.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import deque
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.desktop import (
    NOTIFICATIONS,
    OBJECT_PATH,
    DesktopError,
    PrivateBus,
    die_with_parent,
    read_line,
    stop_process,
    wait_until,
)

STARTUP_TIMEOUT_S = 20.0  # a loaded 2-core machine starts GTK programs slowly
SCREEN = (1024, 768)
# Where the pointer rests between clicks: far from the top-right corner where notifications
# appear, so no button is drawn hovered in a screenshot and no window sees the pointer.
POINTER_REST = (0, SCREEN[1] - 1)

A11Y_REGISTRY = "org.a11y.atspi.Registry"
A11Y_ROOT = "/org/a11y/atspi/accessible/root"
A11Y_ACCESSIBLE = "org.a11y.atspi.Accessible"
A11Y_COMPONENT = "org.a11y.atspi.Component"
SCREEN_COORDS = 0  # AT-SPI's ATSPI_COORD_TYPE_SCREEN
STATE_SHOWING = 25  # AT-SPI's ATSPI_STATE_SHOWING: mapped, on screen
XFCONF = "org.xfce.Xfconf"
NOTIFYD_APP = "xfce4-notifyd"

# xfce4-notifyd reads its settings from xfconf. Without xfconfd it runs on built-in defaults,
# which expire a notification sent with timeout -1 ("server decides") after 10 s (measured): short for
# a test on a loaded machine. These make the server's choice "never", put notifications in the
# top-right corner (its default, written down so a changed default cannot move them) and turn
# off the fade and slide animations, so what a screenshot shows does not depend on when it is
# taken. A timeout that the sender gives is always honoured: xfce4-notifyd 0.7 has no setting
# to override it.
NOTIFYD_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-notifyd" version="1.0">
  <property name="expire-timeout" type="int" value="0"/>
  <property name="notify-location" type="uint" value="2"/>
  <property name="do-fadeout" type="bool" value="false"/>
  <property name="do-slideout" type="bool" value="false"/>
  <property name="initial-opacity" type="double" value="1.0"/>
  <property name="do-not-disturb" type="bool" value="false"/>
</channel>
"""


def _find(pattern: str) -> str | None:
    """Given a glob below / over multiarch folders ("usr/lib/*/..."), return the first match, or None."""
    found = sorted(Path("/").glob(pattern))
    return str(found[0]) if found else None


@dataclass(frozen=True)
class Programs:
    """Where the programs this desktop runs are on this machine (None: not installed)."""

    xfce4_notifyd: str | None
    xfconfd: str | None
    registryd: str | None
    tools: dict[str, str | None]

    @classmethod
    def find(cls) -> Programs:
        return cls(
            xfce4_notifyd=_find("usr/lib/*/xfce4/notifyd/xfce4-notifyd"),
            xfconfd=_find("usr/lib/*/xfce4/xfconf/xfconfd"),
            # /usr/libexec on Debian 12, /usr/lib/at-spi2-core or a multiarch folder elsewhere.
            registryd=_find("usr/lib*/at-spi2-registryd") or _find("usr/lib/*/at-spi2-registryd"),
            tools={name: shutil.which(name) for name in ("dbus-daemon", "Xvfb", "xdotool", "xwd", "convert")},
        )

    def missing(self) -> str | None:
        """Return one sentence naming what is not installed (and its Debian package), or None."""
        wanted = {
            "xfce4-notifyd": (self.xfce4_notifyd, "xfce4-notifyd"),
            "xfconfd": (self.xfconfd, "xfconf"),
            "at-spi2-registryd": (self.registryd, "at-spi2-core"),
            "dbus-daemon": (self.tools["dbus-daemon"], "dbus-daemon"),
            "Xvfb": (self.tools["Xvfb"], "xvfb"),
            "xdotool": (self.tools["xdotool"], "xdotool"),
            "xwd": (self.tools["xwd"], "x11-apps"),
            "convert": (self.tools["convert"], "imagemagick"),
        }
        absent = [(name, package) for name, (path, package) in wanted.items() if path is None]
        if not absent:
            return None
        names = ", ".join(name for name, _ in absent)
        packages = " ".join(sorted({package for _, package in absent}))
        return f"xfce4-notifyd desktop: {names} not installed (apt-get install {packages})"


@dataclass(frozen=True)
class Rect:
    """A rectangle on the screen, in pixels from the top-left corner."""

    x: int
    y: int
    width: int
    height: int

    @property
    def center(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2

    def contains(self, other: Rect) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.x + other.width <= self.x + self.width
            and other.y + other.height <= self.y + self.height
        )


@dataclass(frozen=True)
class Button:
    label: str
    rect: Rect


@dataclass(frozen=True)
class NotificationWindow:
    """One notification as xfce4-notifyd shows it: its window, its texts and its buttons.

    `texts` are the labels' texts from top to bottom (summary first, then the body), as a person
    reads them: markup already rendered. `buttons` are in the order the daemon laid them out.
    """

    rect: Rect
    texts: tuple[str, ...]
    buttons: tuple[Button, ...]

    @property
    def summary(self) -> str:
        return self.texts[0] if self.texts else ""

    def button(self, label: str) -> Button:
        matches = [button for button in self.buttons if button.label == label]
        if len(matches) != 1:
            labels = [button.label for button in self.buttons]
            raise DesktopError(f"expected one button {label!r} in {self.summary!r}, found buttons {labels!r}")
        return matches[0]


@dataclass(frozen=True)
class XWindow:
    """A mapped top-level X window of xfce4-notifyd, as xdotool sees it."""

    id: int
    rect: Rect


@dataclass(frozen=True)
class Image:
    """An RGB picture (from a screenshot), to look at pixels without an imaging library."""

    width: int
    height: int
    data: bytes  # row by row, 3 bytes (R, G, B) per pixel

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        at = 3 * (y * self.width + x)
        return self.data[at], self.data[at + 1], self.data[at + 2]

    def crop(self, rect: Rect) -> Image:
        stride = 3 * self.width
        start, end = 3 * rect.x, 3 * (rect.x + rect.width)
        rows = (self.data[y * stride + start : y * stride + end] for y in range(rect.y, rect.y + rect.height))
        return Image(rect.width, rect.height, b"".join(rows))


@dataclass(frozen=True)
class Signal:
    """A signal the notification server sent to a client's connection."""

    member: str  # "ActionInvoked", "NotificationClosed", ...
    body: tuple[Any, ...]


class NotificationClient:
    """A D-Bus connection of the test's own that sends notifications and collects what comes back.

    Every signal from the server is kept, in the order it arrived, in `signals`. xfce4-notifyd
    0.7 broadcasts ActionInvoked and NotificationClosed (measured): a connection hears them only
    if it asked the bus for them with a match rule, as this one does unless `subscribe=False`,
    and then it hears other clients' too, so a client must check the notification id.
    """

    def __init__(self, address: str, *, app_name: str = "calmcoach-tests", subscribe: bool = True) -> None:
        from jeepney import DBusAddress, MatchRule
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        self.app_name = app_name
        self.server = DBusAddress(OBJECT_PATH, bus_name=NOTIFICATIONS, interface=NOTIFICATIONS)
        self.connection = open_dbus_connection(bus=address)
        rule = MatchRule(type="signal", interface=NOTIFICATIONS, path=OBJECT_PATH)
        # Our own unbounded queue: jeepney's default keeps only the last message.
        self._incoming: deque[Any] = deque()
        self._filter = self.connection.filter(rule, queue=self._incoming)
        if subscribe:
            self.connection.send_and_get_reply(message_bus.AddMatch(rule), timeout=STARTUP_TIMEOUT_S)
        self.signals: list[Signal] = []

    def call(self, method: str, signature: str | None = None, body: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        from jeepney import new_method_call
        from jeepney.wrappers import unwrap_msg

        reply = self.connection.send_and_get_reply(
            new_method_call(self.server, method, signature, body), timeout=10
        )
        self._take()
        result: tuple[Any, ...] = unwrap_msg(reply)
        return result

    def notify(
        self,
        summary: str,
        body: str = "",
        actions: Sequence[tuple[str, str]] = (),
        *,
        expire_timeout_ms: int = 0,
        hints: Mapping[str, tuple[str, Any]] | None = None,
    ) -> int:
        """Given a summary, a body and (key, label) actions, show a notification; return its id.

        The default timeout 0 means "never expire": a test decides when it is closed.
        """
        flat = [item for pair in actions for item in pair]
        args = (self.app_name, 0, "", summary, body, flat, dict(hints or {}), expire_timeout_ms)
        (notification_id,) = self.call("Notify", "susssasa{sv}i", args)
        return int(notification_id)

    def flush(self) -> list[Signal]:
        """Return every signal the server sent before it answered a call made now.

        A D-Bus peer's messages arrive in the order it sent them: what the server emitted before
        it replied to GetServerInformation is in `signals` when the reply is.
        """
        self.call("GetServerInformation")
        return list(self.signals)

    def wait_for(self, member: str, notification_id: int, *, timeout: float = 10.0) -> Signal:
        """Wait until the server sends signal `member` for this notification; return it."""
        deadline = time.monotonic() + timeout
        while True:
            self._take()
            for signal in self.signals:
                if signal.member == member and signal.body[0] == notification_id:
                    return signal
            left = deadline - time.monotonic()
            if left <= 0:
                raise DesktopError(
                    f"timed out after {timeout:g} s waiting for {member} of notification {notification_id}; "
                    f"got {self.signals!r}"
                )
            with suppress(TimeoutError):  # the deadline is checked at the top
                self.connection.recv_messages(timeout=left)

    def for_notification(self, notification_id: int) -> list[Signal]:
        return [signal for signal in self.signals if signal.body and signal.body[0] == notification_id]

    def close(self) -> None:
        self._filter.close()
        self.connection.close()

    def __enter__(self) -> NotificationClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _take(self) -> None:
        from jeepney import HeaderFields

        while self._incoming:
            message = self._incoming.popleft()
            member = message.header.fields[HeaderFields.member]
            self.signals.append(Signal(str(member), tuple(message.body)))


class Accessibility:
    """Reads xfce4-notifyd's widgets through AT-SPI on the accessibility bus (jeepney, no libatspi)."""

    def __init__(self, address: str) -> None:
        from jeepney.io.blocking import open_dbus_connection

        self.connection = open_dbus_connection(bus=address)

    def close(self) -> None:
        self.connection.close()

    def _call(
        self, node: tuple[str, str], interface: str, method: str, signature: str | None = None, *args: Any
    ) -> tuple[Any, ...]:
        from jeepney import DBusAddress, new_method_call
        from jeepney.wrappers import unwrap_msg

        target = DBusAddress(node[1], bus_name=node[0], interface=interface)
        reply = self.connection.send_and_get_reply(
            new_method_call(target, method, signature, args), timeout=5
        )
        result: tuple[Any, ...] = unwrap_msg(reply)
        return result

    def _name(self, node: tuple[str, str]) -> str:
        from jeepney import DBusAddress, Properties
        from jeepney.wrappers import unwrap_msg

        target = DBusAddress(node[1], bus_name=node[0], interface=A11Y_ACCESSIBLE)
        reply = self.connection.send_and_get_reply(Properties(target).get("Name"), timeout=5)
        return str(unwrap_msg(reply)[0][1])

    def _children(self, node: tuple[str, str]) -> list[tuple[str, str]]:
        return [(str(name), str(path)) for name, path in self._call(node, A11Y_ACCESSIBLE, "GetChildren")[0]]

    def _role(self, node: tuple[str, str]) -> str:
        return str(self._call(node, A11Y_ACCESSIBLE, "GetRoleName")[0])

    def _showing(self, node: tuple[str, str]) -> bool:
        low, _high = self._call(node, A11Y_ACCESSIBLE, "GetState")[0]
        return bool(low & (1 << STATE_SHOWING))

    def _extents(self, node: tuple[str, str]) -> Rect:
        x, y, width, height = self._call(node, A11Y_COMPONENT, "GetExtents", "u", SCREEN_COORDS)[0]
        return Rect(x, y, width, height)

    def application(self) -> tuple[str, str] | None:
        """Return xfce4-notifyd's application node in the registry, or None while it is not there."""
        root = (A11Y_REGISTRY, A11Y_ROOT)
        return next((app for app in self._children(root) if self._name(app) == NOTIFYD_APP), None)

    def notifications(self) -> list[NotificationWindow]:
        """Return the notification windows on screen now, with their texts and buttons.

        A window can close while we read it; its widgets then answer with an error, and that
        window is left out (it is no longer on screen).
        """
        from jeepney.wrappers import DBusErrorResponse

        app = self.application()
        if app is None:
            return []
        try:
            frames = self._children(app)
        except DBusErrorResponse:
            return []  # the daemon went away after the registry listed it
        windows: list[NotificationWindow] = []
        for frame in frames:
            try:
                if self._role(frame) != "frame" or not self._showing(frame):
                    continue
                texts: list[tuple[Rect, str]] = []
                buttons: list[Button] = []
                self._collect(frame, texts, buttons)
                texts.sort(key=lambda item: (item[0].y, item[0].x))
                buttons.sort(key=lambda button: (button.rect.y, button.rect.x))
                windows.append(
                    NotificationWindow(self._extents(frame), tuple(t for _, t in texts), tuple(buttons))
                )
            except DBusErrorResponse:
                continue
        return windows

    def _collect(self, node: tuple[str, str], texts: list[tuple[Rect, str]], buttons: list[Button]) -> None:
        for child in self._children(node):
            role = self._role(child)
            if role == "push button":
                buttons.append(Button(self._name(child), self._extents(child)))
            elif role == "label" and self._showing(child):
                texts.append((self._extents(child), self._name(child)))
            else:
                self._collect(child, texts, buttons)


@dataclass
class XfceDesktop:
    """xfce4-notifyd on an Xvfb screen, with its own session bus, settings and accessibility bus."""

    directory: Path
    bus: PrivateBus
    a11y_bus: PrivateBus
    display: str
    programs: Programs
    processes: dict[str, subprocess.Popen[str]] = field(default_factory=dict)
    _accessibility: Accessibility | None = field(default=None, init=False, repr=False)

    @classmethod
    def start(cls, directory: Path) -> XfceDesktop:
        """Given a short folder of its own (sockets live there), start everything; wait until ready."""
        programs = Programs.find()
        missing = programs.missing()
        if missing is not None:
            raise DesktopError(missing)
        bus = PrivateBus.start(directory / "bus")
        try:
            a11y_bus = PrivateBus.start(directory / "a11y")
        except BaseException:
            bus.stop()
            raise
        desktop = cls(directory, bus, a11y_bus, display="", programs=programs)
        try:
            desktop._start_xvfb()
            desktop._start_settings()
            desktop._start("at-spi2-registryd", [str(programs.registryd)])
            desktop.a11y_bus.wait_for_owner(A11Y_REGISTRY, timeout=STARTUP_TIMEOUT_S)
            desktop.start_notifyd()
        except BaseException:
            desktop.stop()
            raise
        return desktop

    # -- programs

    def env(self, base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
        """Return an environment (default: ours) on this desktop's bus and screen, plus `extra`."""
        return self.bus.env(base, DISPLAY=self.display, **extra)

    def _folders(self) -> dict[str, Path]:
        """Return the daemons' HOME and XDG folders, all inside our directory (made if missing)."""
        home = self.directory / "home"
        folders = {"HOME": home, "XDG_RUNTIME_DIR": self.directory / "runtime"}
        folders.update(
            {name: home / name.lower() for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME")}
        )
        for folder in folders.values():
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folders

    def _daemon_env(self) -> dict[str, str]:
        env = self.env(
            AT_SPI_BUS_ADDRESS=self.a11y_bus.address,  # read by GTK's bridge and by registryd
            GDK_BACKEND="x11",
            GSETTINGS_BACKEND="memory",  # no dconf: nothing of the machine's settings leaks in
        )
        env.update({name: str(folder) for name, folder in self._folders().items()})
        for name in ("NO_AT_BRIDGE", "GTK_THEME", "GTK_MODULES", "SESSION_MANAGER", "WAYLAND_DISPLAY"):
            env.pop(name, None)  # each would change how, or whether, the daemon shows its widgets
        return env

    def _start(self, name: str, argv: list[str], **popen: Any) -> subprocess.Popen[str]:
        with (self.directory / f"{name}.log").open("a", encoding="utf-8") as log:
            process = subprocess.Popen(
                argv,
                env=self._daemon_env(),
                stdin=subprocess.DEVNULL,
                stdout=popen.pop("stdout", subprocess.DEVNULL),
                stderr=log,  # the child keeps its own copy of the file open
                text=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - tests fork from the main thread only
                **popen,
            )
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        path = self.directory / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def _start_xvfb(self) -> None:
        width, height = SCREEN
        # -displayfd: Xvfb picks a free display number and writes it once it accepts clients.
        argv = ["Xvfb", "-displayfd", "1", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"]
        xvfb = self._start("Xvfb", argv, stdout=subprocess.PIPE)
        assert xvfb.stdout is not None
        self.display = ":" + read_line(xvfb.stdout, timeout=STARTUP_TIMEOUT_S, what="Xvfb's display")

    def _start_settings(self) -> None:
        channel = self._folders()["XDG_CONFIG_HOME"] / "xfce4/xfconf/xfce-perchannel-xml/xfce4-notifyd.xml"
        channel.parent.mkdir(parents=True, exist_ok=True)
        channel.write_text(NOTIFYD_SETTINGS, encoding="utf-8")
        self._start("xfconfd", [str(self.programs.xfconfd)])
        self.bus.wait_for_owner(XFCONF, timeout=STARTUP_TIMEOUT_S)

    def start_notifyd(self) -> None:
        """Start xfce4-notifyd; wait until it owns the name and shows up in the registry."""
        notifyd = self._start(NOTIFYD_APP, [str(self.programs.xfce4_notifyd)])

        def ready() -> bool:
            if notifyd.poll() is not None:
                raise DesktopError(
                    f"xfce4-notifyd exited with {notifyd.returncode}:\n{self.log(NOTIFYD_APP)}"
                )
            return self.bus.name_has_owner(NOTIFICATIONS) and self.accessibility.application() is not None

        # GTK's bridge registers with the registry only once the daemon is up; until then a
        # click_button() would find nothing. A bridge that never comes is an error here, not a
        # puzzling miss in some later test.
        wait_until(
            ready, timeout=STARTUP_TIMEOUT_S, what="xfce4-notifyd on the bus and in the AT-SPI registry"
        )

    def ensure_running(self) -> None:
        """Start xfce4-notifyd again if it has exited (it crashed, or a test stopped it).

        Its source quits the daemon after 10 idle minutes; 0.7.3 here was still running after
        34 (measured), but a long test run must not depend on which version CI has.
        """
        notifyd = self.processes.get(NOTIFYD_APP)
        if notifyd is not None and notifyd.poll() is None:
            return
        self.stop_notifyd()
        self.start_notifyd()

    def stop_notifyd(self) -> None:
        """Stop xfce4-notifyd; wait until its name is free and the registry has forgotten it.

        Until then the registry may still list the old daemon, and a look-up would ask a
        process that is gone.
        """
        notifyd = self.processes.pop(NOTIFYD_APP, None)
        if notifyd is not None:
            stop_process(notifyd)
        self.bus.wait_for_owner(NOTIFICATIONS, owned=False)
        wait_until(
            lambda: self.accessibility.application() is None,
            timeout=STARTUP_TIMEOUT_S,
            what="the AT-SPI registry to forget the stopped xfce4-notifyd",
        )

    def stop(self) -> None:
        if self._accessibility is not None:
            self._accessibility.close()
            self._accessibility = None
        for name in reversed(list(self.processes)):
            stop_process(self.processes.pop(name))
        self.a11y_bus.stop()
        self.bus.stop()

    @property
    def accessibility(self) -> Accessibility:
        if self._accessibility is None:
            self._accessibility = Accessibility(self.a11y_bus.address)
        return self._accessibility

    def client(self, app_name: str = "calmcoach-tests", *, subscribe: bool = True) -> NotificationClient:
        """Return a new connection of the caller's own that sends notifications (close it after)."""
        return NotificationClient(self.bus.address, app_name=app_name, subscribe=subscribe)

    # -- what is on the screen

    def _x(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(args, env=self.env(), capture_output=True, timeout=10, check=check)

    def windows(self) -> list[XWindow]:
        """Return xfce4-notifyd's mapped windows as xdotool finds them, with their geometry."""
        found = self._x("xdotool", "search", "--onlyvisible", "--class", NOTIFYD_APP, check=False)
        windows = []
        for line in found.stdout.decode().split():
            geometry = self._x("xdotool", "getwindowgeometry", "--shell", line, check=False)
            if geometry.returncode != 0:
                continue  # closed between the search and this question
            values = dict(item.split("=", 1) for item in geometry.stdout.decode().split())
            rect = Rect(int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"]))
            windows.append(XWindow(int(values["WINDOW"]), rect))
        return sorted(windows, key=lambda window: (window.rect.y, window.rect.x))

    def notifications(self) -> list[NotificationWindow]:
        """Return the notifications on screen now (summary, body, buttons and where they are)."""
        return self.accessibility.notifications()

    def wait_for_notification(self, summary: str, *, timeout: float = 10.0) -> NotificationWindow:
        """Wait until a notification with this summary is drawn where X says its window is; return it.

        Both views must agree: AT-SPI knows the widgets as soon as they exist, but the window is
        on screen, at its final place, only once X has it mapped there.
        """

        def shown() -> NotificationWindow | None:
            mapped = {window.rect for window in self.windows()}
            matches = [n for n in self.notifications() if n.summary == summary and n.rect in mapped]
            if len(matches) > 1:
                raise DesktopError(
                    f"{len(matches)} notifications have the summary {summary!r}; make it unique"
                )
            return matches[0] if matches else None

        return wait_until(shown, timeout=timeout, what=f"a notification {summary!r} on screen", step=0.02)

    def wait_until_gone(self, summary: str | None = None, *, timeout: float = 10.0) -> None:
        """Wait until no notification (with this summary, if given) is on screen."""

        def gone() -> bool:
            if summary is None:
                return not self.windows()
            return all(n.summary != summary for n in self.notifications())

        wait_until(gone, timeout=timeout, what=f"notification {summary or 'windows'!r} to close", step=0.02)

    # -- screenshots and clicks

    def screenshot(self, path: Path, region: Rect | None = None) -> Path:
        """Save the screen (or a region of it) as a PNG at `path`; return `path`."""
        self._convert(f"png:{path}", region)
        return path

    def image(self, region: Rect | None = None) -> Image:
        """Return the screen (or a region of it) as pixels, for tests that look at what is drawn."""
        rect = region or Rect(0, 0, *SCREEN)
        data = self._convert("rgb:-", region, "-depth", "8")  # raw bytes: no header to parse
        if len(data) != 3 * rect.width * rect.height:
            raise DesktopError(f"expected {rect.width}x{rect.height} RGB pixels, got {len(data)} bytes")
        return Image(rect.width, rect.height, data)

    def _convert(self, target: str, region: Rect | None, *options: str) -> bytes:
        shot = self._x("xwd", "-root", "-silent", "-display", self.display)
        crop = (
            []
            if region is None
            else ["-crop", f"{region.width}x{region.height}+{region.x}+{region.y}", "+repage"]
        )
        converted = subprocess.run(
            ["convert", "xwd:-", *crop, *options, target],
            input=shot.stdout,
            capture_output=True,
            timeout=30,
            check=True,
        )
        return converted.stdout

    def click(self, x: int, y: int) -> None:
        """Press and release the left button at (x, y), then move the pointer back to its rest."""
        self._x("xdotool", "mousemove", "--sync", str(x), str(y), "click", "1")
        self._x("xdotool", "mousemove", "--sync", *(str(v) for v in POINTER_REST))

    def click_button(self, label: str, *, summary: str | None = None, timeout: float = 10.0) -> Button:
        """Click the button with this label (in the notification with this summary); return it.

        Wait until such a button is on screen, in a window X has mapped. Two buttons with the
        label and no summary to choose between them is an error, never a guess.
        """
        if summary is not None:
            # The daemon builds a window's buttons before it maps it: once shown, all are there.
            button = self.wait_for_notification(summary, timeout=timeout).button(label)
        else:

            def found() -> Button | None:
                mapped = {window.rect for window in self.windows()}
                shown = [n for n in self.notifications() if n.rect in mapped]
                buttons = [button for window in shown for button in window.buttons if button.label == label]
                if len(buttons) > 1:
                    raise DesktopError(
                        f"{len(buttons)} buttons are labelled {label!r}; pass summary= to choose"
                    )
                return buttons[0] if buttons else None

            button = wait_until(found, timeout=timeout, what=f"a button {label!r} on screen", step=0.02)
        self.click(*button.rect.center)
        return button

    def close_all(self, *, timeout: float = 10.0) -> None:
        """Dismiss every notification on screen, as a person would (a click on it), and wait.

        Clicking a notification outside its buttons closes it (NotificationClosed, reason 2).
        We click just inside its top edge, in the padding above the summary: never a button.
        """
        for window in self.windows():
            self.click(window.rect.x + window.rect.width // 2, window.rect.y + 3)
        self.wait_until_gone(timeout=timeout)

    def server_information(self) -> tuple[str, str, str, str]:
        name, vendor, version, spec = self.bus.call("GetServerInformation")
        return str(name), str(vendor), str(version), str(spec)

    def capabilities(self) -> list[str]:
        return [str(item) for item in self.bus.call("GetCapabilities")[0]]
