"""The history as the CLI commands use it: opened without the full scan, and a damaged file moved
aside with one clear message, after which the command carries on with a new history.

This is what the service does at start-up (calmcoach.service.figures), so both answer damage the
same way: never reset silently, never leave the person stuck. The damaged file is kept byte for
byte, with its -wal and -shm, next to the new one, and the message says where and how to recover
it.

Why the CLI skips `PRAGMA quick_check`: it reads every page, so every `log water` would pay for
the whole history. SQLite checks each page a statement reads, so damage in what a command reads
still fails that command, and a file that is not a database fails at the first read (see
calmcoach.history.store). The service runs the full check each time it starts.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from calmcoach.errors import CalmcoachError
from calmcoach.history.store import History, HistoryDamaged, set_aside_if_same

T = TypeVar("T")


def with_history(
    path: Path, work: Callable[[History], T], *, now: datetime, warn: Callable[[str], None]
) -> T:
    """Given the database path, what to do with the history, the time now and how to warn, run
    `work` on the history and return what it returns.

    When the history turns out to be damaged (on opening or in `work`), move it aside, warn once
    with where it went, and run `work` again on a new history. `work` must print only after its
    reads and writes are done, so that a first attempt cut short by damage has printed nothing.
    Damage again on the new file is raised, not retried.
    """
    try:
        with History.open(path, check=False) as history:
            return work(history)
    except HistoryDamaged as damaged:
        warn(set_aside_and_say(damaged, now))
    with History.open(path, check=False) as history:
        return work(history)


def set_aside_and_say(damaged: HistoryDamaged, now: datetime) -> str:
    """Given the damage found, move the file aside (unless another process already has); return the
    message that says where it went (the CLI prints it, the service logs it); raise CalmcoachError
    when it cannot be moved."""
    path = damaged.path
    try:
        aside = set_aside_if_same(path, damaged.identity, now)
    except OSError as error:
        raise CalmcoachError(
            f"{damaged.message} It could not be moved aside either: {error.strerror or error}"
        ) from damaged
    if aside is None:
        return (
            f"the history database {path} was damaged ({damaged.detail}); another calmcoach process "
            f"has moved it aside (as {path.name}.damaged-<time>, next to it) and started a new one"
        )
    return (
        f"the history database {path} is damaged ({damaged.detail}); moved it to {aside}, kept as it "
        f"was for recovery (sqlite3 {aside} .recover > recovered.sql), and started a new history"
    )


# -- a history kept open (the service) ---------------------------------------------------------


def is_at_path(history: History) -> bool:
    """Given an open history, return whether its file is still the one at its path: False once
    another process has moved it aside (and perhaps started a new one there). One stat call.

    True when the file's identity was not known at opening: nothing to compare it with.
    """
    if history.identity is None:
        return True
    try:
        info = history.path.stat()
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot tell; using the open file is no worse than before
    return (info.st_dev, info.st_ino) == history.identity


@contextmanager
def kept_in_place(path: Path) -> Iterator[None]:
    """Given the database path, hold a shared lock on its folder while the caller reads or writes
    through a connection it checked with `is_at_path`, so no other process moves the file between
    the check and the write (which would put the write in the damaged copy set aside).

    `set_aside` and `set_aside_if_same` take the same lock exclusively (an flock on the folder
    itself, calmcoach.history.store), so a move waits for the write, and the write for a move.
    Take it only around work that does not move the file itself: two locks on the folder from one
    process would wait for each other. Without a folder there is no file to move: no lock then.
    """
    try:
        descriptor = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        yield
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
