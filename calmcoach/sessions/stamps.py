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
from datetime import date, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calmcoach.clock import Clock

SAFETY_STAMP = "stretch-safety-said"


def safety_day(clock: Clock, zone: tzinfo | None) -> date:
    """Given the clock and the schedule's zone (None: no schedule), return the day the safety
    line counts in: the schedule's, as its reminders count days, so `calmcoach stretch` and the
    service's scheduled sessions agree on whether it was said today."""
    return clock.now(zone).date()


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
