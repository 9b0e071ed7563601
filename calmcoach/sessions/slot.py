"""One guided session at a time for the user, across processes.

The service runs scheduled sessions on its single speech worker, but `calmcoach breathe` and
`calmcoach stretch` are other processes: without a shared lock, a scheduled breathing break could
start talking over a session the person started in the terminal. The lock is `flock` on a file in
the runtime folder, so the kernel drops it when a process dies, however it dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from calmcoach.errors import CalmcoachError

LOCK_NAME = "session.lock"


class SessionBusy(CalmcoachError):
    """Another guided session is playing now."""


@contextlib.contextmanager
def session_slot(runtime: Path) -> Iterator[None]:
    """Given the runtime folder, hold the one-session lock while the block runs.

    Raise SessionBusy at once (never wait) when another session holds it.
    """
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(runtime / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SessionBusy(
                "another calmcoach session is playing right now (perhaps a scheduled one); "
                "try again when it ends"
            ) from None
        yield
    finally:
        os.close(fd)  # closing drops the flock
