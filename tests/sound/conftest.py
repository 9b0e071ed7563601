"""Fixtures for the sound-server tier: a real PipeWire (with pipewire-pulse) and a null sink,
and a PATH on which calmcoach finds only the player a test wants it to use.

Where the programs are missing the whole tier is skipped with one reason; where the real-desktop
tiers are required (scripts/dev.sh as root, as in CI, which installs them) it fails instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.conftest import short_runtime  # noqa: F401 - the autouse fixture, for this tier too
from tests.sound_server import SoundServer, missing_programs, sound_server
from tests.user_session import skip_or_fail

# Besides the player: dbus-send, with which the service asks whether a notification server is
# there without loading dbus-python (a missing one would be a warning in the log, not a failure).
HELPERS = ("dbus-send",)


def skip_unless_installed() -> None:
    missing = missing_programs()
    if missing:
        skip_or_fail(
            f"the sound-server tier needs {', '.join(missing)}: bash scripts/dev.sh test installs them"
        )


@pytest.fixture(scope="module")
def server() -> Iterator[SoundServer]:
    """One sound server for a test module, kept running; a test that stops it uses `own_server`."""
    skip_unless_installed()
    with sound_server() as started:
        yield started


@pytest.fixture
def own_server() -> Iterator[SoundServer]:
    """A sound server for this test alone, which it may make go away (`SoundServer.stop`)."""
    skip_unless_installed()
    with sound_server() as started:
        yield started


def only_player(player: str, folder: Path) -> str:
    """Given a player's name, return a PATH whose one folder holds that player (and HELPERS) only,
    so that calmcoach, which takes the first of pw-play, paplay and aplay it finds, uses it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (player, *HELPERS):
        found = shutil.which(name)
        assert found is not None, f"{name} is missing"
        (folder / name).symlink_to(found)
    return str(folder)


def player_env(server: SoundServer, player: str, folder: Path) -> dict[str, str]:
    """The test's environment, reaching `server`, with only `player` on PATH."""
    env = server.env(PATH=only_player(player, folder))
    env.pop("COLUMNS", None)
    assert os.pathsep not in env["PATH"]
    return env
