"""Where calmcoach keeps its files, after the XDG base directory specification.

A `Paths` is built once in `cli.main` and passed to whatever needs it, so that tests can point
every folder at a temporary directory by setting the XDG variables.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import NamedTuple

import platformdirs

APP = "calmcoach"


class Paths(NamedTuple):  # a NamedTuple, not a dataclass: every command builds one (see Context)
    config: Path
    state: Path
    cache: Path
    runtime: Path

    @classmethod
    def from_environment(cls) -> Paths:
        """Given the process environment (XDG variables), return calmcoach's folders."""
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        return cls(
            config=Path(platformdirs.user_config_dir(APP)),
            state=Path(platformdirs.user_state_dir(APP)),
            cache=Path(platformdirs.user_cache_dir(APP)),
            # Without XDG_RUNTIME_DIR (no login session) fall back to a per-user temp folder,
            # which the control socket still guards with 0700.
            runtime=Path(runtime) / APP if runtime else Path(tempfile.gettempdir()) / f"{APP}-{os.getuid()}",
        )

    @property
    def history_db(self) -> Path:
        return self.state / "history.sqlite3"

    @property
    def control_socket(self) -> Path:
        return self.runtime / "control.sock"

    @property
    def user_schedules(self) -> list[Path]:
        """The user's schedule files, in a stable order; empty when they have none."""
        if not self.config.is_dir():
            return []
        # A broken link (or one to a folder) is kept, so that loading it says what is wrong
        # instead of falling back to the packaged default without a word.
        return sorted(p for p in self.config.glob("*.toml") if p.is_file() or p.is_symlink())
