"""Fixtures only the delivery tests need: a real notification daemon (dunst under Xvfb)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.desktop import DunstDesktop, temporary_socket_dir


@pytest.fixture(scope="session")
def dunst() -> Iterator[DunstDesktop]:
    """dunst on an Xvfb screen, on a private bus of its own (not the session's test bus)."""
    with temporary_socket_dir("calmcoach-dunst-") as directory:
        desktop = DunstDesktop.start(directory)
        yield desktop
        desktop.stop()
