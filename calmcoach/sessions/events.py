"""The events file (`--events FILE`): one JSON object per cue, one per line (DESIGN section 3).

Each line has `cycle`, `phase`, `planned_s` and `actual_s` (seconds from the session's start on
the monotonic clock), and also `text` (what was said or shown). A live session adds
`monotonic_s`, the absolute monotonic reading when the cue was given, so that another process on
the same machine (the benchmark) can compare it with its own clock. Lines are written and flushed
as cues happen, so a stopped session leaves every cue it gave.

With `--save`, `planned_s` and `actual_s` are positions in the saved audio from the file's start.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from calmcoach.errors import CalmcoachError
from calmcoach.sessions.audio import RenderedSession
from calmcoach.sessions.runner import SessionResult
from calmcoach.sessions.timeline import Cue


def event_line(cue: Cue, actual_s: float, monotonic_s: float | None = None) -> str:
    """Given a cue and when it was given, return its line of JSON (no newline)."""
    record: dict[str, object] = {
        "cycle": cue.cycle,
        "phase": cue.phase,
        "planned_s": round(cue.at_s, 6),
        "actual_s": round(actual_s, 6),
        "text": cue.text,
    }
    if monotonic_s is not None:
        record["monotonic_s"] = round(monotonic_s, 6)
    return json.dumps(record)


def open_events(path: Path) -> TextIO:
    """Open the events file for writing, or raise CalmcoachError saying why it cannot be."""
    try:
        return path.open("w", encoding="utf-8")
    except OSError as error:
        raise CalmcoachError(f"cannot write the events file {path}: {error.strerror or error}") from error


class EventsOutput:
    """A session output that writes each cue's line as the cue is given."""

    frames_per_second = 0.0

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = open_events(path)  # opened before the session, so a bad path fails early
        self._started_at = 0.0
        self._problems: list[str] = []

    def start(self, started_at: float) -> None:
        self._started_at = started_at

    def cue(self, cue: Cue, actual_s: float) -> None:
        if self._file.closed:
            return
        try:
            self._file.write(event_line(cue, actual_s, self._started_at + actual_s) + "\n")
            self._file.flush()
        except OSError as error:  # a full disk stops the events, never the session
            self._problems.append(f"stopped writing {self.path}: {error.strerror or error}")
            self._file.close()

    def frame(self, t_s: float) -> None:
        pass

    def end(self, result: SessionResult) -> None:
        if not self._file.closed:
            self._file.close()

    def problems(self) -> list[str]:
        return list(self._problems)


def write_saved_events(path: Path, rendered: RenderedSession) -> int:
    """Write one line per cue of a rendered session, at its position in the audio; return the count."""
    with open_events(path) as out:
        for placement in rendered.placements:
            out.write(event_line(placement.cue, placement.sample / rendered.rate) + "\n")
    return len(rendered.placements)
