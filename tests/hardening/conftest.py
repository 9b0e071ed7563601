"""Fixtures for the hardening tests: a short runtime folder for the service's socket."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def short_runtime(xdg_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short XDG_RUNTIME_DIR: a Unix socket path must fit in 108 bytes, pytest's tmp paths may not."""
    folder = Path(tempfile.mkdtemp(prefix="cc-h-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
