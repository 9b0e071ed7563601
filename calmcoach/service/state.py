"""What the service remembers across restarts, kept in one small JSON file in the state folder.

The last firing of each reminder (so a restart does not fire again what already fired), the last
wording each reminder used (so it never says the same thing twice in a row, even across a
restart), the pause and the snoozes. Every save writes a new file and renames it over the old one,
so a crash or SIGKILL leaves either the old state or the new one, never half of each.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

VERSION = 1


@dataclass(frozen=True)
class Pause:
    """Reminders are held back until `until`, or until `resume` when `until` is None."""

    until: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.until is None or now < self.until


@dataclass(frozen=True)
class ServiceState:
    last_fired: dict[str, datetime] = field(default_factory=dict)
    last_wording: dict[str, str] = field(default_factory=dict)
    pause: Pause | None = None
    snoozed: dict[str, datetime] = field(default_factory=dict)

    def fired(self, name: str, at: datetime, wording: str | None = None) -> ServiceState:
        """Given a reminder that fired (or was handled) at `at`, return the state that remembers it."""
        last = self.last_fired.get(name)
        fired = {**self.last_fired, name: at if last is None or at > last else last}
        words = {**self.last_wording, name: wording} if wording is not None else self.last_wording
        snoozed = {k: v for k, v in self.snoozed.items() if k != name or v > at}
        return replace(self, last_fired=fired, last_wording=words, snoozed=snoozed)

    def paused(self, now: datetime) -> bool:
        return self.pause is not None and self.pause.active(now)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "last_fired": {k: v.isoformat() for k, v in sorted(self.last_fired.items())},
            "last_wording": dict(sorted(self.last_wording.items())),
            "pause": None
            if self.pause is None
            else {"until": self.pause.until.isoformat() if self.pause.until else None},
            "snoozed": {k: v.isoformat() for k, v in sorted(self.snoozed.items())},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServiceState:
        """Given what `to_json` wrote, return the state; raise ValueError/KeyError/TypeError if malformed."""
        pause = data.get("pause")
        return cls(
            last_fired={str(k): _aware(v) for k, v in dict(data.get("last_fired") or {}).items()},
            last_wording={str(k): str(v) for k, v in dict(data.get("last_wording") or {}).items()},
            pause=None if pause is None else Pause(_aware(pause["until"]) if pause["until"] else None),
            snoozed={str(k): _aware(v) for k, v in dict(data.get("snoozed") or {}).items()},
        )


def _aware(text: object) -> datetime:
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        raise ValueError(f"a time without a zone in the state file: {text!r}")
    return moment


class StateStore:
    """Loads and saves `ServiceState` atomically; saves from several threads are serialised."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._closed = False
        self._failing = False  # the last save failed (reported once, until one works again)

    def close(self) -> None:
        """Refuse every later save: after the last save at shutdown, no write may start."""
        with self._lock:
            self._closed = True

    def load(self) -> ServiceState:
        """Return the saved state; a missing file is a fresh start, a damaged one is set aside."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ServiceState()
        try:
            return ServiceState.from_json(json.loads(text))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            aside = self.path.with_suffix(".damaged")
            with contextlib.suppress(OSError):
                self.path.replace(aside)
            log.warning(
                "state file %s was damaged (%s); moved it to %s and started afresh", self.path, error, aside
            )
            return ServiceState()

    def save(self, state: ServiceState) -> None:
        """Write the state to a temporary file, sync it, and rename it over the old one.

        A folder that cannot be written (read-only, a full disk) must not stop the reminders: the
        failure is logged once, the state lives on in memory, and the old file stays as it was.
        """
        data = json.dumps(state.to_json(), indent=1).encode()
        with self._lock:
            if self._closed:
                log.debug("state not saved: the service is stopping")
                return
            try:
                self._write(data)
            except OSError as error:
                if not self._failing:
                    log.warning(
                        "could not save the service state to %s: %s; reminders go on, and it is kept "
                        "in memory until it can be saved",
                        self.path,
                        error.strerror or error,
                    )
                self._failing = True
                return
            if self._failing:
                log.info("the service state is saved again")
            self._failing = False

    def _write(self, data: bytes) -> None:
        """Write `data` to a temporary file in the folder, sync it, rename it over the file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".service.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            Path(tmp).replace(self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
            raise
        with contextlib.suppress(OSError):  # make the rename itself durable
            dir_fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
