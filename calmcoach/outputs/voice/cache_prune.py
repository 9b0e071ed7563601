"""Keeping the voice cache small: remove the least recently used clips once it grows past a bound.

Every phrase ever spoken leaves a WAV file (about 44 kB a second of speech), and reminders with
changing figures make new phrases every day, so the cache would grow without end. A speaker
prunes once, when it is made (the service at start and on a voice change; each session command),
never per phrase: one directory scan and one stat per file.

"Recently used" is a clip's access time, which `cache.mark_used` sets on every cache hit, or its
modification time (when it was made), whichever is later. A clip used within `in_use_s` is never
removed, even over the bound: it may be playing or about to play, in this process or another.
Any file may vanish at any moment (another process pruning, a person clearing ~/.cache): that is
never an error. Only the cache's own files are looked at: `*.wav` clips, and the temporary files
of a synthesis (`.raw-*.wav`, `.*.tmp`), which are removed once they are older than `in_use_s`
(what a crash left behind). Anything else in the folder is left alone.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 50 * 1024 * 1024  # about 20 minutes of speech: every phrase of a good many days
IN_USE_S = 3600.0  # a phrase plays for seconds; an hour leaves a wide margin for any clock step

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedFile:
    """One file of the cache as the scan saw it (times in nanoseconds since the epoch)."""

    path: Path
    size: int
    inode: int
    atime_ns: int
    mtime_ns: int

    @property
    def used_ns(self) -> int:
        """When it was last used: the access time a cache hit sets, or when it was made."""
        return max(self.atime_ns, self.mtime_ns)


@dataclass(frozen=True)
class Scan:
    clips: tuple[CachedFile, ...]  # the finished clips, *.wav
    temporary: tuple[CachedFile, ...]  # what a synthesis writes before it has its final name


@dataclass(frozen=True)
class Pruned:
    """What a prune did: clips removed, what remains, and leftover temporary files removed."""

    removed: int
    removed_bytes: int
    kept: int
    kept_bytes: int
    temporary_removed: int


def is_temporary(name: str) -> bool:
    """Given a file name in the cache, return True for a synthesis's temporary file: the engine's
    raw output (`.raw-*.wav`) or a clip being written (`.<name>.*.tmp`)."""
    return name.startswith(".") and (
        name.endswith(".tmp") or (name.startswith(".raw-") and name.endswith(".wav"))
    )


def scan(cache_dir: Path) -> Scan:
    """Given the cache folder, return its clips and temporary files (an empty Scan when the folder
    does not exist or is not a folder). Symlinks, folders and other files are not the cache's and
    are left out."""
    clips: list[CachedFile] = []
    temporary: list[CachedFile] = []
    try:
        entries = list(os.scandir(cache_dir))
    except (FileNotFoundError, NotADirectoryError):
        return Scan((), ())  # no cache yet (or none possible: the speaker says why when used)
    for entry in entries:
        temp = is_temporary(entry.name)
        if not temp and (entry.name.startswith(".") or not entry.name.endswith(".wav")):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # removed since the directory was read
        if not stat.S_ISREG(info.st_mode):
            continue
        found = CachedFile(Path(entry.path), info.st_size, info.st_ino, info.st_atime_ns, info.st_mtime_ns)
        (temporary if temp else clips).append(found)
    return Scan(tuple(clips), tuple(temporary))


def choose(scan: Scan, *, now_ns: int, max_bytes: int, in_use_s: float) -> list[CachedFile]:
    """Given a scan and the time, return the files to remove: temporary files older than
    `in_use_s`, then the least recently used clips, oldest first, until the clips take at most
    `max_bytes` (or only clips used within `in_use_s` are left)."""
    recent_ns = now_ns - int(in_use_s * 1e9)
    victims = [f for f in scan.temporary if f.used_ns < recent_ns]
    total = sum(clip.size for clip in scan.clips)
    for clip in sorted(scan.clips, key=lambda c: (c.used_ns, c.path.name)):
        if total <= max_bytes or clip.used_ns >= recent_ns:
            break  # sorted by last use: every clip after this one is as recent or more
        victims.append(clip)
        total -= clip.size
    return victims


def remove(victims: Iterable[CachedFile]) -> list[CachedFile]:
    """Remove each file unless it changed since the scan (used, or replaced by a new clip); return
    those that are gone, including any that vanished on their own."""
    gone: list[CachedFile] = []
    for victim in victims:
        try:
            now = victim.path.lstat()
        except FileNotFoundError:
            gone.append(victim)  # someone else removed it: it no longer counts either way
            continue
        if (now.st_ino, now.st_atime_ns, now.st_mtime_ns) != (victim.inode, victim.atime_ns, victim.mtime_ns):
            continue  # used (or made again) since the scan: keep it
        victim.path.unlink(missing_ok=True)
        gone.append(victim)
    return gone


def prune(cache_dir: Path, *, now_ns: int, max_bytes: int = MAX_BYTES, in_use_s: float = IN_USE_S) -> Pruned:
    """Given the cache folder and the time now, remove leftover temporary files and the least
    recently used clips until the clips take at most `max_bytes`, never one used within
    `in_use_s`; return what was done. Raise OSError only when the folder cannot be read."""
    found = scan(cache_dir)
    gone = remove(choose(found, now_ns=now_ns, max_bytes=max_bytes, in_use_s=in_use_s))
    gone_paths = {f.path for f in gone}
    removed = [f for f in gone if f in found.clips]
    kept = [clip for clip in found.clips if clip.path not in gone_paths]
    return Pruned(
        removed=len(removed),
        removed_bytes=sum(f.size for f in removed),
        kept=len(kept),
        kept_bytes=sum(f.size for f in kept),
        temporary_removed=len(gone) - len(removed),
    )


def prune_quietly(cache_dir: Path, *, max_bytes: int = MAX_BYTES) -> Pruned | None:
    """Prune `cache_dir` now and log what was removed; return what was done, or None when the
    folder could not be read (logged as a warning). Never raises: a cache that cannot be pruned
    still serves its clips."""
    try:
        result = prune(cache_dir, now_ns=time.time_ns(), max_bytes=max_bytes)
    except OSError as exc:
        _log.warning("could not prune the voice cache %s: %s", cache_dir, exc.strerror or exc)
        return None
    if result.removed or result.temporary_removed:
        _log.info(
            "voice cache: removed %d least recently used clip(s) (%s) and %d leftover temporary "
            "file(s); %d clip(s) (%s) kept, the bound is %s",
            result.removed,
            _mib(result.removed_bytes),
            result.temporary_removed,
            result.kept,
            _mib(result.kept_bytes),
            _mib(max_bytes),
        )
    return result


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"
