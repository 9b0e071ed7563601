"""Shared fixtures. Every test runs with its XDG folders in a fresh temporary directory, so no
test reads or writes the real user's config, state or cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from calmcoach.paths import Paths
from tests.support import Cli

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
