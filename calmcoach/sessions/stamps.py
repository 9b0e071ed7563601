"""Small state that sessions keep between runs: whether today's first stretch routine still
needs the safety line (and the atomic writes the closing tips use too).

The date the line was last said is kept in one small file in the state folder, written
atomically (a temporary file renamed over it), so that a crash never leaves half a date behind and
the CLI and the service, which share the folder, agree.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import date
from pathlib import Path

SAFETY_STAMP = "stretch-safety-said"


def safety_due(state_dir: Path, today: date) -> bool:
    """Given the state folder and today's date, return True unless the safety line was said today."""
    try:
        said = (state_dir / SAFETY_STAMP).read_text(encoding="utf-8").strip()
    except OSError:
        return True  # never said, or unreadable: saying it again is the safe side
    return said != today.isoformat()


def mark_safety_said(state_dir: Path, today: date) -> None:
    """Remember that the safety line was said today; raise OSError when the folder is unwritable."""
    write_atomically(state_dir / SAFETY_STAMP, today.isoformat() + "\n")


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step (a temporary file renamed over it); raise OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        Path(name).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(name).unlink()
        raise
