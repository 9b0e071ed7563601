"""Time, injected: everything that needs "now" or a monotonic reading takes a `Clock`.

The real clock lives here; tests pass their own object with the same two methods and step it.
"""

from __future__ import annotations

import time
from datetime import datetime, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self, tz: tzinfo | None = None) -> datetime:
        """Return the current time, timezone-aware (in `tz`, else the local zone)."""
        ...

    def monotonic(self) -> float:
        """Return seconds on a clock that never jumps, for deadlines and durations."""
        ...


class SystemClock:
    def now(self, tz: tzinfo | None = None) -> datetime:
        return datetime.now(tz).astimezone(tz) if tz is not None else datetime.now().astimezone()

    def monotonic(self) -> float:
        return time.monotonic()
