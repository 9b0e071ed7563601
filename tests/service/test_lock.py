"""One service per user: the lock, the stale socket of a crashed run, the private folder."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from calmcoach.errors import CalmcoachError
from calmcoach.service.lock import InstanceLock, private_folder


def test_second_lock_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    runtime = tmp_path / "run" / "calmcoach"
    first = InstanceLock(runtime / "lock", runtime / "control.sock")
    first.acquire()
    assert stat.S_IMODE(runtime.stat().st_mode) == 0o700
    with pytest.raises(CalmcoachError, match=rf"already running \(pid {os.getpid()}\)"):
        InstanceLock(runtime / "lock", runtime / "control.sock").acquire()
    first.release()
    with InstanceLock(runtime / "lock", runtime / "control.sock"):
        pass


def test_lock_of_a_dead_process_is_free(tmp_path: Path) -> None:
    # The kernel drops a flock when its holder dies, however it dies.
    script = (
        "import sys; from pathlib import Path; from calmcoach.service.lock import InstanceLock;"
        "p = Path(sys.argv[1]); InstanceLock(p / 'lock', p / 'control.sock').acquire();"
        "import os; os._exit(9)"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=False, timeout=30)
    with InstanceLock(tmp_path / "lock", tmp_path / "control.sock"):
        pass


def test_stale_socket_is_removed_and_a_live_one_refuses(tmp_path: Path) -> None:
    path = tmp_path / "control.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
        stale.bind(str(path))  # bound, never listening: what a crashed service leaves
    with InstanceLock(tmp_path / "lock", path):
        assert not path.exists()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as live:
        live.bind(str(path))
        live.listen(1)
        with pytest.raises(CalmcoachError, match="already running"):
            InstanceLock(tmp_path / "lock", path).acquire()
    assert path.exists()


def test_private_folder_tightens_mode(tmp_path: Path) -> None:
    folder = tmp_path / "loose"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    private_folder(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_private_folder_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("")
    with pytest.raises((CalmcoachError, FileExistsError)):
        private_folder(target)
