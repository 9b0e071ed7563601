"""Security of the running service: its socket's permissions, other users, shell injection and
markup in reminder text.

The service is the installed `calmcoach run` in a subprocess (tests/service/conftest.py starts
it); another user is played by `setpriv --reuid=65534` (nobody), which needs root, as in CI.
"""

from __future__ import annotations

import html
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from calmcoach.paths import Paths
from tests.desktop import Notifications
from tests.hardening.support import service_running
from tests.service.conftest import Running, start_service
from tests.support import only_as_root

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534
SCHEDULE = """\
[settings]
timezone = "UTC"

[[reminder]]
name = "water"
kind = "hydration"
at = ["03:33"]
"""
AS_ROOT = only_as_root("only root can act as another user (CI runs as root)")

# Connect as nobody, send a status request (the service may already have refused and closed), and
# print what came back, or the error that stopped us, as one line.
PEER = """
import contextlib, socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except OSError as error:
    print(f"connect: {type(error).__name__}")
    sys.exit(0)
with contextlib.suppress(BrokenPipeError, ConnectionResetError):
    s.sendall(b'{"command": "pause"}\\n')
print(s.recv(4096).decode().strip())
"""


@pytest.fixture
def service(paths: Paths, short_runtime: Path, tmp_path: Path) -> Iterator[Running]:
    with service_running(SCHEDULE, tmp_path) as running:
        yield running


def as_nobody(socket_path: Path, python: str = sys.executable) -> str:
    """Run the peer script as nobody against `socket_path` with `python`; return what it printed."""
    drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    result = subprocess.run(
        [*drop, python, "-c", PEER, str(socket_path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_the_socket_is_0600_in_a_0700_folder_owned_by_us(service: Running) -> None:
    sock = service.paths.control_socket
    assert stat.S_ISSOCK(sock.lstat().st_mode)
    assert (mode(sock), mode(sock.parent)) == (0o600, 0o700)
    assert sock.lstat().st_uid == sock.parent.lstat().st_uid == os.getuid()


def test_a_loose_runtime_folder_is_tightened_to_0700(
    paths: Paths, short_runtime: Path, tmp_path: Path
) -> None:
    folder = short_runtime / "calmcoach"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)  # past the umask
    schedule = tmp_path / "s.toml"
    schedule.write_text(SCHEDULE)
    running = start_service(Paths.from_environment(), schedule)
    try:
        assert (mode(folder), mode(running.paths.control_socket)) == (0o700, 0o600)
    finally:
        running.stop()


@AS_ROOT
def test_another_user_cannot_even_reach_the_socket_as_root(service: Running) -> None:
    # Open the runtime folder above ours, so that only calmcoach's own 0700 folder stands guard.
    service.paths.control_socket.parent.parent.chmod(0o755)
    assert as_nobody(service.paths.control_socket) == "connect: PermissionError"
    assert service.request("status")["result"]["paused"] is False


@AS_ROOT
def test_another_user_is_refused_even_when_permissions_are_loosened_as_root(service: Running) -> None:
    # Someone opened every door (folders 0755, socket 0666): SO_PEERCRED still refuses the peer.
    sock = service.paths.control_socket
    for folder in (sock.parent.parent, sock.parent):
        folder.chmod(0o755)
    sock.chmod(0o666)
    answer = as_nobody(sock)
    assert answer == '{"ok":false,"error":"permission denied: another user\'s service"}'
    service.wait_log(f"refused a connection from uid {NOBODY}")
    status = service.request("status")["result"]
    assert status["paused"] is False  # the refused "pause" was not acted on
    assert service.process.poll() is None


# -- no shell, ever -------------------------------------------------------------------------------

SHELL_CALLS = re.compile(
    r"shell\s*=\s*True|os\.system\(|os\.popen\(|os\.exec[lv]p?e?\(|commands\.getoutput|pty\.spawn"
)


def test_no_module_can_run_a_shell_command() -> None:
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sorted((REPO / "calmcoach").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if SHELL_CALLS.search(line)
    ]
    assert found == []


def test_every_subprocess_gets_a_list_of_arguments() -> None:
    # subprocess.run("aplay " + path) would need shell=True to work, which the test above forbids;
    # a string argument without it would be one program name: check the calls take lists.
    calls = re.compile(r"subprocess\.(?:run|Popen|call|check_call|check_output)\(\s*(f?[\"'])")
    found = [
        f"{path.relative_to(REPO)}: {match.group(0)}"
        for path in sorted((REPO / "calmcoach").rglob("*.py"))
        for match in calls.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


HOSTILE_MESSAGE = (
    "Drink $(touch /tmp/calmcoach-pwned) `id`; rm -rf ~ && echo $HOME | cat > /tmp/x "
    "<b>bold</b> <a href='https://example.invalid'>link</a> &amp; <img src=x onerror=alert(1)> %s %n {0} \\"
)


def test_shell_and_markup_in_a_message_are_delivered_verbatim_and_escaped(
    notifications: Notifications, paths: Paths, short_runtime: Path, tmp_path: Path
) -> None:
    schedule = tmp_path / "s.toml"
    message = HOSTILE_MESSAGE.replace("\\", "\\\\")  # TOML basic string: a backslash is written twice
    schedule.write_text(SCHEDULE + f'message = "{message}"\n')
    running = start_service(Paths.from_environment(), schedule)
    try:
        triggered = running.cli("trigger", "water")
        assert triggered.returncode == 0, triggered.stderr
        [got] = notifications.wait_for(1, timeout=10)
    finally:
        running.stop()
    # The body is markup to the server: escaped, so it shows the text as written, nothing more.
    assert html.escape(HOSTILE_MESSAGE, quote=False) in got.body
    assert "<b>" not in got.body and "<img" not in got.body
    assert not Path("/tmp/calmcoach-pwned").exists()
