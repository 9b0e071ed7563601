"""What `calmcoach log` reads from the schedule, remembered once the full loader has validated it.

`log water` needs three values from the schedule: its time zone, the daily water goal and the
drinking window. Loading and validating the whole schedule costs more than the rest of the command
(the loader's modules build dozens of dataclasses and parsers when they are imported). So each time
the full loader validates a set of files for a log command, those values are written to the cache
folder together with an exact copy of the files they came from and a stamp of the calmcoach code
that validated them. A later run whose files read back byte for byte the same, under the same
code, takes the values from there without importing the loader.

Anything else goes to the full loader, which validates and reports exactly as always: a file
changed, added, removed, unreadable or unusual (not a plain file, too big, not UTF-8), a cache that
is missing, unreadable, damaged or written by other code. A schedule that fails validation is
never remembered, so it fails the same way every time. The copies are compared, not hashed, so
nothing here rests on a hash; schedule files are a few KiB.

The time zone is remembered only when a file sets it: without one the schedule uses the system's
zone, which can change between runs ($TZ), so it is looked up each time, as the loader does.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Sequence
from datetime import time, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from calmcoach.intake.pace import ClockWindow

if TYPE_CHECKING:
    from calmcoach.intake.pace import Window

CACHE_NAME = "validated-schedules.json"
FORMAT = 1
MAX_ENTRIES = 8  # a few sets of files (the config folder's, a --schedule or two), a few code versions
# Bigger than any schedule file the loader accepts (1 MiB), so such a file is never remembered.
_READ_LIMIT = 1024 * 1024 + 1
# The code whose rules decide what a valid schedule is and what these values are: every module
# the loader and the drinking window import (planner: `cron` expressions are parsed by its parser).
_CODE = ("schedule", "content", "intake", "planner")
_CODE_FILES = ("units.py", "errors.py", "__init__.py")


class LogSettings(NamedTuple):
    timezone: tzinfo
    water_goal_ml: float
    water_window: Window


def log_settings(files: Sequence[Path], cache: Path) -> LogSettings:
    """Given the schedule files and the cache folder, return what the log commands need: from the
    cache when these exact files were validated before, else from the full loader (raising its
    ScheduleError for a schedule with problems, exactly as any command would)."""
    contents = _contents(files)
    if contents is not None:
        found = _remembered(cache / CACHE_NAME, contents)
        if found is not None:
            return found
    settings, entry = _validate(files)
    # Remembered under the contents read before the loader read the files: only if they still
    # read the same after it, so that an edit saved meanwhile is never filed under the old text.
    if contents is not None and _contents(files) == contents:
        _remember(cache / CACHE_NAME, contents, entry)
    return settings


def _contents(files: Sequence[Path]) -> list[list[str]] | None:
    """Given the files, return [[path, text], ...], or None if any is unusual (the loader decides)."""
    contents = []
    for path in files:
        text = _plain_text(path)
        if text is None:
            return None
        contents.append([str(path), text])
    return contents


def _plain_text(path: Path) -> str | None:
    """Given a path, return the text of the plain UTF-8 file there, else None."""
    try:
        # O_NONBLOCK: a FIFO must not hang us (the loader refuses it; so do we, by falling back).
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            data = handle.read(_READ_LIMIT)
        return data.decode("utf-8") if len(data) < _READ_LIMIT else None
    except (OSError, UnicodeDecodeError):
        return None
    finally:
        os.close(descriptor)


def code_stamp() -> list[Any]:
    """Return a stamp of the installed calmcoach code that validates schedules: its version and
    each source file's name, size and modification time (an edit in a working tree changes it)."""
    from calmcoach import __version__

    package = Path(__file__).resolve().parent.parent
    found: list[Any] = [__version__]
    for folder in _CODE:
        with os.scandir(package / folder) as entries:
            files = sorted((e.name, e.stat()) for e in entries if e.name.endswith(".py"))
        found += [[f"{folder}/{name}", info.st_size, info.st_mtime_ns] for name, info in files]
    for name in _CODE_FILES:
        info = (package / name).stat()
        found.append([name, info.st_size, info.st_mtime_ns])
    return found


def _read_cache(path: Path) -> list[dict[str, Any]]:
    """Given the cache file, return its entries, most recent first; [] when there is none to use."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return []
    entries = data.get("entries")
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _remembered(path: Path, contents: list[list[str]]) -> LogSettings | None:
    """Given the cache file and the files' contents, return the values remembered for exactly
    these files under this very code, or None."""
    stamp = code_stamp()
    for entry in _read_cache(path):
        if entry.get("files") == contents and entry.get("code") == stamp:
            try:
                return _from_entry(entry)
            except (KeyError, TypeError, ValueError):
                return None  # damaged: the loader will rewrite it
    return None


def _from_entry(entry: dict[str, Any]) -> LogSettings:
    from zoneinfo import ZoneInfo

    name = entry["timezone"]
    zone = ZoneInfo(name) if name is not None else _system_zone()
    start, end = (time.fromisoformat(t) for t in entry["water_window"])
    goal = entry["water_goal_ml"]
    if not isinstance(goal, float):
        raise TypeError(f"water_goal_ml: expected a number, got {goal!r}")
    return LogSettings(zone, goal, ClockWindow(start, end))


def _system_zone() -> tzinfo:
    from calmcoach.schedule.zone import system_zone

    return system_zone()


def _validate(files: Sequence[Path]) -> tuple[LogSettings, dict[str, Any]]:
    """Given the files, load them with the full loader; return the values and the entry to remember."""
    from zoneinfo import ZoneInfo

    from calmcoach.intake.hydration import drinking_window
    from calmcoach.schedule.loader import load_files

    # A zone object no file can produce (ZoneInfo caches by name; no_cache makes a new one), so
    # that its identity tells whether the files set a zone, which is then the only one kept.
    unset = ZoneInfo.no_cache("UTC")
    schedule = load_files(files, default_zone=unset)
    settings = schedule.settings
    given = settings.timezone is not unset
    window = drinking_window(schedule)
    entry = {
        "timezone": settings.timezone.key if given else None,
        "water_goal_ml": settings.water_goal_ml,
        "water_window": [window.start.isoformat(), window.end.isoformat()],
    }
    zone = settings.timezone if given else _system_zone()
    return LogSettings(zone, settings.water_goal_ml, window), entry


def _remember(path: Path, contents: list[list[str]], entry: dict[str, Any]) -> None:
    """Given the cache file, the files' contents and their values, keep them, most recent first.

    A cache that cannot be written costs only speed, so failing to write is not an error."""
    stamp = code_stamp()
    # Each entry carries its code's stamp, so that two calmcoach installations (or a working tree
    # and an installed one) sharing the cache keep their own entries instead of evicting each other's.
    entries = [e for e in _read_cache(path) if (e.get("files"), e.get("code")) != (contents, stamp)]
    entries.insert(0, {"files": contents, "code": stamp, **entry})
    data = {"format": FORMAT, "entries": entries[:MAX_ENTRIES]}
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
        temporary.replace(path)  # atomic: a reader sees the old cache or the new, never half
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
