"""The state folder stops taking writes under the running service: read-only, or a full disk.

The service keeps its small state (last firings, pause, snoozes) in $XDG_STATE_HOME/calmcoach and
saves it at every firing. When that folder can no longer be written, reminders must still be
delivered; the service says once that it cannot save, and what was saved before stays as it was.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from calmcoach.paths import Paths
from tests.desktop import Notifications
from tests.faults.conftest import Start, without_root_powers
from tests.support import only_as_root

VIA_NOTIFICATION = "delivered water (hydration) via notification"
STATE_FILE = "service.json"


def test_a_read_only_state_folder_does_not_stop_reminders(
    notifications: Notifications, start: Start, paths: Paths
) -> None:
    service = start(prefix=without_root_powers())
    log = service.wait_log(VIA_NOTIFICATION, timeout=30)
    saved = (paths.state / STATE_FILE).read_text()
    assert "water" in json.loads(saved)["last_fired"]
    paths.state.chmod(0o500)
    try:
        delivered = log.count(VIA_NOTIFICATION)
        log = service.wait_log(VIA_NOTIFICATION, count=delivered + 2, timeout=30)
        assert (paths.state / STATE_FILE).read_text() == saved  # untouched, not truncated
        assert service.request("status")["ok"]
    finally:
        paths.state.chmod(0o700)
    service.wait_log("the service state is saved again", timeout=30)
    code, _ = service.stop(signal.SIGTERM)
    log = service.log()
    assert code == 0, log
    assert "Traceback" not in log
    assert log.count("could not save the service state") == 1, log
    assert "Permission denied" in log
    assert sorted(p.name for p in Path(paths.state).iterdir() if p.name.startswith(".service.")) == []


@contextmanager
def tiny_tmpfs(folder: Path) -> Iterator[None]:
    """Mount a 256 KiB tmpfs on `folder` (root only: a real full disk, ENOSPC from the kernel)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert mounted.returncode == 0, f"cannot mount a tmpfs as root: {mounted.stderr.strip()}"
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Fill the file system of `folder` to the last byte; return the filler file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 1):  # big steps, then down to the last byte
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    with pytest.raises(OSError) as full:
        os.close(os.open(folder / "one-more", os.O_WRONLY | os.O_CREAT, 0o600))
        (folder / "one-more").write_bytes(b"x" * 4096)
    assert full.value.errno == errno.ENOSPC
    return filler


# Only root can mount the small file system that makes a real full disk (ENOSPC from the kernel);
# CI runs as root. As another user the read-only test above goes through the same failing save.
@only_as_root("mounting a tmpfs to fill needs root")
def test_a_full_disk_does_not_stop_reminders_and_loses_nothing_saved_as_root(
    notifications: Notifications, start: Start, paths: Paths
) -> None:
    with tiny_tmpfs(paths.state):
        service = start()
        log = service.wait_log(VIA_NOTIFICATION, timeout=30)
        saved = (paths.state / STATE_FILE).read_text()
        filler = fill(paths.state)
        delivered = log.count(VIA_NOTIFICATION)
        log = service.wait_log(VIA_NOTIFICATION, count=delivered + 2, timeout=30)
        assert (paths.state / STATE_FILE).read_text() == saved
        filler.unlink()
        service.wait_log("the service state is saved again", timeout=30)
        code, _ = service.stop(signal.SIGTERM)
        log = service.log()
        assert code == 0, log
        assert log.count("could not save the service state") == 1, log
        assert "No space left on device" in log
        assert (
            json.loads((paths.state / STATE_FILE).read_text())["last_fired"]["water"]
            > json.loads(saved)["last_fired"]["water"]
        )
