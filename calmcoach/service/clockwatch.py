"""Noticing, without polling, that the wall clock moved or the system's time zone changed.

APScheduler plans in wall time but sleeps on the monotonic clock, which stands still while the
machine is suspended and never sees the wall clock being set. Linux says both things itself:

- `WallTimer`: a timerfd on CLOCK_REALTIME armed at an absolute wall instant (the scheduler's
  next wake-up) with TFD_TIMER_CANCEL_ON_SET. It fires at that wall instant, also when the
  instant passed during a suspend (then at the resume), and its read fails with ECANCELED when
  the wall clock is set (by hand, by an NTP step, and at a resume, which the kernel treats as a
  clock change).
- `FolderWatch`: inotify on /etc, for `localtime` (replaced by `timedatectl set-timezone`) and
  `timezone` (Debian's name file): the change of zone that the kernel's clock does not see.

Both go through ctypes to libc (Python 3.11 has neither os.timerfd_create nor inotify). When
libc or the kernel refuses (not Linux, a seccomp filter), `open` returns None and the service
falls back to looking every few seconds. The pure part, `Offset`, tells a jump from the wall
clock minus the monotonic clock: it grows by the suspended time, or by how far the clock was set.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import logging
import os
import select
import struct
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

from calmcoach.clock import Clock

log = logging.getLogger("calmcoach.service")

CLOCK_REALTIME = 0
TFD_TIMER_ABSTIME = 1
TFD_TIMER_CANCEL_ON_SET = 2
FAR_AHEAD_S = 10 * 365 * 86400  # "no wake-up planned": still armed, so a clock change is seen
IN_MODIFY = 0x2
IN_ATTRIB = 0x4
IN_CLOSE_WRITE = 0x8
IN_MOVED_FROM = 0x40
IN_MOVED_TO = 0x80
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_Q_OVERFLOW = 0x4000
WATCH_MASK = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len (then the name)
ZONE_FILES = frozenset({"localtime", "timezone"})
READ_TRIES = 5  # readings of the clocks' offset tried until two monotonic readings are close
READ_SPREAD_S = 0.05


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c") or "libc.so.6"
    try:
        return ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None


class WallTimer:
    """A timerfd on the wall clock that fires at an absolute instant and reports clock changes."""

    def __init__(self, libc: ctypes.CDLL, fd: int) -> None:
        self._libc = libc
        self._fd = fd
        self._at: float | None = None
        # The scheduler's thread arms it while the main thread may close it at shutdown: without
        # this lock a close between arm's check and its call would arm a closed descriptor, or
        # one the number was given to meanwhile.
        self._lock = threading.Lock()

    @classmethod
    def open(cls) -> WallTimer | None:
        """Return a timer armed far ahead, or None where timerfd cannot be had (said in the log)."""
        libc = _libc()
        create = getattr(libc, "timerfd_create", None) if libc is not None else None
        if libc is None or create is None or getattr(libc, "timerfd_settime", None) is None:
            log.debug("no timerfd in this libc")
            return None
        fd = create(CLOCK_REALTIME, os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            log.debug("timerfd_create failed: %s", os.strerror(ctypes.get_errno()))
            return None
        timer = cls(libc, fd)
        try:
            timer.arm(None)
        except OSError as error:
            log.debug("timerfd_settime failed: %s", error)
            timer.close()
            return None
        return timer

    def fileno(self) -> int:
        return self._fd

    @property
    def at(self) -> float | None:
        """Return the wall instant the timer is armed for (None: none planned)."""
        return self._at

    def arm(self, at: float | None) -> None:
        """Given a wall instant (seconds since the epoch; None: none planned), fire then; raise OSError."""
        self._at = at
        when = at if at is not None else _wall_now() + FAR_AHEAD_S
        seconds = int(when)
        spec = _Itimerspec(_Timespec(0, 0), _Timespec(seconds, max(1, int((when - seconds) * 1e9))))
        flags = TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET
        with self._lock:
            if self._fd < 0:
                return  # closed at shutdown while the scheduler's thread was still finishing
            if self._libc.timerfd_settime(self._fd, flags, ctypes.byref(spec), None) != 0:
                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code))

    def rearm(self) -> None:
        """Arm again at the last instant asked for (a read that reported a change disarms it)."""
        self.arm(self._at)

    def read(self) -> bool | None:
        """Return True when the instant came, False when the wall clock was set, None for nothing."""
        try:
            os.read(self._fd, 8)
        except BlockingIOError:
            return None
        except OSError as error:
            if error.errno == errno.ECANCELED:
                return False
            raise
        return True

    def close(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, -1
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)


class FolderWatch:
    """inotify on one folder, for a few names in it (a file replaced by a rename counts)."""

    def __init__(self, fd: int, names: frozenset[str]) -> None:
        self._fd = fd
        self.names = names

    @classmethod
    def open(cls, folder: Path, names: frozenset[str] = ZONE_FILES) -> FolderWatch | None:
        """Return a watch on `folder`, or None where inotify cannot be had (said in the debug log)."""
        libc = _libc()
        if libc is None or getattr(libc, "inotify_init1", None) is None:
            return None
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            log.debug("inotify_init1 failed: %s", os.strerror(ctypes.get_errno()))
            return None
        if libc.inotify_add_watch(fd, os.fsencode(folder), WATCH_MASK) < 0:
            log.debug("cannot watch %s: %s", folder, os.strerror(ctypes.get_errno()))
            os.close(fd)
            return None
        return cls(fd, names)

    def fileno(self) -> int:
        return self._fd

    def settle(self, quiet_s: float, longest_s: float = 2.0) -> None:
        """Wait until no event has come for `quiet_s` (at most `longest_s` in all), draining them:
        a change made in several steps is then read once, whole."""
        deadline = time.monotonic() + longest_s
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self._fd], [], [], min(quiet_s, left))
            if not readable:
                return
            self.read()

    def read(self) -> bool:
        """Drain what is queued; return whether one of the names changed (or events were lost)."""
        changed = False
        while True:
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                return changed
            offset = 0
            while offset + _EVENT.size <= len(data):
                _wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
                name = data[offset + _EVENT.size : offset + _EVENT.size + length].rstrip(b"\0")
                offset += _EVENT.size + length
                if mask & IN_Q_OVERFLOW or os.fsdecode(name) in self.names:
                    changed = True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


def _wall_now() -> float:
    import time

    return time.time()


@dataclass(frozen=True)
class Offset:
    """The wall clock minus the monotonic clock at one reading: constant while nothing jumps."""

    seconds: float

    @classmethod
    def read(cls, clock: Clock) -> Offset:
        """Given a clock, return its offset, read between two monotonic readings close together.

        A thread descheduled between the two readings (a loaded machine) would otherwise see a
        jump that never happened.
        """
        for _ in range(READ_TRIES):
            before = clock.monotonic()
            wall = clock.now(UTC).timestamp()
            after = clock.monotonic()
            if after - before <= READ_SPREAD_S:
                break
        return cls(wall - (before + after) / 2)

    def jump_to(self, later: Offset) -> float:
        """Given a later reading, return how far the wall clock jumped in between (+ forward)."""
        return later.seconds - self.seconds


class ZoneSource:
    """The system's time zone as `calmcoach.schedule.zone.system_zone` finds it, under `root`.

    `identity()` names the zone cheaply (its key; for an /etc/localtime copied rather than
    linked, a digest of the file), so a change can be told without comparing rules.
    """

    def __init__(self, root: Path = Path("/"), environ: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.environ = environ

    @property
    def folder(self) -> Path:
        return self.root / "etc"

    def zone(self) -> ZoneInfo:
        """Return the system zone, as a ZoneInfo object of its own (never the cached one).

        A fresh object lets the service tell, by identity, whether a loaded schedule took it as
        its default or named a zone of its own (a named zone is always the cached object).
        """
        from calmcoach.schedule.zone import system_zone

        found = system_zone(self.environ, self.root)
        if found.key and found.key != "localtime":
            with contextlib.suppress(ValueError, OSError):
                return ZoneInfo.no_cache(found.key)
        return found

    def identity(self, zone: ZoneInfo) -> str:
        """Given a zone from `zone()`, return what tells it apart from another."""
        if zone.key and zone.key != "localtime":
            return zone.key
        # hashlib loads OpenSSL's libcrypto (about 0.5 MiB resident); only a zone without a name
        # needs it, so it is imported here rather than by every service.
        import hashlib

        try:
            return "localtime:" + hashlib.sha256((self.folder / "localtime").read_bytes()).hexdigest()
        except OSError:
            return "localtime:unreadable"
