"""Where calmcoach keeps its files, after the XDG base directory specification.

A `Paths` is built once in `cli.main` and passed to whatever needs it, so that tests can point
every folder at a temporary directory by setting the XDG variables.

The three lookups are written out here rather than asked of platformdirs: on Linux it does the
same, and importing it (with tempfile, which it imports) cost every command about a tenth of
its start-up.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

APP = "calmcoach"


def _xdg_home(variable: str, default: str) -> Path:
    """Given an XDG variable and its default under the home folder, return the folder it names:
    its value when that is an absolute path (the specification ignores any other), else the
    default. Raise RuntimeError when there is no home folder to be found."""
    value = Path(os.environ.get(variable, ""))
    return value if value.is_absolute() else Path.home() / default


class Paths(NamedTuple):  # a NamedTuple, not a dataclass: every command builds one (see Context)
    config: Path
    state: Path
    cache: Path
    runtime: Path

    @classmethod
    def from_environment(cls) -> Paths:
        """Given the process environment (XDG variables), return calmcoach's folders."""
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        if runtime:
            runtime_folder = Path(runtime) / APP
        else:
            # Without XDG_RUNTIME_DIR (no login session) fall back to a per-user temp folder,
            # which the control socket still guards with 0700. Imported only here: tempfile
            # brings shutil, random and the compression modules, which a quick command never uses.
            import tempfile

            runtime_folder = Path(tempfile.gettempdir()) / f"{APP}-{os.getuid()}"
        return cls(
            config=_xdg_home("XDG_CONFIG_HOME", ".config") / APP,
            state=_xdg_home("XDG_STATE_HOME", ".local/state") / APP,
            cache=_xdg_home("XDG_CACHE_HOME", ".cache") / APP,
            runtime=runtime_folder,
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
