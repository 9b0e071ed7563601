"""Where calmcoach keeps its files: the XDG base directory specification's variables and defaults."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from calmcoach.paths import Paths

XDG = ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in XDG:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_the_variables_name_the_folders(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in XDG:
        monkeypatch.setenv(variable, f"/x/{variable.lower()}")
    paths = Paths.from_environment()
    assert paths.config == Path("/x/xdg_config_home/calmcoach")
    assert paths.state == Path("/x/xdg_state_home/calmcoach")
    assert paths.cache == Path("/x/xdg_cache_home/calmcoach")
    assert paths.runtime == Path("/x/xdg_runtime_dir/calmcoach")
    assert paths.history_db == Path("/x/xdg_state_home/calmcoach/history.sqlite3")


def test_unset_empty_or_relative_variables_fall_back_to_the_home_folder(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "")
    monkeypatch.setenv("XDG_STATE_HOME", "relative/state")  # the specification ignores it
    paths = Paths.from_environment()
    assert paths.config == home / ".config/calmcoach"
    assert paths.state == home / ".local/state/calmcoach"
    assert paths.cache == home / ".cache/calmcoach"


def test_without_a_runtime_folder_a_private_temporary_one(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(home))  # what gettempdir() found (and keeps)
    assert Paths.from_environment().runtime == home / f"calmcoach-{os.getuid()}"
