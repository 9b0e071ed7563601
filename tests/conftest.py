"""Shared fixtures. Every test runs with its XDG folders in a fresh temporary directory, so no
test reads or writes the real user's config, state or cache."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from calmcoach.paths import Paths
from tests.desktop import Notifications, PrivateBus, RecordingServer
from tests.support import Cli
from tests.user_session import skip_or_fail
from tests.xfce_desktop import Programs, XfceDesktop

XDG_VARIABLES = ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR")


@pytest.fixture(autouse=True)
def xdg_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every XDG folder (and HOME) at a temporary directory for the test's duration."""
    home = tmp_path / "home"
    for name in XDG_VARIABLES:
        folder = home / name.lower()
        folder.mkdir(parents=True, mode=0o700)
        monkeypatch.setenv(name, str(folder))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("NO_COLOR", raising=False)
    yield home


@pytest.fixture
def paths(xdg_home: Path) -> Paths:
    return Paths.from_environment()


@pytest.fixture
def cli(paths: Paths) -> Cli:
    return Cli(paths)


# A private desktop session for the whole test run (tests/desktop.py): one dbus-daemon, and a
# notification server on it that records what it receives. In-process tests and the installed
# `calmcoach` run in subprocesses (which inherit the environment) share the same bus.

BUS_DIR = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Pin DBUS_SESSION_BUS_ADDRESS to our own bus's socket before anything can use D-Bus.

    dbus-python connects once per process and keeps that connection: pinning the address before
    the first test means no test ever reaches the developer's real desktop bus, and every
    connection made in this process goes to the bus `session_bus` starts (lazily) at this path.
    """
    directory = Path(tempfile.mkdtemp(prefix="calmcoach-bus-"))  # short: sockets allow ~100 bytes
    config.stash[BUS_DIR] = directory
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={directory / 'bus'}"


def pytest_unconfigure(config: pytest.Config) -> None:
    directory = config.stash.get(BUS_DIR, None)
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def session_bus(pytestconfig: pytest.Config) -> Iterator[PrivateBus]:
    """The session's private bus (no <servicedir>: nothing auto-starts), at the pinned address."""
    bus = PrivateBus.start(pytestconfig.stash[BUS_DIR] / "bus")
    yield bus
    bus.stop()


@pytest.fixture(scope="session")
def notification_server(
    session_bus: PrivateBus, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RecordingServer]:
    """The recording notification server on the session bus; tests may stop and start it.

    Prefer `notifications` in tests: it makes sure the server runs and shows only what arrived
    since the test began.
    """
    server = RecordingServer(session_bus, tmp_path_factory.mktemp("notifications") / "received.jsonl")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def notifications(notification_server: RecordingServer) -> Notifications:
    """The running recording server, as seen by this test: `received()`, `wait_for(n, timeout=)`."""
    notification_server.start()  # a no-op unless an earlier test stopped it
    return Notifications(notification_server, since=notification_server.count())


# A notification daemon that draws buttons (tests/xfce_desktop.py), for tests that click them.


@pytest.fixture(scope="session")
def xfce_desktop() -> Iterator[XfceDesktop]:
    """xfce4-notifyd on Xvfb with its own buses, started once; prefer `xfce` in tests.

    Skipped, with what to install, where the programs are missing; where the real-desktop tiers
    are required (scripts/dev.sh as root, as in CI, which installs them) a missing program fails
    instead of hiding the tests.
    """
    missing = Programs.find().missing()
    if missing is not None:
        skip_or_fail(missing)
    directory = Path(tempfile.mkdtemp(prefix="calmcoach-xfce-"))  # short: sockets live there
    try:
        desktop = XfceDesktop.start(directory)
        yield desktop
        desktop.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def xfce(xfce_desktop: XfceDesktop) -> Iterator[XfceDesktop]:
    """The session's xfce4-notifyd desktop, with no notification on screen when the test begins
    and none left when it ends: `client()`, `wait_for_notification()`, `click_button()`, `screenshot()`."""
    xfce_desktop.ensure_running()
    xfce_desktop.close_all()
    yield xfce_desktop
    xfce_desktop.close_all()
