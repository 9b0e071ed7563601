"""One service per user: a lock file held for the service's life, and the private runtime folder.

The lock is `flock` on a file next to the control socket: the kernel drops it when the process
dies, however it dies, so a crash never leaves a lock that blocks the next start. The socket is
checked as well (a service that answers is running, whatever the lock says), and a socket left by
a crashed service is removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import stat
from pathlib import Path

from calmcoach.errors import CalmcoachError


def private_folder(folder: Path) -> Path:
    """Given a folder, create it 0700 if needed and return it; raise if another user owns it.

    The fallback runtime folder sits in the shared temp folder, where someone else could have
    created it first to read our control socket; we refuse to use a folder that is not ours.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise CalmcoachError(f"{folder} is not a folder owned by you; remove it or set XDG_RUNTIME_DIR")
    if stat.S_IMODE(info.st_mode) != 0o700:
        folder.chmod(0o700)
    return folder


def socket_answers(path: Path, timeout_s: float = 1.0) -> bool:
    """Given a socket path, return whether a process accepts connections on it."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as sock:
        sock.settimeout(timeout_s)
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True


class InstanceLock:
    """The single-instance lock; `acquire()` raises CalmcoachError when a service already runs."""

    def __init__(self, lock_path: Path, socket_path: Path) -> None:
        self.lock_path = lock_path
        self.socket_path = socket_path
        self._fd: int | None = None

    def acquire(self) -> None:
        private_folder(self.lock_path.parent)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise self._already_running(holder) from None
        if self.socket_path.exists() or self.socket_path.is_symlink():
            if socket_answers(self.socket_path):
                # Someone answers without holding the lock (its lock file was deleted): still a service.
                os.close(fd)
                raise self._already_running("")
            self.socket_path.unlink()  # left behind by a service that crashed
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing drops the flock; the file stays, harmless and reused
        self._fd = None

    def _already_running(self, pid: str) -> CalmcoachError:
        who = f" (pid {pid})" if pid.isdigit() else ""
        return CalmcoachError(
            f"calmcoach is already running{who}; talk to it with `calmcoach status`, "
            "or stop it first (`systemctl --user stop calmcoach`, or `kill` that pid)"
        )

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
