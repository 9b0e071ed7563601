"""Permissions as a real user has them: the service runs under the user manager as the ordinary
test user, and another user (nobody, played through setpriv by the root test process) tries it.

Root passes every permission check, so none of this can be seen from a service running as root.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.desktop import wait_until
from tests.hardening import test_security as security
from tests.systemd.conftest import UserNotifications, service_log
from tests.user_session import UserSession, ready

pytestmark = pytest.mark.slow
NOBODY = security.NOBODY
UNIT = "calmcoach.service"


@pytest.fixture
def socket_path(service: UserSession) -> Path:
    path = service.runtime / "calmcoach" / "control.sock"
    wait_until(path.exists, timeout=20, what="the control socket")
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def as_nobody(socket_path: Path) -> str:
    """Connect to the socket as nobody, ask it to pause; return what came back (or the error).

    With Debian's python3: the suite's own Python may live where nobody may not read."""
    return security.as_nobody(socket_path, python="/usr/bin/python3")


def paused(session: UserSession) -> bool:
    answer = session.run("calmcoach", "status", "--json")
    assert answer.returncode == 0, ready(answer)
    return bool(json.loads(answer.stdout)["result"]["paused"])


def test_the_socket_is_0600_in_a_0700_folder_of_the_user(service: UserSession, socket_path: Path) -> None:
    assert stat.S_ISSOCK(socket_path.lstat().st_mode)
    assert (mode(socket_path), mode(socket_path.parent), mode(service.runtime)) == (0o600, 0o700, 0o700)
    owners = {p.lstat().st_uid for p in (socket_path, socket_path.parent, service.runtime)}
    assert owners == {service.uid}


def test_another_user_cannot_reach_the_socket(service: UserSession, socket_path: Path) -> None:
    assert as_nobody(socket_path) == "connect: PermissionError"
    assert paused(service) is False


@pytest.fixture
def opened(socket_path: Path) -> Iterator[Path]:
    """Every door opened by someone careless: folders 0755, the socket 0666; closed again after."""
    doors = [(socket_path.parent.parent, 0o755), (socket_path.parent, 0o755), (socket_path, 0o666)]
    before = [(path, mode(path)) for path, _ in doors]
    for path, loose in doors:
        path.chmod(loose)
    yield socket_path
    for path, kept in before:
        if path.exists():
            path.chmod(kept)


def test_another_user_is_refused_by_peer_credentials_when_the_doors_are_open(
    service: UserSession, opened: Path
) -> None:
    assert as_nobody(opened) == '{"ok":false,"error":"permission denied: another user\'s service"}'
    wait_until(
        lambda: f"refused a connection from uid {NOBODY}" in service_log(service),
        timeout=10,
        what="the refusal in the log",
    )
    assert paused(service) is False  # the refused "pause" was not acted on


def test_a_read_only_state_folder_does_not_stop_reminders(
    service: UserSession, user_notifications: UserNotifications
) -> None:
    state = service.home / ".local" / "state" / "calmcoach"
    before = len(user_notifications.received())
    assert service.run("calmcoach", "trigger", "water").returncode == 0
    user_notifications.wait_for(before + 1)
    chmod = service.run("chmod", "0500", str(state))  # as the user, on the user's own folder
    assert chmod.returncode == 0, ready(chmod)
    try:
        for count in (2, 3):
            assert service.run("calmcoach", "trigger", "water").returncode == 0
            user_notifications.wait_for(before + count)
        wait_until(
            lambda: "could not save the service state" in service_log(service),
            timeout=10,
            what="the warning about the state",
        )
    finally:
        service.run("chmod", "0700", str(state))
    log = service_log(service)
    assert "Permission denied" in log
    assert "Traceback" not in log
    assert service.show(UNIT, "ActiveState")["ActiveState"] == "active"
