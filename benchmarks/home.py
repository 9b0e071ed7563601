"""What every benchmark starts from: the installed command, and a home of its own to run it in."""

from __future__ import annotations

import os
import sys
from pathlib import Path

XDG_VARIABLES = ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR")


def calmcoach_argv() -> list[str]:
    """Return how to run the calmcoach installed beside this Python (or the module, if it is not)."""
    script = Path(sys.executable).parent / "calmcoach"
    return [str(script)] if script.exists() else [sys.executable, "-m", "calmcoach"]


def user_env(home: Path) -> dict[str, str]:
    """Given an empty folder, make it a user's home with fresh XDG folders; return the environment.

    Bytecode is cached as on a user's machine (PYTHONDONTWRITEBYTECODE unset): an installed
    calmcoach compiles its modules once, and that is what is measured, not recompiling them.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for variable in XDG_VARIABLES:
        folder = home / variable.lower()
        folder.mkdir(mode=0o700)
        env[variable] = str(folder)
    env["HOME"] = str(home)
    return env
