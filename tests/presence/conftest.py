"""Fixtures for the presence tests: a second private bus standing in for the system bus."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.desktop import PrivateBus, temporary_socket_dir


@pytest.fixture
def system_bus() -> Iterator[PrivateBus]:
    """A private bus of its own, to be given as DBUS_SYSTEM_BUS_ADDRESS (logind's stand-in lives there)."""
    with temporary_socket_dir("cc-sys-") as folder:
        bus = PrivateBus.start(folder / "bus")
        try:
            yield bus
        finally:
            bus.stop()


@pytest.fixture
def short_runtime(xdg_home: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A short XDG_RUNTIME_DIR: the service's control socket path must fit in 108 bytes."""
    with temporary_socket_dir("cc-") as folder:
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
        yield
